"""Keeping the monthly roll-ups of the journal, and checking them against it.

The beat calls :func:`roll_up` (every five minutes by default). It adds every journal
entry above the watermark up to a *safe* id to the roll-ups and moves the
watermark there, in one transaction. The report reads the roll-ups plus the
entries above the watermark, so it is exact whenever the beat last ran, and
merely slower when it has not run for a while.

A safe id is one below which no entry can still appear. Ids come from a
sequence when a row is inserted, but transactions commit in their own order:
an order placed at 23:59:59 on the 31st may commit after an entry with a
higher id. The journal's writers hold a ``ROW EXCLUSIVE`` lock on it from
before they draw an id until they end, so :func:`safe_journal_id` reads the
last id drawn from its sequence, then the transactions holding that lock, and waits for
them to end; no lock is taken, nothing waits for the roll-up. Entries are
never updated or deleted (the journal is append-only), so a sum once taken
stays right.

Months are calendar months in ``TIME_ZONE``. If it changes, the next run
starts the roll-ups again from the first entry, and until then the report
reads the journal.

The roll-ups are kept on PostgreSQL; on other databases :func:`roll_up`
does nothing and the report reads the journal (SQLite has one writer at a
time, its shops are small).
"""

import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty.reporting import tallies
from oscar_loyalty.settings import loyalty_settings

JournalEntry = get_model("oscar_loyalty", "JournalEntry")
RollupWatermark = get_model("oscar_loyalty", "RollupWatermark")
MovementRollup = get_model("oscar_loyalty", "MovementRollup")
AccountMonth = get_model("oscar_loyalty", "AccountMonth")
ParticipationRollup = get_model("oscar_loyalty", "ParticipationRollup")
NewAccountRollup = get_model("oscar_loyalty", "NewAccountRollup")

#: Journal entries that count as a customer's activity (not activations and expiries, nor checkout holds).
ACTIVITY_KINDS = (
    JournalEntry.ACCRUAL,
    JournalEntry.REDEMPTION,
    JournalEntry.ADJUSTMENT,
    JournalEntry.ERP_CORRECTION,
    JournalEntry.REVERSAL,
    JournalEntry.RESTORATION,
)

WATERMARK_ID = 1


@dataclass(frozen=True)
class RollupRun:
    """What one run did: the watermark before and after (equal when there was nothing to do)."""

    previous: int
    journal_id: int
    rebuilt: bool = False
    waiting: bool = False


def enabled():
    return connection.vendor == "postgresql"


def roll_up(*, wait_seconds=None, rebuild=False):
    """Add the journal's settled entries above the watermark to the roll-ups; None where they are not kept.

    Waits up to ``wait_seconds`` (``OSCAR_LOYALTY_ROLLUP_WAIT_SECONDS``) for
    the transactions writing the journal to end; if one is still open then,
    nothing is rolled up and the next run tries again. Safe to run twice at
    once: the second waits for the first and finds less or nothing to do.
    ``rebuild`` empties the roll-ups first and rolls the whole journal up again.
    The tier tallies are folded into one row per count on the way.
    """
    if not enabled():
        return None
    tallies.fold()
    if wait_seconds is None:
        wait_seconds = loyalty_settings.ROLLUP_WAIT_SECONDS
    time_zone = timezone.get_default_timezone_name()
    high = safe_journal_id(wait_seconds)
    with transaction.atomic():
        state = _locked_watermark()
        rebuilt = rebuild or state.time_zone != time_zone
        if rebuilt:
            _empty()
            state.journal_id, state.time_zone = 0, time_zone
        previous = state.journal_id
        if high is None:
            if rebuilt:
                state.save()
            return RollupRun(previous, previous, rebuilt=rebuilt, waiting=True)
        if high > previous:
            _add(previous, high, time_zone)
            state.journal_id = high
        state.rolled_at = timezone.now()
        state.save()
    return RollupRun(previous, state.journal_id, rebuilt=rebuilt)


def safe_journal_id(wait_seconds=0):
    """The highest journal id up to which every entry has committed or never will; None if that took too long."""
    ids = safe_ids([JournalEntry], wait_seconds)
    return None if ids is None else ids[0]


def newest_id(model):
    """The highest id of ``model``'s committed rows, 0 when there are none."""
    return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def safe_ids(models, wait_seconds=0):
    """For each model, the highest id up to which every row has committed or never will; None if that took too long.

    On PostgreSQL ids come from each table's sequence one at a time (Django
    creates it without a cache), in the order they are drawn. All the
    sequences are read first, then the transactions writing any of the
    tables are waited for. A table without a sequence gives its highest
    committed id. Elsewhere one transaction writes at a time, and the
    newest rows are the end.
    """
    if not enabled():
        return [newest_id(model) for model in models]
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        # The last id drawn, committed or not: the writers waited for below wrote at most these.
        cursor.execute(
            "SELECT s, coalesce(pg_sequence_last_value(s), 0) "
            "FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS x(t, c, n), pg_get_serial_sequence(t, c) s "
            "ORDER BY n",
            [tables, [model._meta.pk.column for model in models]],
        )
        highs = [
            high if sequence is not None else newest_id(model)
            for model, (sequence, high) in zip(models, cursor.fetchall(), strict=True)
        ]
        # Read after the ids: a writer that drew one of them and has not ended holds its table's lock now.
        # Relation ids are per database: another database's table may have the same one.
        cursor.execute(
            "SELECT coalesce(array_agg(DISTINCT virtualtransaction), '{}') FROM pg_locks "
            "WHERE locktype = 'relation' AND relation = ANY(%s::regclass[]) AND mode = 'RowExclusiveLock' "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND pid <> pg_backend_pid()",
            [tables],
        )
        (writers,) = cursor.fetchone()
        deadline = time.monotonic() + wait_seconds
        while writers:
            # Every transaction holds the lock on its own virtual id until it ends.
            cursor.execute(
                "SELECT coalesce(array_agg(virtualxid), '{}') FROM pg_locks "
                "WHERE locktype = 'virtualxid' AND virtualxid = ANY(%s)",
                [writers],
            )
            (writers,) = cursor.fetchone()
            if writers:
                if time.monotonic() >= deadline:
                    return None
                time.sleep(0.05)
    return highs


def watermark(time_zone=None):
    """The journal id the roll-ups reach for months in ``time_zone`` (the current one): 0 if they do not serve it."""
    time_zone = time_zone or timezone.get_current_timezone_name()
    state = RollupWatermark.objects.filter(pk=WATERMARK_ID).values_list("journal_id", "time_zone").first()
    if state is None or state[1] != time_zone:
        return 0
    return state[0]


def _locked_watermark():
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table(RollupWatermark)} (id, journal_id, time_zone) VALUES (%s, 0, '') "
            "ON CONFLICT (id) DO NOTHING",
            [WATERMARK_ID],
        )
    return RollupWatermark.objects.select_for_update().get(pk=WATERMARK_ID)


def _empty():
    with connection.cursor() as cursor:
        for model in (MovementRollup, AccountMonth, ParticipationRollup, NewAccountRollup):
            cursor.execute(f"DELETE FROM {_table(model)}")


def _table(model):
    return connection.ops.quote_name(model._meta.db_table)


def month_sql(column="created_at"):
    """SQL: the month (a date) of the moment ``column`` in the time zone parameter ``tz``."""
    return f"(date_trunc('month', {column} AT TIME ZONE %(tz)s))::date"


def _add(low, high, time_zone):
    """Roll entries ``low < id <= high`` up: two statements, whatever their number."""
    params = {"low": low, "high": high, "tz": time_zone, "activity": list(ACTIVITY_KINDS)}
    journal, movements = _table(JournalEntry), _table(MovementRollup)
    months, links, firsts = _table(AccountMonth), _table(ParticipationRollup), _table(NewAccountRollup)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {movements} AS r (month, kind, entries, points_gained, points_lost, held_change,
                                          first_at, last_at)
            SELECT {month_sql()}, kind, count(*),
                   coalesce(sum(points) FILTER (WHERE points > 0), 0),
                   coalesce(sum(points) FILTER (WHERE points < 0), 0),
                   sum(available_change + pending_change), min(created_at), max(created_at)
            FROM {journal} WHERE id > %(low)s AND id <= %(high)s
            GROUP BY 1, 2
            ON CONFLICT (month, kind) DO UPDATE SET
                entries = r.entries + EXCLUDED.entries,
                points_gained = r.points_gained + EXCLUDED.points_gained,
                points_lost = r.points_lost + EXCLUDED.points_lost,
                held_change = r.held_change + EXCLUDED.held_change,
                first_at = least(r.first_at, EXCLUDED.first_at),
                last_at = greatest(r.last_at, EXCLUDED.last_at)
            """,
            params,
        )
        # The counts change only for the accounts that gain a month, or whose month becomes active: their
        # months before and after are compared, so an entry dated before others (a late commit) moves a
        # first month or splits a gap exactly. One statement: every part sees the months as they were.
        cursor.execute(
            f"""
            WITH chunk AS (
                SELECT account_id, {month_sql()} AS month, bool_or(kind = ANY(%(activity)s)) AS active
                FROM {journal} WHERE id > %(low)s AND id <= %(high)s
                GROUP BY 1, 2
            ), changed AS (
                SELECT c.account_id, c.month, c.active OR coalesce(m.active, false) AS active
                FROM chunk c LEFT JOIN {months} m ON m.account_id = c.account_id AND m.month = c.month
                WHERE m.account_id IS NULL OR (c.active AND NOT m.active)
            ), before AS (
                SELECT m.account_id, m.month, m.active FROM {months} m
                WHERE m.account_id IN (SELECT account_id FROM changed)
            ), after AS (
                SELECT b.account_id, b.month, b.active FROM before b
                WHERE NOT EXISTS (SELECT 1 FROM changed c WHERE c.account_id = b.account_id AND c.month = b.month)
                UNION ALL
                SELECT account_id, month, active FROM changed
            ), link_changes AS (
                SELECT month, previous_month, sum(n) AS n FROM (
                    SELECT month, coalesce(lag(month) OVER w, month) AS previous_month, 1 AS n
                    FROM after WHERE active WINDOW w AS (PARTITION BY account_id ORDER BY month)
                    UNION ALL
                    SELECT month, coalesce(lag(month) OVER w, month), -1
                    FROM before WHERE active WINDOW w AS (PARTITION BY account_id ORDER BY month)
                ) l GROUP BY 1, 2 HAVING sum(n) <> 0
            ), first_changes AS (
                SELECT month, sum(n) AS n FROM (
                    SELECT min(month) AS month, 1 AS n FROM after GROUP BY account_id
                    UNION ALL
                    SELECT min(month), -1 FROM before GROUP BY account_id
                ) f GROUP BY 1 HAVING sum(n) <> 0
            ), new_months AS (
                INSERT INTO {months} AS m (account_id, month, active)
                SELECT account_id, month, active FROM changed
                ON CONFLICT (account_id, month) DO UPDATE SET active = EXCLUDED.active
            ), new_links AS (
                INSERT INTO {links} AS r (month, previous_month, accounts)
                SELECT month, previous_month, n FROM link_changes
                ON CONFLICT (month, previous_month) DO UPDATE SET accounts = r.accounts + EXCLUDED.accounts
            )
            INSERT INTO {firsts} AS r (month, accounts)
            SELECT month, n FROM first_changes
            ON CONFLICT (month) DO UPDATE SET accounts = r.accounts + EXCLUDED.accounts
            """,
            params,
        )
        cursor.execute(f"DELETE FROM {links} WHERE accounts = 0")
        cursor.execute(f"DELETE FROM {firsts} WHERE accounts = 0")


def verify_rollups():
    """Every way the roll-ups disagree with the journal up to the watermark, as sentences; empty when they agree.

    Recomputes everything from the journal: a few full scans, for
    ``loyalty_check`` rather than a page.
    """
    if not enabled():
        return []
    state = RollupWatermark.objects.filter(pk=WATERMARK_ID).first()
    if state is None or not state.time_zone:
        return []
    params = {"high": state.journal_id, "tz": state.time_zone, "activity": list(ACTIVITY_KINDS)}
    journal = _table(JournalEntry)
    pairs = f"""
        SELECT account_id, {month_sql()} AS month, bool_or(kind = ANY(%(activity)s)) AS active
        FROM {journal} WHERE id <= %(high)s GROUP BY 1, 2
    """
    checks = [
        (
            "movements",
            f"""SELECT {month_sql()}, kind, count(*), coalesce(sum(points) FILTER (WHERE points > 0), 0),
                coalesce(sum(points) FILTER (WHERE points < 0), 0), sum(available_change + pending_change),
                min(created_at), max(created_at)
                FROM {journal} WHERE id <= %(high)s GROUP BY 1, 2""",
            "SELECT month, kind, entries, points_gained, points_lost, held_change, first_at, last_at FROM "
            + _table(MovementRollup),
        ),
        ("account months", pairs, f"SELECT account_id, month, active FROM {_table(AccountMonth)}"),
        (
            "participation",
            f"""SELECT month, previous_month, count(*) FROM (
                    SELECT month, coalesce(lag(month) OVER (PARTITION BY account_id ORDER BY month), month)
                        AS previous_month
                    FROM ({pairs}) p WHERE active
                ) l GROUP BY 1, 2""",
            f"SELECT month, previous_month, accounts FROM {_table(ParticipationRollup)}",
        ),
        (
            "new accounts",
            f"SELECT month, count(*) FROM (SELECT min(month) AS month FROM ({pairs}) p GROUP BY account_id) f "
            "GROUP BY 1",
            f"SELECT month, accounts FROM {_table(NewAccountRollup)}",
        ),
    ]
    problems = []
    with connection.cursor() as cursor:
        for name, expected, kept in checks:
            cursor.execute(
                f"SELECT (SELECT count(*) FROM ({expected} EXCEPT {kept}) a), "
                f"(SELECT count(*) FROM ({kept} EXCEPT {expected}) b)",
                params,
            )
            missing, extra = cursor.fetchone()
            if missing or extra:
                problems.append(
                    f"{name} roll-up up to journal entry {state.journal_id}: {missing} row(s) differ from the "
                    f"journal, {extra} row(s) the journal does not give"
                )
    return problems
