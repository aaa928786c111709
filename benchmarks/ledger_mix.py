"""The ledger throughput benchmark's workload: the mix, the seeded accounts and one operation.

Shared by the measured run (:mod:`benchmarks.ledger_throughput`) and its
one-worker profile (:mod:`benchmarks.ledger_profile`), so both run exactly
the same operations.
"""

from collections import Counter
from datetime import timedelta

# The mix is the benchmark: never change it to flatter the number.
MIX = (("redemption", 0.4), ("accrual", 0.4), ("read", 0.2))
OPERATIONS = tuple(name for name, _share in MIX)
# Redemptions and accruals draw from the same range, so a busy account's
# balance drifts neither up nor down.
POINTS_RANGE = (10, 100)
OPENING_BALANCE = 1000


# --- Data --------------------------------------------------------------------


def seed_accounts(count, *, prefix, now):
    """``count`` customers, each with an account holding one available lot of ``OPENING_BALANCE``.

    Written with bulk inserts for speed, in exactly the state ``accrue(...,
    hold_days=0)`` leaves behind: the lot, its accrual entry and the cached
    balance. Returns the customers' primary keys.
    """
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from oscar.core.loading import get_model

    from oscar_loyalty.settings import loyalty_settings

    User = get_user_model()
    Account = get_model("oscar_loyalty", "Account")
    Lot = get_model("oscar_loyalty", "Lot")
    JournalEntry = get_model("oscar_loyalty", "JournalEntry")

    expires_at = now + timedelta(days=loyalty_settings.EXPIRY_DAYS)
    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(username=f"{prefix}{i}", email=f"{prefix}{i}@example.com", first_name="Bench", password="!")
                for i in range(count)
            ],
            batch_size=5000,
        )
        accounts = Account.objects.bulk_create(
            [
                Account(
                    user=user,
                    customer_name=f"Bench <{user.email}>",
                    available=OPENING_BALANCE,
                    next_event_at=expires_at,
                )
                for user in users
            ],
            batch_size=5000,
        )
        lots = Lot.objects.bulk_create(
            [
                Lot(
                    account=account,
                    points=OPENING_BALANCE,
                    remaining=OPENING_BALANCE,
                    status=Lot.ACTIVE,
                    available_at=now,
                    expires_at=expires_at,
                    origin=Lot.MANUAL,
                    created_at=now,
                )
                for account in accounts
            ],
            batch_size=5000,
        )
        JournalEntry.objects.bulk_create(
            [
                JournalEntry(
                    account_id=lot.account_id,
                    kind=JournalEntry.ACCRUAL,
                    points=OPENING_BALANCE,
                    available_change=OPENING_BALANCE,
                    lot=lot,
                    key=f"bench-opening:{lot.pk}",
                    reason="opening balance",
                    created_at=now,
                )
                for lot in lots
            ],
            batch_size=5000,
        )
    return [user.pk for user in users]


def seed_history(count, *, now, checkouts_per_account=2):
    """A past for the ledger's tables, on ``count`` customers of their own: checkouts paid with points.

    Seeded tables hold no reservation, and PostgreSQL plans on what its
    statistics say: analyzed while empty, a capture finds its reservation by
    a sequential scan that grows with every checkout; never analyzed, its
    plans change when autovacuum first analyzes the tables, in the middle of
    a measured phase. A live shop's tables hold their history and are
    analyzed; so are these, once this has run (``vacuum_analyze``). Its
    customers are none of the measured ones, whose totals the audit
    reconciles.
    """
    from oscar_loyalty import ledger

    user_ids = seed_accounts(count, prefix="history", now=now)
    for n, user_id in enumerate(user_ids * checkouts_per_account):
        key = f"history-{n}"
        ledger.capture(ledger.reserve(user_id, POINTS_RANGE[0], key=key, order_number=key))
    return len(user_ids) * checkouts_per_account


# --- One operation -------------------------------------------------------------


def pick_operation(rng):
    draw = rng.random()
    for name, share in MIX:
        if draw < share:
            return name
        draw -= share
    return MIX[-1][0]


class Tally:
    """What one worker did in one phase."""

    def __init__(self):
        self.ops = Counter()
        self.latencies = {name: [] for name in OPERATIONS}
        self.insufficient = 0
        self.errors = Counter()
        self.first_errors = {}
        # Over the whole phase, warm-up included, to reconcile with the database.
        self.accrued_points = 0
        self.captured_points = 0
        self.held_points = 0
        self.cpu_seconds = 0.0

    def error(self, exc):
        name = type(exc).__name__
        self.errors[name] += 1
        self.first_errors.setdefault(name, str(exc)[:300])

    def as_dict(self):
        return dict(vars(self))


def run_operation(ledger, tally, operation, user_id, points, key):
    """One operation of the mix; returns True if it was an insufficient-points refusal."""
    if operation == "redemption":
        try:
            reservation = ledger.reserve(user_id, points, key=key, order_number=key)
        except ledger.InsufficientPoints:
            return True
        tally.held_points += points
        ledger.capture(reservation)
        tally.held_points -= points
        tally.captured_points += points
    elif operation == "accrual":
        ledger.accrue(user_id, points, key=key, reason="benchmark order", order=key, hold_days=0)
        tally.accrued_points += points
    else:
        ledger.get_balance(user_id)
    return False
