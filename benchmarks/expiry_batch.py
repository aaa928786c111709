"""The beat's passes over a million lots, against the bare SQL floor: ``activate_matured_lots`` and ``expire_lots``.

Creates the lots with SQL (``generate_series``), ten per account, in a
consistent ledger state: each lot has its accrual entry and each account's
cached balances and next event match its lots. Half of the lots are pending
and due for activation, a quarter are available and past their expiry, the
rest are not due yet (half of them available, half still pending). A sample
of the accounts (``--customers``) belong to customers.

In the same run, on the same data:

- the anchor: the same rows written in bare SQL on a minimal schema (primary
  keys only), a journal entry per lot, the lot updates and the account
  updates, one transaction per pass;
- the two passes, as the beat task runs them, while 4 clients call
  ``reserve`` for those customers (a checkout each, paced a few milliseconds
  apart); every customer has a lot due, so each waits whenever the pass
  holds their account. The same clients run a few seconds before the
  passes start, for as many other customers whose lots are due, for the
  machine's own latency (``reserve_p99_idle_ms``);
- from the passes' own statements, how long each chunk held its accounts
  locked (lock statement start to commit), and the statements per chunk,
  first on a dataset ten times smaller, to show that it does not grow with
  the number of lots;
- an audit: ``check_accounts()``, nothing left due, every next event right,
  and each due lot activated or expired exactly once (by the pass or by a
  customer's own settlement).

    python -m benchmarks.expiry_batch [--lots 1000000]

Targets: passes / anchor <= 2, no account locked longer than 1,000 ms,
``reserve`` p99 <= 100 ms, the same statements per chunk at both sizes.
The last line of output is one JSON object with the figures.
"""

import argparse
import logging
import random
import re
import threading
import time

from benchmarks.common import emit_json, percentile, prepare_database, reset_ledger, rounded, vacuum_analyze

LOTS_PER_ACCOUNT = 10
CUSTOMERS = 1000
CLIENTS = 4
# A client's pause between two checkouts: a busy shop, not a load test.
CLIENT_PAUSE_SECONDS = 0.01
BASELINE_SECONDS = 3
TARGET_RATIO = 2
TARGET_LOCK_MS = 1000
TARGET_RESERVE_P99_MS = 100
FLOOR_SCHEMA = "expiry_floor"

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
    parser.add_argument(
        "--customers",
        type=int,
        default=CUSTOMERS,
        help=f"customers checking out during the passes, and as many before them (default {CUSTOMERS})",
    )
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
    return accounts, due_activation, due_expiry


def give_accounts_to_customers(accounts, count):
    """Hand ``count`` accounts, spread over the whole range, to new customers; returns the customers' ids."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    User = get_user_model()
    count = min(count, accounts)
    User.objects.filter(username__startswith="bench-expiry-").delete()
    users = User.objects.bulk_create(
        [User(username=f"bench-expiry-{n}", email=f"b{n}@example.com") for n in range(count)]
    )
    step = accounts // count
    t = tables()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {t['account']} SET user_id = u.user_id FROM unnest(%s::bigint[], %s::bigint[]) AS u(id, user_id) "
            f"WHERE {t['account']}.id = u.id",
            [[1 + n * step for n in range(count)], [user.pk for user in users]],
        )
    return [user.pk for user in users]


# --- The anchor: the same rows in bare SQL on a minimal schema ------------------


def copy_floor():
    """The ledger's accounts and lots, copied to tables with only the columns the floor needs and primary keys."""
    from django.db import connection

    t = tables()
    f = FLOOR_SCHEMA
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {f} CASCADE")
        cursor.execute(f"CREATE SCHEMA {f}")
        cursor.execute(
            f"CREATE TABLE {f}.account AS SELECT id, available, pending, updated_at FROM {t['account']}; "
            f"ALTER TABLE {f}.account ADD PRIMARY KEY (id)"
        )
        cursor.execute(
            f"CREATE TABLE {f}.lot AS SELECT id, account_id, remaining, expired_points, status, available_at, "
            f"expires_at FROM {t['lot']}; ALTER TABLE {f}.lot ADD PRIMARY KEY (id)"
        )
        cursor.execute(
            f"CREATE TABLE {f}.entry (id bigserial PRIMARY KEY, account_id bigint NOT NULL, lot_id bigint NOT NULL, "
            f"kind varchar(32) NOT NULL, points bigint NOT NULL, available_change bigint NOT NULL, "
            f"pending_change bigint NOT NULL, created_at timestamptz NOT NULL)"
        )
        for table in ("account", "lot", "entry"):
            cursor.execute(f"VACUUM ANALYZE {f}.{table}")


def run_floor(now):
    """Time the bare-SQL floor: per pass, one transaction of an entry per lot, the lots and the accounts."""
    from django.db import connection, transaction

    f = FLOOR_SCHEMA
    activation = "status = 'pending' AND available_at <= %(now)s"
    expiry = "status IN ('pending', 'active') AND expires_at <= %(now)s"
    passes = {
        "activate": [
            f"INSERT INTO {f}.entry (account_id, lot_id, kind, points, available_change, pending_change, created_at) "
            f"SELECT account_id, id, 'activation', 0, remaining, -remaining, available_at FROM {f}.lot "
            f"WHERE {activation} AND remaining > 0",
            f"UPDATE {f}.account SET available = available + s.points, pending = pending - s.points, "
            f"updated_at = %(now)s FROM (SELECT account_id, SUM(remaining) AS points FROM {f}.lot "
            f"WHERE {activation} GROUP BY account_id) AS s WHERE id = s.account_id",
            f"UPDATE {f}.lot SET status = 'active' WHERE {activation}",
        ],
        "expire": [
            f"INSERT INTO {f}.entry (account_id, lot_id, kind, points, available_change, pending_change, created_at) "
            f"SELECT account_id, id, 'expiry', -remaining, CASE WHEN status = 'active' THEN -remaining ELSE 0 END, "
            f"CASE WHEN status = 'pending' THEN -remaining ELSE 0 END, expires_at FROM {f}.lot "
            f"WHERE {expiry} AND remaining > 0",
            f"UPDATE {f}.account AS a SET available = a.available - s.available, pending = a.pending - s.pending, "
            f"updated_at = %(now)s FROM (SELECT account_id, "
            f"SUM(CASE WHEN status = 'active' THEN remaining ELSE 0 END) AS available, "
            f"SUM(CASE WHEN status = 'pending' THEN remaining ELSE 0 END) AS pending "
            f"FROM {f}.lot WHERE {expiry} AND remaining > 0 GROUP BY account_id) AS s WHERE a.id = s.account_id",
            f"UPDATE {f}.lot SET expired_points = expired_points + remaining, remaining = 0, status = 'expired' "
            f"WHERE {expiry}",
        ],
    }
    seconds = {}
    for name, statements in passes.items():
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement, {"now": now})
        seconds[name] = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA {f} CASCADE")
    return seconds


# --- The passes, with customers checking out meanwhile -----------------------


class StatementLog(logging.Handler):
    """The main connection's statements as they end: ``(monotonic end, seconds, sql)``."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.statements = []

    def emit(self, record):
        self.statements.append((time.monotonic(), record.duration, record.sql))

    def __enter__(self):
        logger = logging.getLogger("django.db.backends")
        self.saved = logger.level, logger.propagate
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        logger.addHandler(self)
        return self

    def __exit__(self, *exc):
        logger = logging.getLogger("django.db.backends")
        logger.removeHandler(self)
        logger.setLevel(self.saved[0])
        logger.propagate = self.saved[1]


def chunks_of(statements):
    """Each chunk's transaction: ``(statements, milliseconds its accounts were locked)``.

    Locked from the start of the first statement after ``BEGIN`` (the one
    that takes the locks, waiting included) to the end of ``COMMIT``.
    """
    chunks, current = [], None
    for ended, seconds, sql in statements:
        if sql == "BEGIN":
            current = [(ended, seconds, sql)]
        elif current is not None:
            current.append((ended, seconds, sql))
            if sql in ("COMMIT", "ROLLBACK"):
                first_ended, first_seconds, _sql = current[1]
                chunks.append((len(current), (ended - (first_ended - first_seconds)) * 1000))
                current = None
    return chunks


class Checkouts:
    """``CLIENTS`` threads reserving points for the customers, each on its own connection, until stopped."""

    def __init__(self, customers, name):
        self.customers = customers
        self.name = name
        self.latencies = []
        self.refused = 0
        self.errors = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.client, args=(n,)) for n in range(CLIENTS)]

    def client(self, n):
        from django.db import connection

        from oscar_loyalty import ledger

        rng = random.Random(n)
        done = 0
        try:
            while not self.stop.is_set():
                customer = rng.choice(self.customers)
                started = time.perf_counter()
                try:
                    ledger.reserve(
                        customer, 1, key=f"bench-{self.name}-{n}-{done}", order_number=f"{self.name}-{n}-{done}"
                    )
                except ledger.InsufficientPoints:
                    self.refused += 1
                self.latencies.append((time.perf_counter() - started) * 1000)
                done += 1
                time.sleep(CLIENT_PAUSE_SECONDS)
        except Exception as exc:  # reported, and fails the run
            self.errors.append(repr(exc))
        finally:
            connection.close()

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join()


def run_passes(now, customers):
    """Time the two passes as the beat task runs them, with checkouts going on; returns their figures."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from oscar_loyalty.ledger import activate_matured_lots, expire_lots

    figures = {}
    # The same checkouts with no pass running, for other customers whose lots are due as well: what the
    # machine itself gives.
    with Checkouts(customers[1::2], "baseline") as checkouts:
        time.sleep(0.5)  # the clients connected and running
        checkouts.latencies.clear()
        time.sleep(BASELINE_SECONDS)
        baseline = list(checkouts.latencies)
    with Checkouts(customers[::2], "checkout") as checkouts:
        time.sleep(0.5)
        checkouts.latencies.clear()
        for name, run in (("activate", activate_matured_lots), ("expire", expire_lots)):
            with StatementLog() as log, CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                figures[name] = run(now)
                figures[f"{name}_seconds"] = time.perf_counter() - started
            figures[f"{name}_queries"] = len(queries)
            figures[f"{name}_statements"] = [statement_timing(query) for query in queries.captured_queries]
            figures[f"{name}_chunks"] = chunks_of(log.statements)
        latencies = list(checkouts.latencies)
    chunks = figures["activate_chunks"] + figures["expire_chunks"]
    figures.update(
        seconds=figures["activate_seconds"] + figures["expire_seconds"],
        queries=figures["activate_queries"] + figures["expire_queries"],
        chunks=len(chunks),
        queries_per_chunk=sorted({size for size, _ms in chunks}),
        max_lock_ms=max((ms for _size, ms in chunks), default=0),
        reserves=len(latencies),
        reserves_refused=checkouts.refused,
        reserve_errors=checkouts.errors,
        reserve_p50_ms=percentile(latencies, 0.5),
        reserve_p99_ms=percentile(latencies, 0.99),
        reserve_max_ms=max(latencies, default=None),
        reserve_p99_idle_ms=percentile(baseline, 0.99),
        reserve_p50_idle_ms=percentile(baseline, 0.5),
    )
    return figures


def statement_timing(query):
    """``(label, seconds)`` of a captured query, the label naming its verb and table."""
    sql = query["sql"]
    verb = sql.split(None, 1)[0].upper()
    match = re.search(r'(?:FROM|INTO|UPDATE)\s+"(\w+)"', sql)
    table = match.group(1).removeprefix("oscar_loyalty_") if match else ""
    return f"{verb} {table}{' FOR UPDATE' if sql.rstrip().endswith('FOR UPDATE') else ''}".strip(), float(query["time"])


def summed_timings(timings):
    """Seconds per statement label, summed over the chunks, in first-seen order."""
    summed = {}
    for label, seconds in timings:
        summed[label] = summed.get(label, 0) + seconds
    return summed


def audit(now):
    """``check_accounts()``, plus what it does not cover: nothing left due, every next event right, each lot once."""
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
        cursor.execute(
            f"SELECT COUNT(*) FILTER (WHERE kind = 'activation'), COUNT(*) FILTER (WHERE kind = 'expiry') "
            f"FROM {t['journalentry']}"
        )
        activation_entries, expiry_entries = cursor.fetchone()
    return {
        "drifts": len(drifts),
        "drift_examples": [str(drift) for drift in drifts[:3]],
        "left_to_activate": left_to_activate,
        "left_to_expire": left_to_expire,
        "wrong_next_event": wrong_next_event,
        "activation_entries": activation_entries,
        "expiry_entries": expiry_entries,
        "audit_seconds": time.perf_counter() - started,
    }


def measure(lot_count, customer_count):
    from django.utils import timezone

    reset_ledger(users=True)
    now = timezone.now()
    started = time.perf_counter()
    accounts, due_activation, due_expiry = create_dataset(lot_count, now)
    customers = give_accounts_to_customers(accounts, 2 * customer_count)
    vacuum_analyze()
    print(
        f"{lot_count:,} lots over {accounts:,} accounts ({len(customers):,} of them customers checking out) "
        f"created in {time.perf_counter() - started:.1f} s "
        f"({due_activation:,} due for activation, {due_expiry:,} past expiry)"
    )
    copy_floor()
    floor = run_floor(now)
    anchor = floor["activate"] + floor["expire"]
    print(
        f"  anchor (bare SQL, minimal schema): activation {floor['activate']:.2f} s, "
        f"expiry {floor['expire']:.2f} s, {anchor:.2f} s"
    )
    figures = run_passes(now, customers)
    for name, label in (("activate", "activate_matured_lots"), ("expire", "expire_lots")):
        chunks = figures[f"{name}_chunks"]
        print(
            f"  {label + ':':22} {figures[name]:,} lots in {figures[f'{name}_seconds']:.2f} s, "
            f"{len(chunks)} chunks, {figures[f'{name}_queries']} queries, "
            f"longest lock {max((ms for _size, ms in chunks), default=0):.0f} ms"
        )
        timings = ", ".join(
            f"{label} {seconds:.2f}" for label, seconds in summed_timings(figures[f"{name}_statements"]).items()
        )
        print(f"    seconds per statement, summed: {timings}")
    print(
        f"  reserve, {CLIENTS} clients during the passes: {figures['reserves']:,} calls, "
        f"p50 {rounded(figures['reserve_p50_ms'])} ms, p99 {rounded(figures['reserve_p99_ms'])} ms, "
        f"max {rounded(figures['reserve_max_ms'])} ms, {figures['reserves_refused']} refused, "
        f"errors: {figures['reserve_errors'] or 'none'}; with no pass running: "
        f"p50 {rounded(figures['reserve_p50_idle_ms'])} ms, p99 {rounded(figures['reserve_p99_idle_ms'])} ms"
    )
    checks = audit(now)
    print(
        f"  audit ({checks['audit_seconds']:.1f} s): check_accounts() {checks['drifts']} drifting accounts; "
        f"still due: {checks['left_to_activate']} to activate, {checks['left_to_expire']} to expire; "
        f"wrong next event: {checks['wrong_next_event']} accounts; entries: {checks['activation_entries']:,} "
        f"activations, {checks['expiry_entries']:,} expiries"
    )
    for example in checks["drift_examples"]:
        print(f"    {example}")
    figures.update(checks, lots=lot_count, accounts=accounts, anchor_seconds=anchor, floor=floor)
    figures["ratio"] = figures["seconds"] / anchor
    figures["complete"] = (
        checks["activation_entries"] == due_activation
        and checks["expiry_entries"] == due_expiry
        and checks["left_to_activate"] == checks["left_to_expire"] == 0
        and not figures["reserve_errors"]
    )
    if not figures["complete"]:
        print(f"  INCOMPLETE: expected {due_activation:,} activations and {due_expiry:,} expiries, once each")
    return figures


def main(argv=None):
    args = parse_args(argv)
    prepare_database()
    small = measure(max(LOTS_PER_ACCOUNT, args.lots // 10), max(1, args.customers // 10))
    full = measure(args.lots, args.customers)
    reset_ledger()

    constant = len(full["queries_per_chunk"]) == 1 and small["queries_per_chunk"] == full["queries_per_chunk"]
    print(
        f"\nStatements per chunk (BEGIN and COMMIT included): {small['queries_per_chunk']} over {small['chunks']} "
        f"chunks for {small['lots']:,} lots, {full['queries_per_chunk']} over {full['chunks']} chunks for "
        f"{full['lots']:,} lots ({'constant' if constant else 'NOT constant'})"
    )
    met = (
        full["ratio"] <= TARGET_RATIO
        and full["max_lock_ms"] <= TARGET_LOCK_MS
        and full["reserve_p99_ms"] is not None
        and full["reserve_p99_ms"] <= TARGET_RESERVE_P99_MS
        and constant
        and full["complete"]
        and small["complete"]
    )
    print(
        f"Targets: passes {full['seconds']:.1f} s / anchor {full['anchor_seconds']:.1f} s = {full['ratio']:.2f} "
        f"(<= {TARGET_RATIO}), longest lock {full['max_lock_ms']:.0f} ms (<= {TARGET_LOCK_MS}), reserve p99 "
        f"{rounded(full['reserve_p99_ms'])} ms (<= {TARGET_RESERVE_P99_MS}), constant statements per chunk "
        f"-> {'met' if met else 'NOT met'}"
    )
    emit_json(
        {
            "lots": full["lots"],
            "seconds": round(full["seconds"], 2),
            "activate_seconds": round(full["activate_seconds"], 2),
            "expire_seconds": round(full["expire_seconds"], 2),
            "anchor_seconds": round(full["anchor_seconds"], 2),
            "ratio": round(full["ratio"], 2),
            "max_lock_ms": round(full["max_lock_ms"], 1),
            "reserve_p99_ms": rounded(full["reserve_p99_ms"]),
            "reserve_p50_ms": rounded(full["reserve_p50_ms"]),
            "reserve_p99_idle_ms": rounded(full["reserve_p99_idle_ms"]),
            "reserves": full["reserves"],
            "chunks": full["chunks"],
            "queries_per_chunk": full["queries_per_chunk"],
            "queries": full["queries"],
            "lots_small": small["lots"],
            "chunks_small": small["chunks"],
            "queries_per_chunk_small": small["queries_per_chunk"],
            "activated": full["activate"],
            "expired": full["expire"],
            "accounts": full["accounts"],
            "drifts": full["drifts"] + small["drifts"],
            "complete": full["complete"] and small["complete"],
            "wrong_next_event": full["wrong_next_event"] + small["wrong_next_event"],
            "met": met,
            "statement_seconds": {
                name: [
                    [label, round(seconds, 2)] for label, seconds in summed_timings(full[f"{name}_statements"]).items()
                ]
                for name in ("activate", "expire")
            },
        }
    )


if __name__ == "__main__":
    main()
