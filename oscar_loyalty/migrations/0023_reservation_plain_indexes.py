"""A reservation's key and order number keep their unique constraint and index, without pattern-ops twins.

A field's ``unique`` or ``db_index`` on PostgreSQL also builds a
``varchar_pattern_ops`` index for ``LIKE`` queries, which nothing asks of
reservations; each reservation wrote both, and each capture again (changing
the status moves the row). The new constraint and index come first, so the
key is never without one.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("oscar_loyalty", "0022_lot_spendable_index"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="reservation",
            constraint=models.UniqueConstraint(fields=("key",), name="loyalty_reservation_key_unique"),
        ),
        migrations.AddIndex(
            model_name="reservation",
            index=models.Index(fields=["order_number"], name="loyalty_reservation_order"),
        ),
        migrations.AlterField(
            model_name="reservation",
            name="key",
            field=models.CharField(max_length=255, verbose_name="Idempotency key"),
        ),
        migrations.AlterField(
            model_name="reservation",
            name="order_number",
            field=models.CharField(max_length=128, verbose_name="Order number"),
        ),
    ]
