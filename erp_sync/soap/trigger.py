"""The database trigger that fills the outbox from the journal (PostgreSQL and SQLite).

Installed by migration ``erp_sync.0002_outbox``. SQLite drops a table's
triggers when a migration rebuilds the table (its way of altering columns), so
``ensure_installed`` runs after every ``migrate`` and puts it back if a later
migration of the journal removed it.

Left out of the outbox: ``erp_correction`` entries (they came from the
accounting system) and entries with ``points = 0`` (``activation`` and
``reservation`` always, ``release`` when it hands back exactly what was held):
they move points between the shop's buckets, not what the accounting system
keeps, which is what the customer owns.

It fires once per entry, on PostgreSQL and SQLite alike, and only for
entries that go out: the ``WHEN`` condition is tested without calling the
function. A statement trigger with a transition table (migration
``erp_sync.0006``) cost each of a checkout's single-entry statements about
0.16 ms (``benchmarks/ledger_throughput --profile``); the row trigger costs
about 0.02 ms there, and as much as the statement trigger did in a beat pass
that writes thousands of entries at once. Entries of one statement fire in
the order they were inserted, so the outbox keeps the journal's order.
"""

NAME = "erp_sync_outbox_enqueue"
CONDITION = "NEW.kind <> 'erp_correction' AND NEW.points <> 0"
COLUMNS = (
    "entry_id, account_id, customer_id, key, kind, points, order_number, created_at, "
    "status, attempts, lease_token, last_error"
)


def _select(account):
    return (
        f"SELECT NEW.id, NEW.account_id, a.user_id, NEW.key, NEW.kind, NEW.points, NEW.order_number, "
        f"NEW.created_at, 'pending', 0, '', '' FROM {account} a WHERE a.id = NEW.account_id"
    )


def statements(vendor, *, journal, account, outbox):
    """The SQL that installs the trigger."""
    if vendor == "postgresql":
        return [
            f"""
            CREATE OR REPLACE FUNCTION {NAME}() RETURNS trigger AS $$
            BEGIN
                INSERT INTO {outbox} ({COLUMNS}) {_select(account)};
                RETURN NULL;
            END;
            $$ LANGUAGE plpgsql
            """,
            f"DROP TRIGGER IF EXISTS {NAME} ON {journal}",
            f"CREATE TRIGGER {NAME} AFTER INSERT ON {journal} FOR EACH ROW WHEN ({CONDITION}) "
            f"EXECUTE FUNCTION {NAME}()",
        ]
    if vendor == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {NAME}",
            f"CREATE TRIGGER {NAME} AFTER INSERT ON {journal} FOR EACH ROW WHEN {CONDITION} "
            f"BEGIN INSERT INTO {outbox} ({COLUMNS}) {_select(account)}; END",
        ]
    raise NotImplementedError(f"erp_sync's outbox trigger supports PostgreSQL and SQLite, not {vendor}")


def drop_statements(vendor, *, journal):
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {NAME} ON {journal}", f"DROP FUNCTION IF EXISTS {NAME}()"]
    return [f"DROP TRIGGER IF EXISTS {NAME}"]


def is_installed(connection, journal):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT 1 FROM pg_trigger WHERE tgname = %s AND tgrelid = %s::regclass AND NOT tgisinternal",
                [NAME, journal],
            )
        else:
            cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = %s", [NAME])
        return cursor.fetchone() is not None


def ensure_installed(using="default", **kwargs):
    """Reinstall the trigger if the outbox exists and the trigger does not (a post_migrate receiver)."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder
    from oscar.core.loading import get_model

    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        return
    if not MigrationRecorder(connection).migration_qs.filter(app="erp_sync", name="0002_outbox").exists():
        return
    journal = get_model("oscar_loyalty", "JournalEntry")._meta.db_table
    if is_installed(connection, journal):
        return
    account = get_model("oscar_loyalty", "Account")._meta.db_table
    outbox = get_model("erp_sync", "OutboxMessage")._meta.db_table
    with connection.cursor() as cursor:
        for sql in statements(connection.vendor, journal=journal, account=account, outbox=outbox):
            cursor.execute(sql)
