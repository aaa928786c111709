"""Spending reads only the lots that still hold points.

A lot spent to nothing stays active until it expires; a frequent customer
gathers hundreds, and spending, which takes the soonest-expiring lots first,
walked past every one of them under the account's lock.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("oscar_loyalty", "0021_tier_tallies"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="lot",
            index=models.Index(
                condition=models.Q(("remaining__gt", 0), ("status", "active")),
                fields=["account", "expires_at", "id"],
                name="loyalty_lot_spendable",
            ),
        ),
    ]
