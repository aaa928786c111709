"""The KPI page on a big program: 1,000,000 accounts and 10,000,000 journal entries over 24 months.

Generates the accounts (each with a customer, a fifth of them with a tier)
and the journal with SQL (``INSERT ... SELECT generate_series``, the
journal's secondary indexes and foreign keys dropped around the load and
built again after), rolls the journal up as the beat task does (and vacuums
the roll-ups' tables, as autovacuum does after it), adds above the watermark
the entries written between two runs of that task (its interval in
``BEAT_SCHEDULE``), then times the KPI page for the last 12 months through
Django's test client, and in the same run one bare ``SELECT sum(points)``
over the journal as the anchor. The page's figures are
asserted equal to those computed straight from the journal, and
``loyalty_check``'s roll-up verification must find nothing.

    python -m benchmarks.kpi_report [--accounts 1000000] [--entries 10000000] [--months 24]

Needs PostgreSQL (``DATABASE_URL``, default a ``loyalty_bench_kpis``
database on the local server). Target: the page costs at most a tenth of
the full scan (``ratio`` ≤ 0.1). The last line of output is one JSON object
with the figures.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta

from benchmarks.common import emit_json, ensure_database, rounded, setup_django, vacuum_analyze

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/loyalty_bench_kpis"
TARGET_RATIO = 0.1
TIMED_RUNS = 5
# The roll-ups' tables and their watermark.
ROLLUP_MODELS = ("MovementRollup", "AccountMonth", "ParticipationRollup", "NewAccountRollup", "RollupWatermark")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.kpi_report", description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=1_000_000, help="accounts (default 1,000,000)")
    parser.add_argument("--entries", type=int, default=10_000_000, help="journal entries (default 10,000,000)")
    parser.add_argument("--months", type=int, default=24, help="months the entries span, up to now (default 24)")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the accounts and journal a previous run of the same size generated"
    )
    return parser.parse_args(argv)


def log(message):
    print(message, file=sys.stderr, flush=True)


def execute(sql, params=None):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def db_table(name):
    from oscar.core.loading import get_model

    return get_model("oscar_loyalty", name)._meta.db_table


def table(name):
    from django.db import connection

    return connection.ops.quote_name(db_table(name))


def generate(accounts, entries, months):
    """Customers, accounts, tiers and the journal, with SQL; returns the seconds it took."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    started = time.perf_counter()
    users_table = get_user_model()._meta.db_table
    users = connection.ops.quote_name(users_table)
    journal = table("JournalEntry")
    rolled_up = [table(name) for name in ROLLUP_MODELS]
    execute(
        f"TRUNCATE {journal}, {table('Allocation')}, {table('Reversal')}, {table('Reservation')}, {table('Lot')}, "
        f"{table('Account')}, {table('CustomerTier')}, {', '.join(rolled_up)}, {users} "
        "RESTART IDENTITY CASCADE"
    )
    execute("SET maintenance_work_mem = '512MB'")
    log(f"customers and accounts: {accounts:,}")
    execute(
        f"INSERT INTO {users} (password, is_superuser, username, first_name, last_name, email, is_staff, is_active, "
        "date_joined) SELECT '!', false, 'bench-' || g, 'Иван', 'Петров' || g, 'c' || g || '@example.com', false, "
        "true, now() FROM generate_series(1, %s) g",
        [accounts],
    )
    execute(
        f"INSERT INTO {table('Account')} (user_id, customer_name, status, available, pending, reserved, debt, "
        "created_at, updated_at) SELECT id, first_name || ' ' || last_name, 'active', 0, 0, 0, 0, now(), now() "
        f"FROM {users}"
    )
    execute(
        f"INSERT INTO {table('CustomerTier')} (user_id, tier_id, pinned_tier_id, pinned_until, pinned_by, volume, "
        f"last_purchase_at, updated_at) SELECT u.id, (SELECT id FROM {table('Tier')} ORDER BY threshold OFFSET 1 "
        "LIMIT 1), NULL, NULL, '', 50000, now(), now() "
        f"FROM {users} u WHERE u.id % 5 = 0"
    )

    # The journal's indexes and foreign keys but the primary key are built once, after the load; what is built
    # comes from the model, so a run stopped halfway leaves nothing missing for the next one.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype IN ('u', 'f')", [journal]
        )
        constraints = [name for (name,) in cursor.fetchall()]
        cursor.execute(
            "SELECT i.indexrelid::regclass::text FROM pg_index i "
            "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [journal],
        )
        indexes = [name for (name,) in cursor.fetchall()]
    for name in constraints:
        execute(f'ALTER TABLE {journal} DROP CONSTRAINT "{name}"')
    for name in indexes:
        execute(f"DROP INDEX {name}")

    log(f"journal: {entries:,} entries over {months} months")
    # The load is not the ledger's traffic: no outbox message per entry for the accounting system.
    execute("SET session_replication_role = replica")
    # Entry g is dated in order over the months up to a few hours ago, for the account g spreads to; its kind
    # comes from g too: half accruals (pending), the rest activations, spending, expiries, adjustments either
    # way, restorations and reversals, with the bucket changes each kind makes.
    execute(
        f"""
        INSERT INTO {journal} (account_id, kind, points, available_change, pending_change, reserved_change,
                               debt_change, order_number, key, fingerprint, actor_name, reason, created_at)
        SELECT 1 + (g * 7919) %% %(accounts)s, k.kind, k.points, k.available, k.pending, 0, 0, '', 'bench-' || g,
               '', '', '', now() - interval '3 hours' - (%(entries)s - g) * %(step)s * interval '1 second'
        FROM generate_series(1::bigint, %(entries)s) g
        CROSS JOIN LATERAL (SELECT 10 + g %% 490 AS p, g %% 20 AS slot) v
        CROSS JOIN LATERAL (SELECT
            CASE WHEN slot < 10 THEN 'accrual' WHEN slot < 13 THEN 'activation' WHEN slot < 16 THEN 'redemption'
                 WHEN slot = 16 THEN 'expiry' WHEN slot = 17 THEN 'adjustment' WHEN slot = 18 THEN 'restoration'
                 ELSE 'reversal' END AS kind,
            CASE WHEN slot < 10 THEN p WHEN slot < 13 THEN 0 WHEN slot < 17 THEN -p
                 WHEN slot = 17 THEN CASE WHEN g %% 3 = 0 THEN -p ELSE p END
                 WHEN slot = 18 THEN p ELSE -p END AS points,
            CASE WHEN slot < 10 THEN 0 WHEN slot < 13 THEN p WHEN slot < 17 THEN -p
                 WHEN slot = 17 THEN CASE WHEN g %% 3 = 0 THEN -p ELSE p END
                 WHEN slot = 18 THEN p ELSE -p END AS available,
            CASE WHEN slot < 10 THEN p WHEN slot < 13 THEN -p ELSE 0 END AS pending
        ) k
        """,
        {"accounts": accounts, "entries": entries, "step": months * 30.4 * 86400 / entries},
    )
    execute("SET session_replication_role = DEFAULT")
    log("journal: indexes and foreign keys")
    build_journal_indexes()
    vacuum_analyze([db_table(name) for name in ("Account", "CustomerTier", "JournalEntry")] + [users_table])
    return time.perf_counter() - started


def build_journal_indexes():
    """The journal's indexes, unique constraints and foreign keys as its model declares them."""
    from django.db import connection, models
    from oscar.core.loading import get_model

    model = get_model("oscar_loyalty", "JournalEntry")
    with connection.schema_editor(atomic=False) as editor:
        for statement in editor._model_indexes_sql(model):
            editor.execute(statement)
        for constraint in model._meta.constraints:
            if isinstance(constraint, models.UniqueConstraint):
                editor.add_constraint(model, constraint)
        for field in model._meta.local_concrete_fields:
            if field.remote_field and field.db_constraint:
                editor.execute(editor._create_fk_sql(model, field, "_fk_%(to_table)s_%(to_column)s"))


def since_last_roll_up(entries, months):
    """The roll-up beat task's interval, and the entries a journal of ``entries`` over ``months`` gains in it."""
    from oscar_loyalty.tasks import BEAT_SCHEDULE

    interval = BEAT_SCHEDULE["loyalty-roll-up-journal"]["schedule"]
    return interval, max(1, round(entries * (interval / timedelta(days=months * 365.25 / 12))))


def add_recent(count, accounts, interval):
    """``count`` entries over the last ``interval``, above the watermark: what the page reads of the journal."""
    execute(
        f"INSERT INTO {table('JournalEntry')} (account_id, kind, points, available_change, pending_change, "
        "reserved_change, debt_change, order_number, key, fingerprint, actor_name, reason, created_at) "
        "SELECT 1 + (g * 104729) %% %(accounts)s, 'accrual', 25, 0, 25, 0, 0, '', "
        "'recent-' || extract(epoch FROM now()) || '-' || g, '', '', '', "
        "now() - %(interval)s * (1 - g::float8 / %(count)s) FROM generate_series(0, %(count)s - 1) g",
        {"accounts": accounts, "count": count, "interval": interval},
    )


def time_page(client, url):
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    return elapsed


def time_full_scan():
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT sum(points) FROM {table('JournalEntry')}")
        cursor.fetchone()
    return time.perf_counter() - started


def main(argv=None):
    args = parse_args(argv)
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    ensure_database(url)
    setup_django(url)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse
    from django.utils import timezone
    from oscar.core.loading import get_model

    call_command("migrate", interactive=False, verbosity=0)
    setup_test_environment()
    from oscar_loyalty.dashboard import kpis
    from oscar_loyalty.reporting import rollups, tallies
    from tests.reporting.journal_figures import figures_of, straight_from_journal

    Account = get_model("oscar_loyalty", "Account")
    JournalEntry = get_model("oscar_loyalty", "JournalEntry")
    generate_seconds = None
    if not (args.reuse and Account.objects.count() == args.accounts and JournalEntry.objects.count() >= args.entries):
        generate_seconds = generate(args.accounts, args.entries, args.months)
        log(f"generated in {generate_seconds:.0f} s")
    log("rolling the journal up")
    started = time.perf_counter()
    run = rollups.roll_up(wait_seconds=60)
    rollup_seconds = time.perf_counter() - started
    assert run is not None and not run.waiting and run.journal_id >= args.entries, run
    # The roll-up tables as autovacuum leaves them after a roll-up (this server's may be off): analyzed, their
    # pages marked all-visible. A table never analyzed is planned blind, and one never vacuumed makes every
    # index-only probe read the table too.
    vacuum_analyze([db_table(name) for name in ROLLUP_MODELS])
    interval, recent = since_last_roll_up(args.entries, args.months)
    add_recent(recent, args.accounts, interval)
    entries = JournalEntry.objects.count()

    staff = get_user_model().objects.filter(
        username="bench-staff"
    ).first() or get_user_model().objects.create_superuser("bench-staff", "staff@example.com", "bench-staff-pass")
    client = Client()
    client.force_login(staff)
    page = reverse("loyalty-dashboard:loyalty-kpis")  # the last 12 months unless chosen
    log("timing the page and the full scan")
    time_page(client, page)  # warms the caches, as a page opened daily finds them
    time_full_scan()
    page_times, scan_times = [], []
    for _ in range(TIMED_RUNS):
        page_times.append(time_page(client, page))
        scan_times.append(time_full_scan())
    with CaptureQueriesContext(connection) as queries:
        time_page(client, page)
    page_seconds, scan_seconds = statistics.median(page_times), statistics.median(scan_times)

    log("checking the figures against the journal, and the tier counts against the accounts")
    period = kpis.Period.last_months(12)
    assert figures_of(kpis.build_report(period)) == straight_from_journal(period), "the page's figures are wrong"
    now = timezone.now()
    tallied, counted = kpis._tallied_counts(now), kpis._counted(now)
    assert {k: v for k, v in tallied.items() if v} == {k: v for k, v in counted.items() if v}, (tallied, counted)
    started = time.perf_counter()
    problems = rollups.verify_rollups() + tallies.verify_tallies()
    verify_seconds = time.perf_counter() - started
    assert problems == [], problems

    ratio = page_seconds / scan_seconds
    emit_json(
        {
            "accounts": args.accounts,
            "entries": entries,
            "page_seconds": rounded(page_seconds, 4),
            "full_scan_seconds": rounded(scan_seconds, 4),
            "ratio": rounded(ratio, 3),
            "queries": len(queries),
            "entries_above_watermark": recent,
            "rollup_interval_seconds": interval.total_seconds(),
            "generate_seconds": rounded(generate_seconds),
            "rollup_seconds": rounded(rollup_seconds),
            "verify_seconds": rounded(verify_seconds),
            "target_ratio": TARGET_RATIO,
            "meets_target": ratio <= TARGET_RATIO,
        }
    )


if __name__ == "__main__":
    main()
