"""What every benchmark needs: a PostgreSQL database of its own, Django set up on it, a JSON result.

Nothing here imports Django models at module level, so worker processes
started with ``spawn`` can import it before calling :func:`setup_django`.
"""

import json
import math
import os
import sys
from urllib.parse import unquote, urlparse

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/loyalty_bench"
SETTINGS_MODULE = "tests.settings"


def database_url():
    """The benchmark database's URL: ``DATABASE_URL`` or the local default."""
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def server_params(url):
    """Connection parameters of the server behind ``url`` (host, port, user, password, dbname)."""
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise SystemExit(
            f"The benchmarks measure PostgreSQL only; DATABASE_URL={url!r} is not a PostgreSQL URL.\n"
            f"Run them with e.g. DATABASE_URL={DEFAULT_DATABASE_URL}"
        )
    return {
        "host": parsed.hostname or "127.0.0.1",
        "port": parsed.port or 5432,
        "user": unquote(parsed.username or "postgres"),
        "password": unquote(parsed.password or ""),
        "dbname": unquote(parsed.path.lstrip("/")) or "loyalty_bench",
    }


def ensure_database(url, dbname=None):
    """Create the database ``url`` names (or ``dbname`` on its server) unless it exists.

    Connects to the server's ``postgres`` database to do so.
    """
    import psycopg
    from psycopg import sql

    params = server_params(url)
    dbname = dbname or params["dbname"]
    del params["dbname"]
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))


def setup_django(url=None):
    """Point ``tests.settings`` at the benchmark database and set Django up; returns the URL.

    Refuses anything but PostgreSQL: row locks and concurrent transactions
    are what is measured, and SQLite has neither.
    """
    url = url or database_url()
    server_params(url)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    import django
    from django.conf import settings

    django.setup()
    # The ledger is what is measured: customers' e-mails and SMS about their
    # points are a separate outbox with its own delivery, so they are off.
    settings.OSCAR_LOYALTY_NOTIFICATION_CHANNELS = ()
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit(f"The benchmarks need PostgreSQL, the settings gave {connection.vendor}.")
    return url


def prepare_database():
    """Create the benchmark database if needed, set Django up on it and migrate quietly."""
    url = database_url()
    ensure_database(url)
    setup_django(url)
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    return url


def ledger_tables():
    """The ledger's tables, children first, as ``TRUNCATE`` wants to name them."""
    from oscar.core.loading import get_model

    names = ["JournalEntry", "Allocation", "Reversal", "Reservation", "Lot", "Account"]
    return [get_model("oscar_loyalty", name)._meta.db_table for name in names]


def reset_ledger(*, users=False):
    """Empty the ledger's tables (and the customers, if ``users``) and restart their ids."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    tables = ledger_tables()
    if users:
        tables.append(get_user_model()._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(table) for table in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")


def vacuum_analyze(tables=None):
    """Bring ``tables`` (default: the ledger's) to the state autovacuum keeps a live database in."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables or ledger_tables():
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")


def percentile(values, fraction):
    """The nearest-rank percentile of ``values`` (``fraction`` in [0, 1]); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def rounded(value, places=1):
    return None if value is None else round(value, places)


def emit_json(figures):
    """Print the figures as the output's last line: one JSON object, for scripts to read."""
    sys.stdout.flush()
    print(json.dumps(figures, sort_keys=False), flush=True)
