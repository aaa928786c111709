"""The ledger's public API: the one way to move points.

Views, tasks, the ERP exchange and a shop's own code call these functions;
nothing else writes ledger rows. Every function that changes a balance is
atomic, locks the account, and is idempotent by its ``key``:

1. validate the arguments (bad input raises before anything is read);
2. open a transaction and lock the account row(s), in primary-key order;
3. if the idempotency key was used before, return the first result (or
   refuse a replay with different arguments);
4. settle the account: lots whose hold or expiry has passed are activated or
   expired first, so nothing pending or expired is ever spent;
5. re-check under the lock, write lots, entries and the account's cached
   balances, and send signals once the transaction commits.

Lots, reservations and allocations are only ever touched while their
account's row is locked, so the account lock is the one mutex they need.

The operations live in modules by what they do: ``reading``, ``crediting``,
``spending``, ``reversal``; ``accounts`` and ``lots`` hold the helpers they
share, ``batch`` the beat passes, ``database`` the PostgreSQL functions.
"""

from oscar_loyalty.ledger.accounts import set_blocked
from oscar_loyalty.ledger.audit import check_accounts
from oscar_loyalty.ledger.batch import activate_matured_lots, expire_lots, release_stale_reservations
from oscar_loyalty.ledger.calculations import Balance, DatedPoints
from oscar_loyalty.ledger.crediting import accrue, adjust
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
from oscar_loyalty.ledger.reading import get_balance, restricted_shortfall
from oscar_loyalty.ledger.reversal import returned_share, reverse_order
from oscar_loyalty.ledger.spending import capture, redeem, release, reserve

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
    "restricted_shortfall",
    "redeem",
    "release",
    "release_stale_reservations",
    "reserve",
    "returned_share",
    "reverse_order",
    "set_blocked",
]
