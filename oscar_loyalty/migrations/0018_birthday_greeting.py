"""The birthday greeting: a notification event and Oscar's communication event type that renders it."""

from django.db import migrations, models


def create_event_type(apps, schema_editor):
    CommunicationEventType = apps.get_model("communication", "CommunicationEventType")
    CommunicationEventType.objects.get_or_create(
        code="LOYALTY_BIRTHDAY", defaults={"name": "Bonus program: birthday greeting", "category": "User related"}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("oscar_loyalty", "0017_campaigns"),
        ("communication", "0004_auto_20200801_0817"),
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
                ],
                max_length=32,
                verbose_name="Event",
            ),
        ),
        migrations.RunPython(create_event_type, migrations.RunPython.noop),
    ]
