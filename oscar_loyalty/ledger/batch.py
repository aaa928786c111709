"""The beat passes that activate and expire lots: set-based, a chunk of accounts at a time.

A pass first lists the accounts with a lot due (one query, no lock), then
works through them a chunk at a time (``OSCAR_LOYALTY_BATCH_CHUNK_ACCOUNTS``),
each chunk in its own short transaction with a fixed number of statements:
lock the chunk's accounts in primary-key order, as the service API does (a
lot is only ever changed under its account's lock), then write the entries,
the lots and the cached balances. A customer whose account is in a chunk waits
for that chunk only, never for the whole pass; a pass that dies leaves each
chunk done or untouched, and the next one finishes the rest.

Two workers running the same pass at once serialise on the accounts, and the
second finds nothing left to do in a chunk the first has done. The entries'
idempotency keys (``activate:<lot>``, ``expire:<lot>``) are the ones the
per-account settlement writes, so a lot is never activated or expired twice.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import Prefetch
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty import signals
from oscar_loyalty.ledger import database
from oscar_loyalty.ledger.accounts import lock_accounts
from oscar_loyalty.ledger.lots import ACCOUNT_BALANCE_FIELDS, Writes, unhold
from oscar_loyalty.settings import loyalty_settings

if TYPE_CHECKING:
    from datetime import datetime

Account = get_model("oscar_loyalty", "Account")
Lot = get_model("oscar_loyalty", "Lot")
Reservation = get_model("oscar_loyalty", "Reservation")
Allocation = get_model("oscar_loyalty", "Allocation")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")

ENTRY_COLUMNS = (
    "account_id, kind, points, available_change, pending_change, reserved_change, debt_change, "
    "lot_id, order_number, {key}, fingerprint, actor_name, reason, created_at"
)
DUE_FOR_ACTIVATION = "status = 'pending' AND available_at <= %(now)s"
# Exhausted lots are closed too, so the expiry index only holds live ones.
DUE_FOR_EXPIRY = "status IN ('pending', 'active') AND expires_at <= %(now)s"


def _tables():
    quote = connection.ops.quote_name
    return {
        "lot": quote(Lot._meta.db_table),
        "account": quote(Account._meta.db_table),
        "journal": quote(JournalEntry._meta.db_table),
        "key": quote("key"),
        "columns": ENTRY_COLUMNS.format(key=quote("key")),
    }


def _in_chunk(column):
    """SQL: ``column`` is one of the chunk's accounts (parameter ``accounts``)."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%(accounts)s::bigint[])"
    return f"{column} IN (SELECT value FROM json_each(%(accounts)s))"


def _next_event_sql(t, alias, *, expiring):
    # The earliest activation or expiry of each account's live lots, as the
    # lots will be once this pass is done (parameter: now). After the
    # activation pass no matured lot is pending, but a lot may be past its
    # expiry already: that expiry is still due. After the expiry pass no
    # expired lot is live, but a matured one may still be pending: its
    # activation is due.
    if expiring:
        event = "CASE WHEN l.status = 'pending' THEN l.available_at ELSE l.expires_at END"
        live = "AND l.expires_at > %(now)s"
    else:
        event = "CASE WHEN l.status = 'pending' AND l.available_at > %(now)s THEN l.available_at ELSE l.expires_at END"
        live = ""
    return (
        f"(SELECT MIN({event}) FROM {t['lot']} AS l WHERE l.account_id = {alias}.id "
        f"AND l.status IN ('pending', 'active') AND l.remaining > 0 {live})"
    )


def activate_matured_lots(now: datetime | None = None) -> int:
    """Make spendable every pending lot whose hold period has passed. Returns the number of lots."""
    now = now or timezone.now()
    count = _run_in_chunks(DUE_FOR_ACTIVATION, now, _activation_statements)
    if count:
        transaction.on_commit(lambda: signals.lots_activated.send_robust(sender=Lot, count=count, now=now))
    return count


def expire_lots(now: datetime | None = None) -> int:
    """Expire every live lot whose expiry date has passed. Returns the number of lots."""
    now = now or timezone.now()
    count = _run_in_chunks(DUE_FOR_EXPIRY, now, _expiry_statements)
    if count:
        transaction.on_commit(lambda: signals.lots_expired.send_robust(sender=Lot, count=count, now=now))
    return count


def _run_in_chunks(due, now, statements):
    """List the accounts with a lot ``due``, then settle them a chunk at a time; returns the lots changed.

    Each chunk is one transaction of the same statements, however many lots
    its accounts hold: lock the accounts, then ``statements(t)``, whose last
    statement's ``rowcount`` (SQLite) or single value (PostgreSQL) is the
    number of lots. A lot that became due after the listing belongs to the
    next pass, unless its account is in a chunk still to come.
    """
    t = _tables()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT account_id FROM {t['lot']} WHERE {due} ORDER BY account_id", {"now": now})
        account_ids = [row[0] for row in cursor.fetchall()]
    postgresql = connection.vendor == "postgresql"
    one_statement = database.enabled()
    lock = f"SELECT id FROM {t['account']} WHERE {_in_chunk('id')} ORDER BY id FOR NO KEY UPDATE"
    size = loyalty_settings.BATCH_CHUNK_ACCOUNTS
    count = 0
    for start in range(0, len(account_ids), size):
        chunk = account_ids[start : start + size]
        params = {"now": now, "accounts": chunk if postgresql else json.dumps(chunk)}
        with transaction.atomic(), connection.cursor() as cursor:
            if postgresql:  # SQLite locks the whole database at the transaction's first write
                cursor.execute(lock, params)
            for sql in statements(t, one_statement):
                cursor.execute(sql, params)
            count += cursor.fetchone()[0] if one_statement else cursor.rowcount
    return count


def _activation_statements(t, one_statement):
    due = f"{DUE_FOR_ACTIVATION} AND {_in_chunk('account_id')}"
    entries = (
        f"INSERT INTO {t['journal']} ({t['columns']}) "
        f"SELECT account_id, 'activation', 0, remaining, -remaining, 0, 0, id, order_number, "
        f"'activate:' || id, '', '', '', available_at FROM {{lots}} WHERE remaining > 0"
    )
    balances = (
        f"UPDATE {t['account']} SET available = {t['account']}.available + s.points, "
        f"pending = {t['account']}.pending - s.points, updated_at = %(now)s, "
        f"next_event_at = {_next_event_sql(t, t['account'], expiring=False)} "
        f"FROM (SELECT account_id, SUM(remaining) AS points FROM {{lots}} GROUP BY account_id) AS s "
        f"WHERE {_in_chunk(t['account'] + '.id')} AND {t['account']}.id = s.account_id"
    )
    lots = f"UPDATE {t['lot']} SET status = 'active' WHERE {due}"
    if not one_statement:
        due_lots = f"(SELECT * FROM {t['lot']} WHERE {due}) AS due"
        return [entries.format(lots=due_lots), balances.format(lots=due_lots), lots]
    # One statement: the lots are read once, and the entries and balances are
    # written from what the update returns.
    return [
        f"WITH lots AS ({lots} RETURNING id, account_id, remaining, order_number, available_at), "
        f"entries AS ({entries.format(lots='lots')}), "
        f"balances AS ({balances.format(lots='lots')}) "
        f"SELECT COUNT(*) FROM lots"
    ]


def _expiry_statements(t, one_statement):
    due = f"{DUE_FOR_EXPIRY} AND {_in_chunk('account_id')}"
    entries = (
        f"INSERT INTO {t['journal']} ({t['columns']}) "
        f"SELECT account_id, 'expiry', -remaining, "
        f"CASE WHEN status = 'active' THEN -remaining ELSE 0 END, "
        f"CASE WHEN status = 'pending' THEN -remaining ELSE 0 END, 0, 0, id, order_number, "
        f"'expire:' || id, '', '', '', expires_at FROM {{lots}} WHERE remaining > 0"
    )
    balances = (
        f"UPDATE {t['account']} SET available = {t['account']}.available - s.available, "
        f"pending = {t['account']}.pending - s.pending, updated_at = %(now)s, "
        f"next_event_at = {_next_event_sql(t, t['account'], expiring=True)} "
        f"FROM (SELECT account_id, SUM(CASE WHEN status = 'active' THEN remaining ELSE 0 END) AS available, "
        f"SUM(CASE WHEN status = 'pending' THEN remaining ELSE 0 END) AS pending "
        f"FROM {{lots}} WHERE remaining > 0 GROUP BY account_id) AS s "
        f"WHERE {_in_chunk(t['account'] + '.id')} AND {t['account']}.id = s.account_id"
    )
    lots = (
        f"UPDATE {t['lot']} SET expired_points = expired_points + remaining, remaining = 0, status = 'expired' "
        f"WHERE {{which}}"
    )
    if not one_statement:
        due_lots = f"(SELECT * FROM {t['lot']} WHERE {due}) AS due"
        return [entries.format(lots=due_lots), balances.format(lots=due_lots), lots.format(which=due)]
    # One statement: the due lots are read once, before the update zeroes
    # what the entries and balances need; the update finds them by key.
    return [
        f"WITH due AS (SELECT id, account_id, remaining, status, order_number, expires_at FROM {t['lot']} "
        f"WHERE {due}), "
        f"lots AS ({lots.format(which='id = ANY(ARRAY(SELECT id FROM due))')}), "
        f"entries AS ({entries.format(lots='due')}), "
        f"balances AS ({balances.format(lots='due')}) "
        f"SELECT COUNT(*) FROM due"
    ]


def release_stale_reservations(now: datetime | None = None) -> int:
    """Release every reservation held longer than the checkout timeout. Returns how many."""
    now = now or timezone.now()
    stale = Reservation.objects.filter(status=Reservation.HELD, expires_at__lte=now)
    with transaction.atomic():
        accounts = lock_accounts(set(stale.values_list("account_id", flat=True)))
        if not accounts:
            return 0
        reservations = list(
            stale.filter(account_id__in=accounts)
            .order_by("pk")
            .prefetch_related(Prefetch("allocations", queryset=Allocation.objects.select_related("lot").order_by("pk")))
        )
        writes = Writes()
        for reservation in reservations:
            unhold(
                accounts[reservation.account_id],
                reservation,
                list(reservation.allocations.all()),
                writes,
                key=f"{reservation.key}:release",
                reason="checkout abandoned",
                now=now,
            )
        writes.flush()
        for account in accounts.values():
            account.updated_at = now
        Account.objects.bulk_update(list(accounts.values()), ACCOUNT_BALANCE_FIELDS)
    count = len(reservations)
    transaction.on_commit(lambda: signals.reservations_released.send_robust(sender=Reservation, count=count, now=now))
    return count
