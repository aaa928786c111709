from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("oscar_loyalty", "0009_ledger_functions"),
    ]

    operations = [
        migrations.AddField(
            model_name="notificationpreference",
            name="language",
            field=models.CharField(blank=True, max_length=16, verbose_name="Language"),
        ),
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
                ],
                max_length=32,
                verbose_name="Event",
            ),
        ),
    ]
