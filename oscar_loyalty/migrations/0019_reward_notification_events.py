from django.db import migrations, models


class Migration(migrations.Migration):
    """The reward orders' notifications get their names in the dashboard (their event types came with 0014)."""

    dependencies = [
        ("oscar_loyalty", "0018_birthday_greeting"),
    ]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="event",
            field=models.CharField(
                choices=[
                    ("welcome", "Welcome"),
                    ("accrued", "Points accrued"),
                    ("available", "Points became available"),
                    ("tier_upgraded", "Tier upgraded"),
                    ("expiring", "Points expiring"),
                    ("adjusted", "Manual adjustment"),
                    ("tier_downgraded", "Tier lowered"),
                    ("birthday", "Birthday greeting"),
                    ("reward_ordered", "Reward ordered"),
                    ("reward_packed", "Reward packed"),
                    ("reward_sent", "Reward sent"),
                    ("reward_delivered", "Reward delivered"),
                    ("reward_cancelled", "Reward cancelled"),
                ],
                max_length=32,
                verbose_name="Event",
            ),
        ),
    ]
