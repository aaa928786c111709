"""A failure in the middle of an operation leaves no trace: all of it is written, or none.

Each operation runs once to count the statements it writes; then it is run
again once per write, with that write failing, and every ledger row must be
exactly as before. The ledger under test is busy on purpose: lots have
matured and expired unsettled, a reservation has gone stale, and a customer
owes debt, so every operation takes its longest path.

These tests watch the Python path's statements one by one, so they run it on
every database; ``test_database_functions`` does the same for the database
functions on PostgreSQL.
"""

import contextlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection, transaction
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.ledger import crediting, reversal, spending
from tests.factories import UserFactory
from tests.ledger.snapshots import ledger_rows

Reservation = get_model("oscar_loyalty", "Reservation")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _python_path(settings):
    settings.OSCAR_LOYALTY_DATABASE_FUNCTIONS = False


START = datetime(2024, 2, 1, 8, 0, tzinfo=UTC)
NOW = START + timedelta(days=30)
WRITES = ("INSERT", "UPDATE", "DELETE")


class InjectedFault(Exception):
    pass


class FailingWrite:
    """An execute wrapper that fails the ``fail_at``-th write statement (never, if None) and counts them."""

    def __init__(self, fail_at=None):
        self.fail_at = fail_at
        self.writes = []

    def __call__(self, execute, sql, params, many, context):
        if sql.lstrip().upper().startswith(WRITES):
            self.writes.append(sql)
            if len(self.writes) == self.fail_at:
                raise InjectedFault(sql)
        return execute(sql, params, many, context)


def writes_of(operation):
    """The write statements ``operation`` issues, found in a run that is then rolled back."""
    counter = FailingWrite()
    with transaction.atomic():
        with connection.execute_wrapper(counter):
            operation()
        transaction.set_rollback(True)
    return counter.writes


@pytest.fixture
def busy():
    """Two customers, 30 days on: lots due to mature and to expire, stale reservations, debt."""
    anna, boris = UserFactory(), UserFactory()
    for user, prefix in ((anna, "A"), (boris, "B")):
        for number, points, hold_days, expires_in_days in [
            (1, 100, 0, 365),
            (2, 200, 10, 100),  # matures on day 10
            (3, 50, 0, 20),  # expires on day 20, all of it spent or held
        ]:
            ledger.accrue(
                user,
                points,
                key=f"{prefix}-{number}",
                reason="order",
                order=f"{prefix}-{number}",
                hold_days=hold_days,
                expires_in_days=expires_in_days,
                now=START,
            )
        ledger.redeem(user, 30, key=f"{prefix}-4", order_number=f"{prefix}-4", now=START)
        ledger.reserve(user, 60, key=f"{prefix}-5", order_number=f"{prefix}-5", now=START)  # goes stale
        if user is boris:
            ledger.redeem(boris, 50, key="B-6", order_number="B-6", now=START)
        # Credited after the spending, so it expires on day 25 unspent.
        ledger.accrue(user, 40, key=f"{prefix}-7", reason="order", order=f"{prefix}-7", expires_in_days=25, now=START)
    # Boris's first order is cancelled after he spent most of its points.
    ledger.reverse_order("B-1", now=START + timedelta(days=1))
    assert ledger.get_balance(boris, now=NOW).debt == 90
    return {"anna": anna, "boris": boris, "newcomer": UserFactory()}


def held(user):
    return Reservation.objects.get(account__user=user, status=Reservation.HELD)


OPERATIONS = {
    "accrue": lambda c: ledger.accrue(c["anna"], 40, key="new", reason="order", order="A-7", now=NOW),
    "accrue paying off debt": lambda c: ledger.accrue(c["boris"], 40, key="new", reason="order", hold_days=0, now=NOW),
    "accrue for a new customer": lambda c: ledger.accrue(c["newcomer"], 40, key="new", reason="order", now=NOW),
    "reserve": lambda c: ledger.reserve(c["anna"], 150, key="new", order_number="A-8", now=NOW),
    "redeem": lambda c: ledger.redeem(c["anna"], 150, key="new", order_number="A-8", now=NOW),
    "capture": lambda c: ledger.capture(held(c["anna"]), now=NOW),
    "release": lambda c: ledger.release(held(c["anna"]), now=NOW),
    "release paying off debt": lambda c: ledger.release(held(c["boris"]), now=NOW),
    "reverse an order that earned": lambda c: ledger.reverse_order("A-2", now=NOW),
    "reverse an order that spent": lambda c: ledger.reverse_order("A-4", now=NOW),
    "reverse an order with a held reservation": lambda c: ledger.reverse_order("A-5", now=NOW),
    "reverse part of an order": lambda c: ledger.reverse_order("A-2", fraction=Decimal("0.3"), key="ret", now=NOW),
    "reverse an order into debt": lambda c: ledger.reverse_order("A-1", now=NOW),
    "adjust up": lambda c: ledger.adjust(c["anna"], 25, key="new", reason="goodwill", actor="Support", now=NOW),
    "adjust down": lambda c: ledger.adjust(c["anna"], -150, key="new", reason="fix", actor="Support", now=NOW),
    "activate matured lots": lambda c: ledger.activate_matured_lots(now=NOW),
    "expire lots": lambda c: ledger.expire_lots(now=NOW),
    "release stale reservations": lambda c: ledger.release_stale_reservations(now=NOW),
}


@pytest.mark.parametrize("operation", OPERATIONS.values(), ids=OPERATIONS.keys())
def test_a_write_failing_midway_leaves_every_ledger_row_as_it_was(busy, operation):
    writes = writes_of(lambda: operation(busy))
    assert len(writes) >= 3, writes
    before = ledger_rows()

    for fail_at in range(1, len(writes) + 1):
        fault = FailingWrite(fail_at)
        with connection.execute_wrapper(fault), pytest.raises(InjectedFault):
            operation(busy)
        assert ledger_rows() == before, f"rows changed when write {fail_at} of {len(writes)} failed"

    # Nothing was left half-done or locked: the operation still goes through.
    operation(busy)
    assert ledger_rows() != before
    assert ledger.check_accounts() == []


@pytest.mark.parametrize(
    "operation", ["accrue", "reserve", "redeem", "release", "adjust down", "reverse an order that spent"]
)
def test_a_failure_saving_the_balances_undoes_the_lots_and_entries_written_before(busy, operation):
    before = ledger_rows()
    failing = RuntimeError("disk full")
    with contextlib.ExitStack() as patches:
        for module in (crediting, spending, reversal):
            patches.enter_context(mock.patch.object(module, "save_balances", side_effect=failing))
        with pytest.raises(RuntimeError, match="disk full"):
            OPERATIONS[operation](busy)
    assert ledger_rows() == before
    assert ledger.check_accounts() == []


def test_a_failure_writing_the_journal_undoes_the_lot(busy):
    before = ledger_rows()
    journal = JournalEntry.objects
    with mock.patch.object(journal, "create", side_effect=RuntimeError("journal unavailable")):
        with pytest.raises(RuntimeError, match="journal unavailable"):
            OPERATIONS["accrue"](busy)
    assert ledger_rows() == before
