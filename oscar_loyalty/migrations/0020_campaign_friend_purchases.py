from django.db import migrations, models


class Migration(migrations.Migration):
    """Referral rules may pay a share of every order a referred friend pays for, for a period after joining."""

    dependencies = [
        ("oscar_loyalty", "0019_reward_notification_events"),
    ]

    operations = [
        migrations.AddField(
            model_name="campaignrule",
            name="event_days",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text="A referred friend's orders earn the referrer for this many days after the friend joined.",
                null=True,
                verbose_name="For days after the friend joined",
            ),
        ),
        migrations.AlterField(
            model_name="campaignrule",
            name="event",
            field=models.CharField(
                blank=True,
                choices=[
                    ("registration", "Registration"),
                    ("birthday", "Birthday"),
                    ("referral", "A referred friend's first order"),
                    ("friend_purchase", "Every paid order of a referred friend"),
                    ("referred", "Joining through a friend's invitation"),
                    ("code", "A code entered"),
                ],
                max_length=16,
                verbose_name="Event",
            ),
        ),
    ]
