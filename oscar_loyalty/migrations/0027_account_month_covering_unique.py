"""On PostgreSQL the account months' unique index carries ``active``.

The KPI report asks of each account with entries above the roll-ups'
watermark whether it was active in a month, and in the run of months the
report covers. With ``active`` in the index those probes are index-only
scans; before, each read a row of the table besides (an account's months lie
on as many pages as roll-ups wrote them). The constraint keeps its name and
its columns, so Django's model state is unchanged; SQLite has no covering
indexes and keeps the plain one.
"""

from django.db import migrations

COLUMNS = "(account_id, month)"


def _swap(apps, schema_editor, include):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    table = quote(apps.get_model("oscar_loyalty", "AccountMonth")._meta.db_table)
    name = quote("loyalty_account_month_unique")
    schema_editor.execute(
        f"ALTER TABLE {table} DROP CONSTRAINT {name}, ADD CONSTRAINT {name} UNIQUE {COLUMNS}{include}", params=None
    )


def covering(apps, schema_editor):
    _swap(apps, schema_editor, " INCLUDE (active)")


def plain(apps, schema_editor):
    _swap(apps, schema_editor, "")


class Migration(migrations.Migration):
    dependencies = [("oscar_loyalty", "0026_save_balances_plpgsql")]

    operations = [migrations.RunPython(covering, plain)]
