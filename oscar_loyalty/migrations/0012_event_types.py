"""The Oscar rows the plugin needs, so that no manual step remains after ``migrate``.

- One communication event type per notification, with no text of its own:
  the texts come from the shipped template files until staff edit them in
  the dashboard (Oscar reads a template field only when it is not NULL).
- The "Refund" payment event type that dashboard refunds are recorded with
  (its code, "refund", is the default of ``OSCAR_LOYALTY_REFUND_EVENT_TYPES``).

Rows a shop already has are left as they are; unapplying keeps the rows
(staff may have edited them, and orders may refer to the refund type).
"""

from django.db import migrations

NOTIFICATION_EVENT_TYPES = (
    ("LOYALTY_WELCOME", "Bonus program: welcome"),
    ("LOYALTY_ACCRUED", "Bonus program: points credited"),
    ("LOYALTY_AVAILABLE", "Bonus program: points available"),
    ("LOYALTY_TIER_UPGRADED", "Bonus program: tier upgraded"),
    ("LOYALTY_TIER_DOWNGRADED", "Bonus program: tier lowered"),
    ("LOYALTY_EXPIRING", "Bonus program: points expiring"),
    ("LOYALTY_ADJUSTED", "Bonus program: points adjusted by the shop"),
)
REFUND_CODE = "refund"
REFUND_NAME = "Refund"


def create_event_types(apps, schema_editor):
    CommunicationEventType = apps.get_model("communication", "CommunicationEventType")
    PaymentEventType = apps.get_model("order", "PaymentEventType")
    for code, name in NOTIFICATION_EVENT_TYPES:
        CommunicationEventType.objects.get_or_create(code=code, defaults={"name": name, "category": "User related"})
    taken = PaymentEventType.objects.filter(code=REFUND_CODE).exists() or PaymentEventType.objects.filter(
        name=REFUND_NAME
    ).exists()
    if not taken:
        PaymentEventType.objects.create(code=REFUND_CODE, name=REFUND_NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("oscar_loyalty", "0011_customer_language"),
        ("communication", "0004_auto_20200801_0817"),
        ("order", "0018_alter_line_num_allocated"),
    ]

    operations = [
        migrations.RunPython(create_event_types, migrations.RunPython.noop),
    ]
