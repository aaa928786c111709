"""On PostgreSQL, the database itself refuses to change or delete journal entries and reversals."""

from django.db import migrations

TABLES = ("oscar_loyalty_journalentry", "oscar_loyalty_reversal")

FUNCTION = """
CREATE OR REPLACE FUNCTION oscar_loyalty_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger table % is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION oscar_loyalty_refuse_change()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS oscar_loyalty_refuse_change()")


class Migration(migrations.Migration):
    dependencies = [("oscar_loyalty", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
