"""The ledger's public API: the one way to move points.

Views, tasks, the ERP exchange and a shop's own code call these functions;
nothing else writes ledger rows. Every function that changes a balance is
atomic, locks the account, and is idempotent by its ``key``.
"""

from oscar_loyalty.ledger.audit import check_accounts
from oscar_loyalty.ledger.batch import activate_matured_lots, expire_lots, release_stale_reservations
from oscar_loyalty.ledger.calculations import Balance, DatedPoints
from oscar_loyalty.ledger.exceptions import (
    AccountBlocked,
    IdempotencyConflict,
    InsufficientPoints,
    InvalidAmount,
    InvalidOperation,
    LoyaltyError,
    ReservationCaptured,
    ReservationReleased,
    UnknownCustomer,
)
from oscar_loyalty.ledger.services import (
    accrue,
    adjust,
    capture,
    get_balance,
    redeem,
    release,
    reserve,
    reverse_order,
    set_blocked,
)

__all__ = [
    "AccountBlocked",
    "Balance",
    "DatedPoints",
    "IdempotencyConflict",
    "InsufficientPoints",
    "InvalidAmount",
    "InvalidOperation",
    "LoyaltyError",
    "ReservationCaptured",
    "ReservationReleased",
    "UnknownCustomer",
    "accrue",
    "activate_matured_lots",
    "adjust",
    "capture",
    "check_accounts",
    "expire_lots",
    "get_balance",
    "redeem",
    "release",
    "release_stale_reservations",
    "reserve",
    "reverse_order",
    "set_blocked",
]
