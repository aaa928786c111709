"""Throughput of the ledger's service API under concurrent load, anchored on pgbench.

N worker processes (default 8) draw operations from a fixed mix: 40%
redemptions (``reserve`` + ``capture``, one operation), 40% accruals, 20%
balance reads. The mix runs first over many accounts (default 10,000), then
on one hot account; both are reported. In the same run ``pgbench -b
tpcb-like -c 8 -j 2`` measures the same server with PostgreSQL's own
account-balance transaction, right before each phase, and ``ratio`` and
``hot_ratio`` are each phase's operations per second over the transactions
per second of the pgbench run before it: the speed of a shared machine
drifts within minutes, and an anchor taken next to its phase drifts with it.

Before pgbench and the phases, 2,000 other customers' past checkouts give
the tables a history, and the tables are analyzed, as a live shop's are
(``ledger_mix.seed_history``): the plans inside the ledger's functions do
not change in the middle of a phase when autovacuum first analyzes them.

Afterwards the ledger is audited: ``check_accounts()``, and for every
account and every lot, points spent against points credited. ``overspent``
is the number of points spent beyond what was there, and must be 0.

    python -m benchmarks.ledger_throughput [--workers 8] [--seconds 20] [--accounts 10000]
    python -m benchmarks.ledger_throughput --profile   # one worker, statements and time per operation

The last line of output is one JSON object with the figures.
"""

import argparse
import multiprocessing
import os
import random
import re
import shutil
import subprocess
import time
from collections import Counter
from queue import Empty

from benchmarks.common import (
    emit_json,
    ensure_database,
    percentile,
    prepare_database,
    reset_ledger,
    rounded,
    server_params,
    setup_django,
    vacuum_analyze,
)
from benchmarks.ledger_audit import audit
from benchmarks.ledger_mix import (
    OPENING_BALANCE,
    OPERATIONS,
    POINTS_RANGE,
    Tally,
    pick_operation,
    run_operation,
    seed_accounts,
    seed_history,
)
from benchmarks.ledger_profile import profile

# Operations per second over pgbench's transactions per second, many accounts and the hot one.
TARGET_RATIO = 0.5
TARGET_HOT_RATIO = 0.3
WARMUP_SECONDS = 3
# Customers whose past checkouts give the tables a history before they are analyzed (ledger_mix.seed_history).
HISTORY_ACCOUNTS = 2000

PGBENCH_DATABASE = "loyalty_pgbench"
PGBENCH_SCALE = 8
PGBENCH_CLIENTS = 8
PGBENCH_THREADS = 2


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ledger_throughput", description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=8, help="worker processes (default 8)")
    parser.add_argument("--seconds", type=int, default=20, help="measured seconds per phase (default 20)")
    parser.add_argument("--accounts", type=int, default=10_000, help="accounts in the many-accounts phase")
    parser.add_argument("--warmup", type=float, default=WARMUP_SECONDS, help="unmeasured seconds before each phase")
    parser.add_argument(
        "--profile", action="store_true", help="run one worker in this process and report statements and time per op"
    )
    return parser.parse_args(argv)


# --- Workers -----------------------------------------------------------------


def worker_main(worker_id, url, commands, results):
    """A worker process: set Django up, then run the phases the coordinator sends."""
    setup_django(url)
    from django.db import connection

    from oscar_loyalty import ledger

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend_pid,) = cursor.fetchone()
    results.put(("ready", worker_id, backend_pid))
    while (command := commands.get()) is not None:
        results.put(("done", worker_id, run_phase(ledger, worker_id, command)))
    connection.close()


def run_phase(ledger, worker_id, command):
    phase, user_ids = command["phase"], command["user_ids"]
    measure_from, end = command["measure_from"], command["end"]
    rng = random.Random(f"{phase}:{worker_id}")
    tally = Tally()
    time.sleep(max(0.0, command["start"] - time.time()))
    n = 0
    cpu_from = None
    while time.time() < end:
        if cpu_from is None and time.time() >= measure_from:
            cpu_from = time.process_time()
        n += 1
        operation = pick_operation(rng)
        user_id = rng.choice(user_ids)
        points = rng.randint(*POINTS_RANGE)
        key = f"{phase}-{worker_id}-{n}"
        started = time.perf_counter()
        try:
            insufficient = run_operation(ledger, tally, operation, user_id, points, key)
        except Exception as exc:  # counted and reported, the run goes on
            tally.error(exc)
            continue
        elapsed = time.perf_counter() - started
        finished = time.time()
        if measure_from <= finished <= end:
            tally.ops[operation] += 1
            tally.latencies[operation].append(elapsed * 1000)
            tally.insufficient += insufficient
    tally.cpu_seconds = time.process_time() - (cpu_from or time.process_time())
    return tally.as_dict()


class WorkerPool:
    """Worker processes started once (``spawn``: no inherited connections), reused by every phase."""

    def __init__(self, count, url):
        context = multiprocessing.get_context("spawn")
        self.results = context.Queue()
        self.commands = [context.Queue() for _ in range(count)]
        self.processes = [
            context.Process(target=worker_main, args=(i, url, self.commands[i], self.results), daemon=True)
            for i in range(count)
        ]
        for process in self.processes:
            process.start()
        self.backend_pids = [self._receive("ready")[1] for _ in self.processes]

    def _receive(self, expected):
        while True:
            try:
                kind, worker_id, payload = self.results.get(timeout=5)
            except Empty:
                dead = [p.pid for p in self.processes if not p.is_alive()]
                if dead:
                    raise SystemExit(f"Worker processes {dead} died; see their output above.") from None
                continue
            if kind == expected:
                return worker_id, payload

    def run(self, phase, user_ids, *, warmup, seconds):
        start = time.time() + 0.5
        command = {
            "phase": phase,
            "user_ids": user_ids,
            "start": start,
            "measure_from": start + warmup,
            "end": start + warmup + seconds,
        }
        for queue in self.commands:
            queue.put(command)
        time.sleep(max(0.0, command["measure_from"] - time.time()))
        before = CpuSample.take(self.backend_pids)
        time.sleep(max(0.0, command["end"] - time.time()))
        after = CpuSample.take(self.backend_pids)
        return [self._receive("done")[1] for _ in self.processes], after.since(before)

    def close(self):
        for queue in self.commands:
            queue.put(None)
        for process in self.processes:
            process.join(timeout=30)


class CpuSample:
    """CPU time of the whole machine and of the workers' PostgreSQL backends, from ``/proc`` (Linux).

    Tells whether a phase was CPU-bound, and whose CPU it was: the workers'
    Python, their backends, or something else on the machine.
    """

    def __init__(self, machine, backends):
        self.machine = machine  # (busy, total) seconds of all CPUs, or None
        self.backends = backends  # seconds, or None when the server is not on this machine

    @classmethod
    def take(cls, backend_pids=()):
        return cls(cls._machine(), cls._processes(backend_pids))

    @staticmethod
    def _machine():
        try:
            with open("/proc/stat") as stat:
                ticks = [int(value) for value in stat.readline().split()[1:9]]
        except OSError:
            return None
        hz = os.sysconf("SC_CLK_TCK")
        idle = ticks[3] + ticks[4]  # idle and iowait
        return (sum(ticks) - idle) / hz, sum(ticks) / hz

    @staticmethod
    def _processes(pids):
        hz = os.sysconf("SC_CLK_TCK")
        seconds = 0.0
        for pid in pids:
            try:
                with open(f"/proc/{pid}/comm") as comm:
                    if comm.read().strip() != "postgres":
                        return None
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                return None
            seconds += (int(fields[11]) + int(fields[12])) / hz  # utime and stime
        return seconds

    def since(self, earlier):
        """``{"busy": CPU-seconds used, "capacity": CPU-seconds there were, "backends": ...}``."""
        usage = {"busy": None, "capacity": None, "backends": None}
        if self.machine and earlier.machine:
            usage["busy"] = self.machine[0] - earlier.machine[0]
            usage["capacity"] = self.machine[1] - earlier.machine[1]
        if self.backends is not None and earlier.backends is not None:
            usage["backends"] = self.backends - earlier.backends
        return usage


def cpu_figures(cpu, tallies, ops):
    """Milliseconds of CPU per measured operation, by whom; and how busy the machine was."""
    workers = sum(tally["cpu_seconds"] for tally in tallies)
    per_op = {"workers_ms": rounded(workers * 1000 / ops, 2) if ops else None}
    if cpu["backends"] is not None and ops:
        per_op["postgres_ms"] = rounded(cpu["backends"] * 1000 / ops, 2)
    if cpu["busy"] is not None and cpu["capacity"]:
        per_op["machine_busy_pct"] = rounded(100 * cpu["busy"] / cpu["capacity"], 1)
        others = cpu["busy"] - workers - (cpu["backends"] or 0)
        per_op["everything_else_cpu_s"] = rounded(others, 1)
        per_op["cpu_s_available"] = rounded(cpu["capacity"], 1)
    return per_op


def summarise(tallies, cpu, *, seconds):
    ops = Counter()
    latencies = {name: [] for name in OPERATIONS}
    errors, first_errors = Counter(), {}
    totals = Counter()
    for tally in tallies:
        ops.update(tally["ops"])
        for name in OPERATIONS:
            latencies[name].extend(tally["latencies"][name])
        errors.update(tally["errors"])
        for name, message in tally["first_errors"].items():
            first_errors.setdefault(name, message)
        for field in ("insufficient", "accrued_points", "captured_points", "held_points"):
            totals[field] += tally[field]
    completed = sum(ops.values())
    return {
        "cpu": cpu_figures(cpu, tallies, completed),
        "ops_per_s": completed / seconds,
        "ops": {name: ops[name] for name in OPERATIONS},
        "insufficient": totals["insufficient"],
        "errors": dict(errors),
        "first_errors": first_errors,
        "latency_ms": {
            name: {"p50": rounded(percentile(values, 0.5), 2), "p95": rounded(percentile(values, 0.95), 2)}
            for name, values in latencies.items()
        },
        "accrued_points": totals["accrued_points"],
        "captured_points": totals["captured_points"],
        "held_points": totals["held_points"],
    }


# --- The anchor ----------------------------------------------------------------


def run_pgbench(url, seconds):
    """PostgreSQL's tpcb-like transaction on the same server; returns its TPS and the machine's CPU usage."""
    pgbench = shutil.which("pgbench") or "/usr/bin/pgbench"
    if not os.path.exists(pgbench):
        raise SystemExit("pgbench is missing: it ships with the PostgreSQL server package (postgresql-contrib).")
    params = server_params(url)
    ensure_database(url, dbname=PGBENCH_DATABASE)
    env = dict(os.environ)
    if params["password"]:
        env["PGPASSWORD"] = params["password"]
    connect = ["-h", params["host"], "-p", str(params["port"]), "-U", params["user"]]
    subprocess.run(
        [pgbench, "-i", "-q", "-s", str(PGBENCH_SCALE), *connect, PGBENCH_DATABASE],
        check=True,
        capture_output=True,
        env=env,
    )
    before = CpuSample.take()
    completed = subprocess.run(
        [
            pgbench,
            "-b",
            "tpcb-like",
            "-c",
            str(PGBENCH_CLIENTS),
            "-j",
            str(PGBENCH_THREADS),
            "-T",
            str(seconds),
            *connect,
            PGBENCH_DATABASE,
        ],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    cpu = CpuSample.take().since(before)
    match = re.search(r"^tps = ([0-9.]+)", completed.stdout, re.MULTILINE)
    if match is None:
        raise SystemExit(f"Could not read pgbench's TPS from:\n{completed.stdout}")
    return float(match.group(1)), cpu


def anchor(url, seconds):
    """One pgbench run, printed; returns its TPS."""
    tps, cpu = run_pgbench(url, seconds)
    busy = f" (machine CPU {100 * cpu['busy'] / cpu['capacity']:.0f}% busy)" if cpu["busy"] else ""
    print(f"pgbench: {tps:,.0f} TPS{busy}")
    return tps


# --- Main ----------------------------------------------------------------------


def print_phase(title, summary, ratio):
    print(f"{title}: {summary['ops_per_s']:,.0f} ops/s (ratio to pgbench {ratio:.3f})")
    for name in OPERATIONS:
        latency = summary["latency_ms"][name]
        print(f"  {name:<11}{summary['ops'][name]:>8,} ops   p50 {latency['p50']} ms   p95 {latency['p95']} ms")
    print(f"  insufficient points (counted as completed redemptions): {summary['insufficient']:,}")
    cpu = summary["cpu"]
    line = f"  CPU per op: workers (Python) {cpu['workers_ms']} ms"
    if "postgres_ms" in cpu:
        line += f", their PostgreSQL backends {cpu['postgres_ms']} ms"
    if "machine_busy_pct" in cpu:
        line += (
            f"; machine {cpu['machine_busy_pct']}% busy, {cpu['everything_else_cpu_s']} of "
            f"{cpu['cpu_s_available']} CPU-s used by other processes"
        )
    print(line)
    if summary["errors"]:
        print(f"  ERRORS: {summary['errors']}")
        for name, message in summary["first_errors"].items():
            print(f"    {name}: {message}")


def main(argv=None):
    args = parse_args(argv)
    url = prepare_database()
    if args.profile:
        profile(args)
        return

    from django.db import connections
    from django.utils import timezone

    reset_ledger(users=True)
    now = timezone.now()
    started = time.perf_counter()
    many_ids = seed_accounts(args.accounts, prefix="bench", now=now)
    hot_ids = seed_accounts(1, prefix="hot", now=now)
    checkouts = seed_history(HISTORY_ACCOUNTS, now=now)
    vacuum_analyze()
    print(
        f"Seeded {args.accounts:,} accounts + 1 hot account with {OPENING_BALANCE:,} points each, "
        f"and {checkouts:,} past checkouts of {HISTORY_ACCOUNTS:,} other customers, analyzed, "
        f"in {time.perf_counter() - started:.1f} s"
    )
    connections.close_all()

    pool = WorkerPool(args.workers, url)
    try:
        print(
            f"pgbench -b tpcb-like -c {PGBENCH_CLIENTS} -j {PGBENCH_THREADS} -T {args.seconds}, scale {PGBENCH_SCALE}, "
            f"before each phase"
        )
        pgbench_tps = anchor(url, args.seconds)
        many = summarise(*pool.run("many", many_ids, warmup=args.warmup, seconds=args.seconds), seconds=args.seconds)
        hot_pgbench_tps = anchor(url, args.seconds)
        hot = summarise(*pool.run("hot", hot_ids, warmup=args.warmup, seconds=args.seconds), seconds=args.seconds)
    finally:
        pool.close()

    ratio = many["ops_per_s"] / pgbench_tps
    hot_ratio = hot["ops_per_s"] / hot_pgbench_tps
    print()
    print_phase(f"{args.accounts:,} accounts, {args.workers} workers, {args.seconds} s", many, ratio)
    print_phase(f"One hot account, {args.workers} workers, {args.seconds} s", hot, hot_ratio)

    started = time.perf_counter()
    checks = audit({"many": many_ids, "hot": hot_ids}, {"many": many, "hot": hot}, hot_ids[0])
    print(f"\nAudit ({time.perf_counter() - started:.1f} s):")
    print(f"  check_accounts(): {checks['drifts']} drifting accounts")
    for example in checks["drift_examples"]:
        print(f"    {example}")
    print(
        f"  overspent: {checks['overspent']} points "
        f"(accounts {checks['overspent_accounts_points']}, lots {checks['overdrawn_lots_points']}); "
        f"accounts off their lots and reservations: {checks['mismatched_accounts']}; "
        f"lots off their allocations: {checks['mismatched_lots']}; negative buckets: {checks['negative_buckets']}"
    )
    print(f"  workers' totals against the database (0 = reconciled): {checks['unreconciled']}")
    h = checks["hot"]
    print(
        f"  hot account: credited {h['credited']:,} - spent {h['spent']:,} = {h['credited'] - h['spent']:,}, "
        f"balance {h['balance']:,} ({'consistent' if h['consistent'] else 'INCONSISTENT'})"
    )
    met = ratio >= TARGET_RATIO and hot_ratio >= TARGET_HOT_RATIO
    print(
        f"\nTargets: ratio >= {TARGET_RATIO} on the many-accounts mix ({ratio:.3f}), >= {TARGET_HOT_RATIO} on the "
        f"hot account ({hot_ratio:.3f}) -> {'met' if met else 'NOT met'}"
    )

    emit_json(
        {
            "ops_per_s": round(many["ops_per_s"], 1),
            "hot_ops_per_s": round(hot["ops_per_s"], 1),
            "pgbench_tps": round(pgbench_tps, 1),
            "hot_pgbench_tps": round(hot_pgbench_tps, 1),
            "ratio": round(ratio, 4),
            "hot_ratio": round(hot_ratio, 4),
            "overspent": checks["overspent"],
            "workers": args.workers,
            "seconds": args.seconds,
            "accounts": args.accounts,
            "ops": many["ops"],
            "hot_ops": hot["ops"],
            "insufficient": many["insufficient"],
            "hot_insufficient": hot["insufficient"],
            "errors": sum(many["errors"].values()) + sum(hot["errors"].values()),
            "latency_ms": many["latency_ms"],
            "hot_latency_ms": hot["latency_ms"],
            "cpu": many["cpu"],
            "hot_cpu": hot["cpu"],
            "drifts": checks["drifts"],
            "mismatched_accounts": checks["mismatched_accounts"],
            "mismatched_lots": checks["mismatched_lots"],
            "hot_consistent": h["consistent"],
            "target_ratio": TARGET_RATIO,
            "target_hot_ratio": TARGET_HOT_RATIO,
            "met": met,
        }
    )


if __name__ == "__main__":
    main()
