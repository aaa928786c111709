"""The ledger's hot operations on PostgreSQL: one call of a database function each.

``services`` validates the arguments and computes the key's fingerprint, then
hands ``accrue``, ``reserve``/``redeem``, ``capture`` and ``get_balance``
to this module when :func:`enabled` says so. The functions (created by
migration ``0009_ledger_functions``, the balance's by
``0024_balance_function``) do what the Python path does inside the server:
an operation costs one round trip instead of six to nine, and no ORM work on
the client. Where the Python path locks the account first, they write first
what does not depend on its balances and lock it only for what does
(``0028_account_short_hold``), so one busy account's operations wait less
for each other.

Outside a transaction the call runs in autocommit: the statement is the
transaction, and a refusal (raised with an SQLSTATE ``LY001``-``LY006``)
rolls it back. Inside the caller's transaction the ``_guarded`` variant
runs: it rolls back what the operation wrote and *returns* the refusal, so
the caller's transaction stays usable, as the Python path's ``atomic`` block
leaves it, without a savepoint round trip. A database error fails the
caller's transaction, as any failing statement does.
"""

from django.db import DatabaseError, connection
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from oscar_loyalty.ledger.exceptions import (
    AccountBlocked,
    IdempotencyConflict,
    InsufficientPoints,
    InvalidOperation,
    ReservationReleased,
)
from oscar_loyalty.settings import loyalty_settings

Account = get_model("oscar_loyalty", "Account")
Lot = get_model("oscar_loyalty", "Lot")
Reservation = get_model("oscar_loyalty", "Reservation")

LOT_COLUMNS = [field.column for field in Lot._meta.concrete_fields]
RESERVATION_COLUMNS = [field.column for field in Reservation._meta.concrete_fields]


def _calls(function, result, columns, arguments):
    """``(autocommit, guarded)``: the two statements calling ``function``; both give refusal, detail, replayed, row."""
    selected = ", ".join(f"(r.{result}).{column}" for column in columns)
    placeholders = ", ".join(["%s"] * arguments)
    return (
        f"SELECT NULL, NULL, r.replayed, {selected} FROM {function}({placeholders}) AS r",
        f"SELECT r.refusal, r.refusal_detail, r.replayed, {selected} FROM {function}_guarded({placeholders}) AS r",
    )


ACCRUE_SQL = _calls("oscar_loyalty_accrue", "lot", LOT_COLUMNS, 14)
SPEND_SQL = _calls("oscar_loyalty_spend", "reservation", RESERVATION_COLUMNS, 8)
CAPTURE_SQL = _calls("oscar_loyalty_capture", "reservation", RESERVATION_COLUMNS, 2)
# The account and, only when some may matter, its live lots that are
# pending or expire before the horizon: one row per lot, or one row without
# (migration 0024_balance_function).
BALANCE_SQL = "SELECT * FROM oscar_loyalty_balance(%s, %s)"


class NoAccount(Exception):
    """The customer has no account yet: create it, then call again."""


class RestrictedLots(Exception):
    """The account holds lots with spend restrictions: spend in Python, where the basket is weighed."""


class LockFirst(Exception):
    """Debt appeared on the account while an accrual was written: call again, locking the account first."""


def enabled():
    """Whether the hot operations run as database functions: on PostgreSQL, unless the shop turned it off."""
    return connection.vendor == "postgresql" and loyalty_settings.DATABASE_FUNCTIONS


def accrue(
    user_id,
    points,
    *,
    key,
    fingerprint,
    reason,
    order_number,
    order_line,
    origin,
    available_at,
    expires_at,
    actor_id,
    actor_name,
    now,
):
    """Returns ``(lot, replayed)``."""
    params = [user_id, points, key, fingerprint, reason, order_number, order_line, origin, available_at, expires_at]
    params += [actor_id, actor_name, now]
    try:
        row = _call(ACCRUE_SQL, [*params, False])
    except LockFirst:
        row = _call(ACCRUE_SQL, [*params, True])
    return Lot.from_db(connection.alias, LOT_COLUMNS, row[1:]), row[0]


def spend(user_id, points, *, key, fingerprint, order_number, capture, expires_at, now):
    """Reserve (and with ``capture``, spend at once); returns ``(reservation, replayed)``."""
    row = _call(SPEND_SQL, [user_id, points, key, fingerprint, order_number, capture, expires_at, now], points)
    return Reservation.from_db(connection.alias, RESERVATION_COLUMNS, row[1:]), row[0]


def capture(reservation_id, *, now):
    """Returns ``(reservation, replayed)``; ``replayed`` if it had been captured already."""
    row = _call(CAPTURE_SQL, [reservation_id, now])
    return Reservation.from_db(connection.alias, RESERVATION_COLUMNS, row[1:]), row[0]


def balance_rows(user_id, horizon):
    """``(available, pending, reserved, debt, status, lots)`` or None without an account."""
    with connection.cursor() as cursor:
        cursor.execute(BALANCE_SQL, [user_id, horizon])
        rows = cursor.fetchall()
    if not rows:
        return None
    available, pending, reserved, debt, status = rows[0][:5]
    lots = [row[5:] for row in rows if row[5] is not None]
    return available, pending, reserved, debt, status, lots


def _call(statements, params, requested=None):
    """The function's row (``replayed`` first); a refusal raised as the ledger's exception."""
    autocommit, guarded = statements
    try:
        with connection.cursor() as cursor:
            cursor.execute(guarded if connection.in_atomic_block else autocommit, params)
            sqlstate, detail, *row = cursor.fetchone()
    except DatabaseError as exc:  # a refusal raised in autocommit, or LY007 (never caught); anything else as it is
        cause = exc.__cause__ if exc.__cause__ is not None else exc
        sqlstate = getattr(cause, "sqlstate", None) or ""
        if not sqlstate.startswith("LY"):
            raise
        detail = cause.diag.message_detail
    if sqlstate is not None:
        raise _refusal(sqlstate, detail, requested)
    return row


def _refusal(sqlstate, detail, requested):
    if sqlstate == "LY001":
        return NoAccount()
    if sqlstate == "LY002":
        return IdempotencyConflict()
    if sqlstate == "LY003":
        return AccountBlocked()
    if sqlstate == "LY004":
        return InsufficientPoints.of(int(detail), requested)
    if sqlstate == "LY005":
        return InvalidOperation(_("There is no such reservation."))
    if sqlstate == "LY006":
        return ReservationReleased()
    if sqlstate == "LY008":
        return RestrictedLots()
    if sqlstate == "LY009":
        return LockFirst()
    return InvalidOperation(_("The lots hold fewer points than the account says."))
