"""The default program: four tiers and three margin groups, all editable by staff."""

from decimal import Decimal

from django.db import migrations

TIERS = [
    # code, name, threshold, cashback %, max share %
    ("silver", "Silver", "0", "3", "20"),
    ("gold", "Gold", "30000", "5", "30"),
    ("platinum", "Platinum", "100000", "7", "40"),
    ("vip", "VIP", "300000", "10", "50"),
]
GROUPS = [
    # code, name, coefficient, default
    ("low", "Low margin", "0.5", False),
    ("standard", "Standard", "1.0", True),
    ("high", "High margin", "2.0", False),
]


def forwards(apps, schema_editor):
    Tier = apps.get_model("oscar_loyalty", "Tier")
    MarginGroup = apps.get_model("oscar_loyalty", "MarginGroup")
    for order, (code, name, threshold, cashback, share) in enumerate(TIERS):
        Tier.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "threshold": Decimal(threshold),
                "cashback_percent": Decimal(cashback),
                "max_share_percent": Decimal(share),
                "sort_order": order,
            },
        )
    for code, name, coefficient, default in GROUPS:
        MarginGroup.objects.get_or_create(
            code=code, defaults={"name": name, "coefficient": Decimal(coefficient), "is_default": default}
        )


class Migration(migrations.Migration):
    dependencies = [("oscar_loyalty", "0003_earning")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
