"""Set-based passes for the beat tasks: a fixed number of queries, however many lots.

Each pass runs in one transaction and locks the affected accounts first, in
primary-key order, exactly as the service API does; a lot is only ever
changed under its account's lock. Two workers running the same pass at once
therefore serialise on the accounts, and the second finds nothing left to do.
The idempotency keys of the entries (``activate:<lot>``, ``expire:<lot>``) are
the same ones the per-account settlement writes, so a lot is never activated
or expired twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import Prefetch
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty import signals
from oscar_loyalty.ledger.accounts import lock_accounts
from oscar_loyalty.ledger.lots import ACCOUNT_BALANCE_FIELDS, Writes, unhold

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


def _tables():
    quote = connection.ops.quote_name
    return {
        "lot": quote(Lot._meta.db_table),
        "account": quote(Account._meta.db_table),
        "journal": quote(JournalEntry._meta.db_table),
        "key": quote("key"),
    }


def _lock_accounts_of(cursor, lots_where, params):
    """Lock, in primary-key order, the accounts owning the lots that match ``lots_where``.

    Returns the SQL condition and parameters that confine the pass's later
    statements to the lots of those locked accounts: a lot that became due
    after the lock was taken belongs to the next run, not to this one.
    """
    if connection.vendor != "postgresql":
        return "", []  # SQLite locks the whole database at the transaction's first write
    t = _tables()
    cursor.execute(
        f"SELECT id FROM {t['account']} WHERE id IN "
        f"(SELECT account_id FROM {t['lot']} WHERE {lots_where}) ORDER BY id FOR UPDATE",
        params,
    )
    return " AND account_id = ANY(%s)", [[row[0] for row in cursor.fetchall()]]


def _next_event_sql(t, alias, *, expiring):
    # The earliest activation or expiry of each account's live lots, as the
    # lots will be once this pass is done (one parameter: now). After the
    # activation pass no matured lot is pending, but a lot may be past its
    # expiry already: that expiry is still due. After the expiry pass no
    # expired lot is live, but a matured one may still be pending: its
    # activation is due.
    if expiring:
        event = "CASE WHEN l.status = 'pending' THEN l.available_at ELSE l.expires_at END"
        live = "AND l.expires_at > %s"
    else:
        event = "CASE WHEN l.status = 'pending' AND l.available_at > %s THEN l.available_at ELSE l.expires_at END"
        live = ""
    return (
        f"(SELECT MIN({event}) FROM {t['lot']} AS l WHERE l.account_id = {alias}.id "
        f"AND l.status IN ('pending', 'active') AND l.remaining > 0 {live})"
    )


def activate_matured_lots(now: datetime | None = None) -> int:
    """Make spendable every pending lot whose hold period has passed. Returns the number of lots."""
    now = now or timezone.now()
    t = _tables()
    with transaction.atomic(), connection.cursor() as cursor:
        scope, scope_params = _lock_accounts_of(cursor, "status = 'pending' AND available_at <= %s", [now])
        due = f"status = 'pending' AND available_at <= %s{scope}"
        due_params = [now, *scope_params]
        cursor.execute(
            f"INSERT INTO {t['journal']} ({ENTRY_COLUMNS.format(**t)}) "
            f"SELECT account_id, 'activation', 0, remaining, -remaining, 0, 0, id, order_number, "
            f"'activate:' || id, '', '', '', available_at FROM {t['lot']} WHERE {due} AND remaining > 0",
            due_params,
        )
        cursor.execute(
            f"UPDATE {t['account']} SET available = {t['account']}.available + s.points, "
            f"pending = {t['account']}.pending - s.points, updated_at = %s, "
            f"next_event_at = {_next_event_sql(t, t['account'], expiring=False)} "
            f"FROM (SELECT account_id, SUM(remaining) AS points FROM {t['lot']} WHERE {due} "
            f"GROUP BY account_id) AS s WHERE {t['account']}.id = s.account_id",
            [now, now, *due_params],
        )
        cursor.execute(f"UPDATE {t['lot']} SET status = 'active' WHERE {due}", due_params)
        count = cursor.rowcount
    if count:
        transaction.on_commit(lambda: signals.lots_activated.send_robust(sender=Lot, count=count, now=now))
    return count


def expire_lots(now: datetime | None = None) -> int:
    """Expire every live lot whose expiry date has passed. Returns the number of lots."""
    now = now or timezone.now()
    t = _tables()
    with transaction.atomic(), connection.cursor() as cursor:
        # Exhausted lots are closed too, so the expiry index only holds live ones.
        scope, scope_params = _lock_accounts_of(cursor, "status IN ('pending', 'active') AND expires_at <= %s", [now])
        due = f"status IN ('pending', 'active') AND expires_at <= %s{scope}"
        due_params = [now, *scope_params]
        cursor.execute(
            f"INSERT INTO {t['journal']} ({ENTRY_COLUMNS.format(**t)}) "
            f"SELECT account_id, 'expiry', -remaining, "
            f"CASE WHEN status = 'active' THEN -remaining ELSE 0 END, "
            f"CASE WHEN status = 'pending' THEN -remaining ELSE 0 END, 0, 0, id, order_number, "
            f"'expire:' || id, '', '', '', expires_at FROM {t['lot']} WHERE {due} AND remaining > 0",
            due_params,
        )
        cursor.execute(
            f"UPDATE {t['account']} SET available = {t['account']}.available - s.available, "
            f"pending = {t['account']}.pending - s.pending, updated_at = %s, "
            f"next_event_at = {_next_event_sql(t, t['account'], expiring=True)} "
            f"FROM (SELECT account_id, SUM(CASE WHEN status = 'active' THEN remaining ELSE 0 END) AS available, "
            f"SUM(CASE WHEN status = 'pending' THEN remaining ELSE 0 END) AS pending "
            f"FROM {t['lot']} WHERE {due} AND remaining > 0 GROUP BY account_id) AS s "
            f"WHERE {t['account']}.id = s.account_id",
            [now, now, *due_params],
        )
        cursor.execute(
            f"UPDATE {t['lot']} SET expired_points = expired_points + remaining, remaining = 0, "
            f"status = 'expired' WHERE {due}",
            due_params,
        )
        count = cursor.rowcount
    if count:
        transaction.on_commit(lambda: signals.lots_expired.send_robust(sender=Lot, count=count, now=now))
    return count


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
