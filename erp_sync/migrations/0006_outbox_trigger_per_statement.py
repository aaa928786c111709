"""On PostgreSQL the outbox trigger fires once per statement: the same rows, written as one set.

A beat pass writes thousands of journal entries in one statement; a trigger
per row called a function for each of them. What goes out, and in which
order, is unchanged (see ``erp_sync.soap.trigger``). Migration ``0008``
went back to a trigger per row, with the reasons.
"""

from django.db import migrations

from erp_sync.soap import trigger


def _tables(apps):
    return {
        "journal": apps.get_model("oscar_loyalty", "JournalEntry")._meta.db_table,
        "account": apps.get_model("oscar_loyalty", "Account")._meta.db_table,
        "outbox": apps.get_model("erp_sync", "OutboxMessage")._meta.db_table,
    }


# The statement's new entries, as the trigger sees them.
NEW_ENTRIES = "erp_sync_new_entries"


def per_statement(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    tables = _tables(apps)
    # Not aliased NEW: in PL/pgSQL that names the (unset) row variable.
    select = (
        f"SELECT e.id, e.account_id, a.user_id, e.key, e.kind, e.points, e.order_number, "
        f"e.created_at, 'pending', 0, '', '' FROM {NEW_ENTRIES} AS e JOIN {tables['account']} a "
        f"ON a.id = e.account_id WHERE {trigger.CONDITION.replace('NEW.', 'e.')} ORDER BY e.id"
    )
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {trigger.NAME}() RETURNS trigger AS $$
        BEGIN
            INSERT INTO {tables["outbox"]} ({trigger.COLUMNS}) {select};
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql
        """,
        params=None,
    )
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger.NAME} ON {tables['journal']}", params=None)
    schema_editor.execute(
        f"CREATE TRIGGER {trigger.NAME} AFTER INSERT ON {tables['journal']} REFERENCING NEW TABLE AS {NEW_ENTRIES} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {trigger.NAME}()",
        params=None,
    )


def per_row(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in trigger.statements("postgresql", **_tables(apps)):
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("erp_sync", "0005_catalogue")]

    operations = [migrations.RunPython(per_statement, per_row)]
