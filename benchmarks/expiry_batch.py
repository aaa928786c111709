"""The beat task's set-based passes over a million lots: ``activate_matured_lots`` and ``expire_lots``.

Creates the lots with SQL (``generate_series``), ten per account, in a
consistent ledger state: each lot has its accrual entry and each account's
cached balances and next event match its lots. Half of the lots are pending
and due for activation, a quarter are available and past their expiry, the
rest are not due yet (half of them available, half still pending). Then times
the two passes and counts their queries, first on a dataset ten times
smaller, to show that the count does not grow with the number of lots, then
on the full one, and audits the result with ``check_accounts()``.

    python -m benchmarks.expiry_batch [--lots 1000000]

Target: both passes together under 30 s, with a fixed number of queries.
The last line of output is one JSON object with the figures.
"""

import argparse
import re
import time

from benchmarks.common import emit_json, prepare_database, reset_ledger, vacuum_analyze

LOTS_PER_ACCOUNT = 10
TARGET_SECONDS = 30

# Lot n falls in a group by n % 8: 0-3 pending and due for activation, 4-5
# available and past expiry, 6 available and not due, 7 pending and not due.
# Each group's dates, as offsets from now; every lot is also created up to a
# day earlier than its group's base (n % 1440 minutes), so no two share a date.
GROUP_SQL = """
    CASE WHEN n %% 8 < 4 THEN 'pending' WHEN n %% 8 < 7 THEN 'active' ELSE 'pending' END AS status,
    %(now)s - (CASE WHEN n %% 8 < 4 THEN 20 WHEN n %% 8 < 6 THEN 400 WHEN n %% 8 = 6 THEN 100 ELSE 3 END)
        * INTERVAL '1 day' - (n %% 1440) * INTERVAL '1 minute' AS created_at
"""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.expiry_batch", description=__doc__.split("\n")[0])
    parser.add_argument("--lots", type=int, default=1_000_000, help="lots in the full dataset (default 1,000,000)")
    return parser.parse_args(argv)


def tables():
    from django.db import connection
    from oscar.core.loading import get_model

    quote = connection.ops.quote_name
    names = {
        name.lower(): quote(get_model("oscar_loyalty", name)._meta.db_table)
        for name in ("Account", "Lot", "JournalEntry")
    }
    return {**names, "key": quote("key")}


def create_dataset(lot_count, now):
    """``lot_count`` lots over ``lot_count / 10`` accounts, with their accrual entries and cached balances.

    Returns the number of accounts and how many lots each pass should touch.
    """
    from django.db import connection, transaction

    from oscar_loyalty.settings import loyalty_settings

    accounts = max(1, lot_count // LOTS_PER_ACCOUNT)
    t = tables()
    params = {
        "now": now,
        "lots": lot_count,
        "accounts": accounts,
        "hold": loyalty_settings.HOLD_DAYS,
        "expiry": loyalty_settings.EXPIRY_DAYS,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {t['account']} (id, user_id, customer_name, status, available, pending, reserved, debt, "
            f"next_event_at, created_at, updated_at) "
            f"SELECT a, NULL, 'Customer ' || a, 'active', 0, 0, 0, 0, NULL, %(now)s, %(now)s "
            f"FROM generate_series(1, %(accounts)s) AS a",
            params,
        )
        # Lots of one account are consecutive, so each account holds lots of every group.
        cursor.execute(
            f"INSERT INTO {t['lot']} (id, account_id, points, remaining, reversed_points, expired_points, status, "
            f"available_at, expires_at, origin, order_number, order_line, parent_id, created_at) "
            f"SELECT n, (n - 1) * %(accounts)s / %(lots)s + 1, points, points, 0, 0, status, "
            f"created_at + %(hold)s * INTERVAL '1 day', created_at + %(expiry)s * INTERVAL '1 day', "
            f"'order', 'B' || n, '', NULL, created_at "
            f"FROM (SELECT n, 10 + (n * 7919) %% 491 AS points, {GROUP_SQL} "
            f"FROM generate_series(1::bigint, %(lots)s) AS n) AS g",
            params,
        )
        cursor.execute(
            f"INSERT INTO {t['journalentry']} (account_id, kind, points, available_change, pending_change, "
            f"reserved_change, debt_change, lot_id, reservation_id, reversal_id, order_number, {t['key']}, "
            f"fingerprint, actor_id, actor_name, reason, created_at) "
            f"SELECT account_id, 'accrual', points, CASE WHEN status = 'active' THEN points ELSE 0 END, "
            f"CASE WHEN status = 'pending' THEN points ELSE 0 END, 0, 0, id, NULL, NULL, order_number, "
            f"'bench-accrual:' || id, '', NULL, '', 'order', created_at FROM {t['lot']}",
        )
        cursor.execute(
            f"UPDATE {t['account']} SET available = s.available, pending = s.pending, next_event_at = s.next_event_at "
            f"FROM (SELECT account_id, "
            f"SUM(remaining) FILTER (WHERE status = 'active') AS available, "
            f"SUM(remaining) FILTER (WHERE status = 'pending') AS pending, "
            f"MIN(CASE WHEN status = 'pending' THEN available_at ELSE expires_at END) AS next_event_at "
            f"FROM {t['lot']} GROUP BY account_id) AS s WHERE id = s.account_id"
        )
        # Later inserts through the ORM must not collide with the ids given here.
        for table in (t["account"], t["lot"]):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        cursor.execute(
            f"SELECT COUNT(*) FILTER (WHERE status = 'pending' AND available_at <= %(now)s), "
            f"COUNT(*) FILTER (WHERE expires_at <= %(now)s) FROM {t['lot']}",
            params,
        )
        due_activation, due_expiry = cursor.fetchone()
    vacuum_analyze()
    return accounts, due_activation, due_expiry


def run_passes(now):
    """Time the two passes as the beat task runs them; returns their figures."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from oscar_loyalty.ledger import activate_matured_lots, expire_lots

    with CaptureQueriesContext(connection) as activate_queries:
        started = time.perf_counter()
        activated = activate_matured_lots(now)
        activate_seconds = time.perf_counter() - started
    with CaptureQueriesContext(connection) as expire_queries:
        started = time.perf_counter()
        expired = expire_lots(now)
        expire_seconds = time.perf_counter() - started
    return {
        "statements": {
            "activate": [statement_timing(query) for query in activate_queries.captured_queries],
            "expire": [statement_timing(query) for query in expire_queries.captured_queries],
        },
        "activated": activated,
        "expired": expired,
        "activate_seconds": activate_seconds,
        "expire_seconds": expire_seconds,
        "seconds": activate_seconds + expire_seconds,
        "activate_queries": len(activate_queries),
        "expire_queries": len(expire_queries),
        "queries": len(activate_queries) + len(expire_queries),
    }


def statement_timing(query):
    """``(label, seconds)`` of a captured query, the label naming its verb and table."""
    sql = query["sql"]
    verb = sql.split(None, 1)[0].upper()
    match = re.search(r'(?:FROM|INTO|UPDATE)\s+"(\w+)"', sql)
    table = match.group(1).removeprefix("oscar_loyalty_") if match else ""
    return f"{verb} {table}{' FOR UPDATE' if sql.rstrip().endswith('FOR UPDATE') else ''}".strip(), float(query["time"])


def audit(now):
    """``check_accounts()``, plus what it does not cover: nothing left due, and every next event right."""
    from django.db import connection

    from oscar_loyalty import ledger

    t = tables()
    started = time.perf_counter()
    drifts = ledger.check_accounts()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FILTER (WHERE status = 'pending' AND available_at <= %(now)s), "
            f"COUNT(*) FILTER (WHERE status IN ('pending', 'active') AND expires_at <= %(now)s) FROM {t['lot']}",
            {"now": now},
        )
        left_to_activate, left_to_expire = cursor.fetchone()
        cursor.execute(
            f"SELECT COUNT(*) FROM {t['account']} AS a LEFT JOIN (SELECT account_id, "
            f"MIN(CASE WHEN status = 'pending' THEN available_at ELSE expires_at END) AS next_event_at "
            f"FROM {t['lot']} WHERE status IN ('pending', 'active') AND remaining > 0 GROUP BY account_id) AS s "
            f"ON s.account_id = a.id WHERE a.next_event_at IS DISTINCT FROM s.next_event_at"
        )
        (wrong_next_event,) = cursor.fetchone()
    return {
        "drifts": len(drifts),
        "drift_examples": [str(drift) for drift in drifts[:3]],
        "left_to_activate": left_to_activate,
        "left_to_expire": left_to_expire,
        "wrong_next_event": wrong_next_event,
        "audit_seconds": time.perf_counter() - started,
    }


def measure(lot_count):
    from django.utils import timezone

    reset_ledger()
    now = timezone.now()
    started = time.perf_counter()
    accounts, due_activation, due_expiry = create_dataset(lot_count, now)
    print(
        f"{lot_count:,} lots over {accounts:,} accounts created in {time.perf_counter() - started:.1f} s "
        f"({due_activation:,} due for activation, {due_expiry:,} past expiry)"
    )
    figures = run_passes(now)
    print(
        f"  activate_matured_lots: {figures['activated']:,} lots in {figures['activate_seconds']:.2f} s, "
        f"{figures['activate_queries']} queries"
    )
    print(
        f"  expire_lots:           {figures['expired']:,} lots in {figures['expire_seconds']:.2f} s, "
        f"{figures['expire_queries']} queries"
    )
    for name in ("activate", "expire"):
        timings = ", ".join(f"{label} {seconds:.2f}" for label, seconds in figures["statements"][name])
        print(f"    {name}, seconds per statement: {timings}")
    checks = audit(now)
    print(
        f"  audit ({checks['audit_seconds']:.1f} s): check_accounts() {checks['drifts']} drifting accounts; "
        f"still due: {checks['left_to_activate']} to activate, {checks['left_to_expire']} to expire; "
        f"wrong next event: {checks['wrong_next_event']} accounts"
    )
    for example in checks["drift_examples"]:
        print(f"    {example}")
    figures.update(checks, lots=lot_count, accounts=accounts)
    figures["complete"] = figures["activated"] == due_activation and figures["expired"] == due_expiry
    if not figures["complete"]:
        print(f"  INCOMPLETE: expected {due_activation:,} activated and {due_expiry:,} expired")
    return figures


def main(argv=None):
    args = parse_args(argv)
    prepare_database()
    small = measure(max(LOTS_PER_ACCOUNT, args.lots // 10))
    full = measure(args.lots)
    reset_ledger()

    constant = small["queries"] == full["queries"]
    print(
        f"\nQueries (BEGIN and COMMIT included): {small['queries']} for {small['lots']:,} lots, "
        f"{full['queries']} for {full['lots']:,} lots "
        f"({'constant' if constant else 'NOT constant'})"
    )
    met = full["seconds"] < TARGET_SECONDS and constant
    print(f"Target: both passes under {TARGET_SECONDS} s with a constant query count -> {'met' if met else 'NOT met'}")
    emit_json(
        {
            "lots": full["lots"],
            "seconds": round(full["seconds"], 2),
            "activate_seconds": round(full["activate_seconds"], 2),
            "expire_seconds": round(full["expire_seconds"], 2),
            "queries": full["queries"],
            "queries_small": small["queries"],
            "lots_small": small["lots"],
            "seconds_small": round(small["seconds"], 2),
            "activated": full["activated"],
            "expired": full["expired"],
            "accounts": full["accounts"],
            "drifts": full["drifts"] + small["drifts"],
            "complete": full["complete"] and small["complete"],
            "wrong_next_event": full["wrong_next_event"] + small["wrong_next_event"],
            "statement_seconds": {
                name: [[label, round(seconds, 2)] for label, seconds in timings]
                for name, timings in full["statements"].items()
            },
        }
    )


if __name__ == "__main__":
    main()
