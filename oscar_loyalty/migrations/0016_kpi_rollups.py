# The KPI report's monthly roll-ups of the journal and their watermark (oscar_loyalty.reporting).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("oscar_loyalty", "0015_point_codes"),
    ]

    operations = [
        migrations.CreateModel(
            name="RollupWatermark",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("journal_id", models.BigIntegerField(default=0, verbose_name="Highest journal entry rolled up")),
                ("time_zone", models.CharField(blank=True, max_length=64, verbose_name="Time zone of the months")),
                ("rolled_at", models.DateTimeField(blank=True, null=True, verbose_name="Rolled up at")),
            ],
            options={
                "verbose_name": "Roll-up watermark",
                "verbose_name_plural": "Roll-up watermarks",
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="MovementRollup",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("month", models.DateField(verbose_name="Month")),
                ("kind", models.CharField(max_length=32, verbose_name="Kind")),
                ("entries", models.BigIntegerField(default=0, verbose_name="Entries")),
                ("points_gained", models.BigIntegerField(default=0, verbose_name="Points gained")),
                ("points_lost", models.BigIntegerField(default=0, verbose_name="Points lost")),
                ("held_change", models.BigIntegerField(default=0, verbose_name="Change of held points")),
                ("first_at", models.DateTimeField(verbose_name="First entry")),
                ("last_at", models.DateTimeField(verbose_name="Last entry")),
            ],
            options={
                "verbose_name": "Monthly movement roll-up",
                "verbose_name_plural": "Monthly movement roll-ups",
                "abstract": False,
                "constraints": [
                    models.UniqueConstraint(fields=("month", "kind"), name="loyalty_movement_rollup_unique")
                ],
            },
        ),
        migrations.CreateModel(
            name="AccountMonth",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("month", models.DateField(verbose_name="Month")),
                ("active", models.BooleanField(default=False, verbose_name="Active")),
                (
                    "account",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="oscar_loyalty.account",
                    ),
                ),
            ],
            options={
                "verbose_name": "Account month",
                "verbose_name_plural": "Account months",
                "abstract": False,
                "constraints": [
                    models.UniqueConstraint(fields=("account", "month"), name="loyalty_account_month_unique")
                ],
            },
        ),
        migrations.CreateModel(
            name="ParticipationRollup",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("month", models.DateField(verbose_name="Month")),
                ("previous_month", models.DateField(verbose_name="Previous active month")),
                ("accounts", models.BigIntegerField(default=0, verbose_name="Accounts")),
            ],
            options={
                "verbose_name": "Monthly participation roll-up",
                "verbose_name_plural": "Monthly participation roll-ups",
                "abstract": False,
                "constraints": [
                    models.UniqueConstraint(
                        fields=("month", "previous_month"), name="loyalty_participation_rollup_unique"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="NewAccountRollup",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("month", models.DateField(unique=True, verbose_name="Month")),
                ("accounts", models.BigIntegerField(default=0, verbose_name="Accounts")),
            ],
            options={
                "verbose_name": "Monthly new accounts roll-up",
                "verbose_name_plural": "Monthly new accounts roll-ups",
                "abstract": False,
            },
        ),
    ]
