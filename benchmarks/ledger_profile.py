"""The ledger throughput benchmark's ``--profile`` mode: one worker, its round trips and where its time goes."""

import random
import re
import time
from collections import Counter

from benchmarks.common import emit_json, reset_ledger
from benchmarks.ledger_mix import OPERATIONS, POINTS_RANGE, Tally, pick_operation, run_operation, seed_accounts


class DatabaseTime:
    """Statements and commits on the default connection, and the time spent waiting on each.

    ``BEGIN`` is its own round trip with psycopg 3 (sent inside the
    transaction's first ``execute``), as is ``COMMIT``: each transaction costs
    two round trips on top of its statements.
    """

    def __init__(self):
        self.statements = []  # (label, seconds)
        self.commits = 0
        self.commit_seconds = 0.0

    def __enter__(self):
        from django.db import connection

        self._connection = connection
        self._wrapper = connection.execute_wrapper(self._execute)
        self._wrapper.__enter__()
        original = connection._commit

        def timed_commit():
            started = time.perf_counter()
            try:
                return original()
            finally:
                self.commit_seconds += time.perf_counter() - started
                self.commits += 1

        connection._commit = timed_commit
        return self

    def __exit__(self, *exc_info):
        del self._connection._commit
        self._wrapper.__exit__(*exc_info)

    def _execute(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.statements.append((statement_label(sql), time.perf_counter() - started))

    @property
    def seconds(self):
        return self.commit_seconds + sum(seconds for _label, seconds in self.statements)

    @property
    def round_trips(self):
        return len(self.statements) + 2 * self.commits


def statement_label(sql):
    """``VERB table [FOR UPDATE]``: enough to tell a ledger statement from the others."""
    verb = sql.split(None, 1)[0].upper()
    match = re.search(r'(?:FROM|INTO|UPDATE)\s+"(\w+)"', sql)
    table = match.group(1).removeprefix("oscar_loyalty_") if match else "?"
    return f"{verb} {table}{' FOR UPDATE' if sql.rstrip().endswith('FOR UPDATE') else ''}"


def profile(args):
    """One worker in this process: round trips and time per operation, where the time goes, then cProfile."""
    import cProfile
    import io
    import pstats

    from django.db import connection
    from django.utils import timezone

    from oscar_loyalty import ledger

    reset_ledger(users=True)
    user_ids = seed_accounts(min(args.accounts, 2000), prefix="profile", now=timezone.now())
    rng = random.Random("profile")
    tally = Tally()

    # What one round trip costs on this machine, with nothing to do on the server.
    with connection.cursor() as cursor:
        started = time.perf_counter()
        for _ in range(500):
            cursor.execute("SELECT 1")
        select_one_ms = (time.perf_counter() - started) * 2

    def one_operation(n, profiler=None):
        operation = pick_operation(rng)
        user_id, points = rng.choice(user_ids), rng.randint(*POINTS_RANGE)
        with DatabaseTime() as db:
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            insufficient = run_operation(ledger, tally, operation, user_id, points, f"profile-{n}")
            if profiler:
                profiler.disable()
            elapsed = time.perf_counter() - started
        return operation, (None if insufficient else db), elapsed

    stats = {name: Counter() for name in OPERATIONS}
    per_statement = {name: {} for name in OPERATIONS}
    n = 0
    end = time.time() + args.seconds
    while time.time() < end:
        n += 1
        operation, db, elapsed = one_operation(n)
        if db is None:
            continue
        row = stats[operation]
        row["ops"] += 1
        row["seconds"] += elapsed
        row["statement_seconds"] += db.seconds - db.commit_seconds
        row["commit_seconds"] += db.commit_seconds
        row["statements"] += len(db.statements)
        row["round_trips"] += db.round_trips
        for position, (label, seconds) in enumerate(db.statements):
            per_statement[operation].setdefault((position, label), []).append(seconds)

    print(
        f"One worker, {args.seconds} s, {len(user_ids):,} accounts, no profiler; SELECT 1 takes {select_one_ms:.2f} ms"
    )
    header = f"{'operation':<12}{'ops':>6}{'ms/op':>8}{'stmt ms':>9}{'commit ms':>11}{'python ms':>11}"
    print(f"{header}{'stmts':>7}{'trips':>7}")
    figures = {"select_one_ms": round(select_one_ms, 3)}
    for name, row in stats.items():
        ops = row["ops"] or 1
        python_seconds = row["seconds"] - row["statement_seconds"] - row["commit_seconds"]
        per_op = {
            "ops": row["ops"],
            "ms_per_op": round(row["seconds"] * 1000 / ops, 2),
            "statement_ms_per_op": round(row["statement_seconds"] * 1000 / ops, 2),
            "commit_ms_per_op": round(row["commit_seconds"] * 1000 / ops, 2),
            "python_ms_per_op": round(python_seconds * 1000 / ops, 2),
            "statements_per_op": round(row["statements"] / ops, 2),
            "round_trips_per_op": round(row["round_trips"] / ops, 2),
        }
        figures[name] = per_op
        print(
            f"{name:<12}{per_op['ops']:>6}{per_op['ms_per_op']:>8}{per_op['statement_ms_per_op']:>9}"
            f"{per_op['commit_ms_per_op']:>11}{per_op['python_ms_per_op']:>11}"
            f"{per_op['statements_per_op']:>7}{per_op['round_trips_per_op']:>7}"
        )
    for name in OPERATIONS:
        print(f"\n{name}: statements in order, mean ms (BEGIN is inside the first, COMMIT is separate)")
        for (position, label), samples in sorted(per_statement[name].items()):
            print(f"  {position + 1:>2}. {label:<40}{sum(samples) * 1000 / len(samples):>7.2f}  x{len(samples)}")

    profiler = cProfile.Profile()
    end = time.time() + max(2, args.seconds // 2)
    while time.time() < end:
        n += 1
        one_operation(n, profiler)
    out = io.StringIO()
    ledger_stats = pstats.Stats(profiler, stream=out)
    shares = time_by_layer(ledger_stats)
    print("\ncProfile (its overhead inflates Python time), own time by layer:")
    for layer, share in shares.items():
        print(f"  {layer:<40}{share:>6.1f}%")
    ledger_stats.sort_stats("tottime").print_stats(15)
    ledger_stats.sort_stats("cumulative").print_stats(r"oscar_loyalty", 20)
    print("Top 15 by own time, then the ledger's functions by cumulative time:")
    print(out.getvalue())
    figures["profile_layers_pct"] = {layer: round(share, 1) for layer, share in shares.items()}
    emit_json({"mode": "profile", "seconds": args.seconds, "per_op": figures})


# On loopback the server often runs while the client is still inside the
# send call, so sending and waiting together are the round trips' cost.
LAYERS = (
    ("psycopg send + wait (round trips)", r"psycopg/.*\((wait|_execute_send|_exec_command)\)"),
    ("psycopg (adapting, parsing)", r"/psycopg/"),
    ("Django SQL compiler", r"django/db/models/sql/"),
    ("Django models, querysets, fields", r"django/db/models/"),
    ("Django DB backend, transactions", r"django/db/"),
    ("oscar_loyalty", r"oscar_loyalty/"),
    ("everything else", r""),
)


def time_by_layer(stats):
    """Share of profiled own time per layer of the stack, in percent."""
    totals = Counter()
    for (filename, line, function), (_cc, _nc, own, _cum, _callers) in stats.stats.items():
        where = f"{filename}:{line}({function})"
        layer = next(name for name, pattern in LAYERS if re.search(pattern, where))
        totals[layer] += own
    overall = sum(totals.values()) or 1
    return {name: 100 * totals[name] / overall for name, _pattern in LAYERS}
