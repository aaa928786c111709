"""The journal's lot is indexed only where an entry names one.

Reservations, captures and releases name a reservation, not a lot; the full
index of the lot field wrote a NULL for each of them, two per redemption.
The partial index comes first, so lookups by lot always have one.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("oscar_loyalty", "0024_balance_function"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="journalentry",
            index=models.Index(condition=models.Q(("lot__isnull", False)), fields=["lot"], name="loyalty_journal_lot"),
        ),
        migrations.AlterField(
            model_name="journalentry",
            name="lot",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="journal",
                to="oscar_loyalty.lot",
            ),
        ),
    ]
