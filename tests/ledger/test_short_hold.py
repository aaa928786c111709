"""The database functions write first what does not depend on the account, and lock it only for what does.

On an account with no debt and no lots due, ``accrue``, ``reserve`` and
``capture`` write their rows before they wait for the account's lock. These
tests hold the lock in another transaction, start the operation in a thread,
and let the holder finish only once the operation waits for it: the journal's
sequence shows what was written before the wait, and each outcome the holder
can leave behind is checked (a same-key call, a released reservation, new
debt). A fault injected at each write of the early path leaves no trace
(``test_database_functions.fail_each_write``).
"""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.ledger.accounts import lock_account
from tests.factories import UserFactory
from tests.ledger.test_database_functions import fail_each_write, faults  # noqa: F401 (a fixture)

Account = get_model("oscar_loyalty", "Account")
Lot = get_model("oscar_loyalty", "Lot")
Reservation = get_model("oscar_loyalty", "Reservation")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WAIT_SECONDS = 10


def journal_ids_drawn():
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM oscar_loyalty_journalentry_id_seq")
        return cursor.fetchone()[0]


def waiting(count):
    """Block until ``count`` other backends of this database wait for a lock."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0] >= count:
                return
        time.sleep(0.02)
    raise AssertionError(f"{count} backends never waited for a lock")


class InThread(threading.Thread):
    """Run ``function`` on the thread's own connection; ``outcome()`` gives its result or raises its error."""

    def __init__(self, function):
        super().__init__(daemon=True)
        self.function = function
        self.result = self.error = None

    def run(self):
        try:
            self.result = self.function()
        except Exception as exc:  # handed to the test by outcome()
            self.error = exc
        finally:
            connections.close_all()

    def outcome(self):
        self.join(WAIT_SECONDS)
        assert not self.is_alive(), "the operation never finished"
        if self.error is not None:
            raise self.error
        return self.result


class Holder(InThread):
    """A transaction that runs ``work`` (by default: locks the customer's account) and commits when released."""

    def __init__(self, customer, work=None):
        self.release = threading.Event()
        self.ready = threading.Event()
        self.work = work or (lambda: lock_account(customer.pk))
        super().__init__(self.hold)

    def hold(self):
        with transaction.atomic():
            self.work()
            self.ready.set()
            assert self.release.wait(WAIT_SECONDS)

    def __enter__(self):
        self.start()
        assert self.ready.wait(WAIT_SECONDS)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.outcome()


@pytest.fixture
def customer():
    customer = UserFactory()
    ledger.accrue(customer, 500, key="opening", reason="order", order="O-1", hold_days=0)
    return customer


def accrue(customer, key="new", points=40):
    return ledger.accrue(customer, points, key=key, reason="order", order=f"N-{key}", hold_days=0)


# On an account with no debt and no lots due: the operations that write before they lock.
QUIET = {
    "accrue": lambda c: accrue(c),
    "reserve": lambda c: ledger.reserve(c, 30, key="new", order_number="N-1"),
    "redeem": lambda c: ledger.redeem(c, 30, key="new", order_number="N-1"),
    "capture": lambda c: ledger.capture(Reservation.objects.get(key="held")),
}


@pytest.mark.parametrize("name", QUIET)
def test_an_operation_writes_its_entry_before_it_waits_for_the_account(customer, name):
    ledger.reserve(customer, 20, key="held", order_number="H-1")
    drawn = journal_ids_drawn()
    with Holder(customer):
        running = InThread(lambda: QUIET[name](customer))
        running.start()
        waiting(1)
        assert journal_ids_drawn() > drawn, "nothing was written before the wait"
    running.outcome()
    assert ledger.check_accounts() == []


def test_a_redemption_writes_its_entry_under_the_lock(customer):
    # Its points leave for the accounting system: its entry must follow every entry the account saw before it.
    drawn = journal_ids_drawn()
    with Holder(customer):
        running = InThread(lambda: ledger.redeem(customer, 30, key="new", order_number="N-1"))
        running.start()
        waiting(1)
        reserved = journal_ids_drawn()
        assert reserved > drawn  # the reservation's entry, written before the wait
    running.outcome()
    assert JournalEntry.objects.get(key="new:capture").pk > reserved
    assert ledger.get_balance(customer).available == 470


def test_two_accruals_with_one_key_at_once_credit_once():
    customer = UserFactory()
    ledger.accrue(customer, 10, key="opening", reason="order", hold_days=0)
    with Holder(customer):
        first = InThread(lambda: accrue(customer, key="twice"))
        first.start()
        waiting(1)  # its lot and entry written, waiting for the account
        second = InThread(lambda: accrue(customer, key="twice"))
        second.start()
        waiting(2)  # its lot written, waiting for the first's entry
    assert first.outcome().pk == second.outcome().pk
    assert Lot.objects.filter(order_number="N-twice").count() == 1
    assert ledger.get_balance(customer).available == 50
    assert ledger.check_accounts() == []


def test_two_reservations_with_one_key_at_once_hold_once(customer):
    with Holder(customer):
        first = InThread(lambda: ledger.reserve(customer, 30, key="twice", order_number="N-1"))
        first.start()
        waiting(1)
        second = InThread(lambda: ledger.reserve(customer, 30, key="twice", order_number="N-1"))
        second.start()
        waiting(2)
    assert first.outcome().pk == second.outcome().pk
    assert Reservation.objects.filter(key="twice").count() == 1
    assert ledger.get_balance(customer).reserved == 30
    assert ledger.check_accounts() == []


def test_a_reservation_released_while_its_capture_waits_is_not_spent(customer):
    reservation = ledger.reserve(customer, 30, key="held", order_number="H-1")
    with Holder(customer, work=lambda: ledger.release(reservation)):
        capturing = InThread(lambda: ledger.capture(reservation.pk))
        capturing.start()
        waiting(1)
    with pytest.raises(ledger.ReservationReleased):
        capturing.outcome()
    assert not JournalEntry.objects.filter(kind=JournalEntry.REDEMPTION).exists()
    assert ledger.get_balance(customer).available == 500
    assert ledger.check_accounts() == []


def test_two_captures_at_once_spend_once(customer):
    reservation = ledger.reserve(customer, 30, key="held", order_number="H-1")
    with Holder(customer):
        first = InThread(lambda: ledger.capture(reservation.pk))
        first.start()
        waiting(1)
        second = InThread(lambda: ledger.capture(reservation.pk))
        second.start()
        waiting(2)
    assert first.outcome().status == second.outcome().status == Reservation.CAPTURED
    assert JournalEntry.objects.filter(kind=JournalEntry.REDEMPTION).count() == 1
    assert ledger.get_balance(customer).available == 470
    assert ledger.check_accounts() == []


def test_points_short_under_the_lock_undo_the_reservation_written_before_it(customer):
    spent_meanwhile = lambda: ledger.redeem(customer, 480, key="big", order_number="B-1")  # noqa: E731
    with Holder(customer, work=spent_meanwhile):
        reserving = InThread(lambda: ledger.reserve(customer, 30, key="new", order_number="N-1"))
        reserving.start()
        waiting(1)
    with pytest.raises(ledger.InsufficientPoints):
        reserving.outcome()
    assert not Reservation.objects.filter(key="new").exists()
    assert not JournalEntry.objects.filter(key="new").exists()
    assert ledger.check_accounts() == []


@pytest.mark.parametrize("in_transaction", [False, True], ids=["autocommit", "in a transaction"])
def test_debt_left_while_an_accrual_waits_is_paid_off_by_it(in_transaction):
    customer = UserFactory()
    ledger.accrue(customer, 100, key="earned", reason="order", order="E-1", hold_days=0)
    ledger.redeem(customer, 100, key="spent", order_number="S-1")
    returned = lambda: ledger.reverse_order("E-1")  # noqa: E731 (the points are spent: debt)

    def accrual():
        if not in_transaction:
            return accrue(customer, points=150)
        with transaction.atomic():
            return accrue(customer, points=150)

    with Holder(customer, work=returned):
        accruing = InThread(accrual)
        accruing.start()
        waiting(1)
    lot = accruing.outcome()
    assert (lot.points, lot.remaining) == (150, 50)
    entry = JournalEntry.objects.get(key="new")
    assert (entry.points, entry.available_change, entry.debt_change) == (150, 50, -100)
    balance = ledger.get_balance(customer)
    assert (balance.available, balance.debt) == (50, 0)
    assert Lot.objects.filter(order_number="N-new").count() == 1
    assert ledger.check_accounts() == []


@pytest.mark.parametrize("name", QUIET)
def test_a_write_failing_before_or_after_the_lock_leaves_every_ledger_row_as_it_was(customer, faults, name):  # noqa: F811
    ledger.reserve(customer, 20, key="held", order_number="H-1")
    account = Account.objects.get(user=customer)
    assert account.debt == 0 and account.next_event_at > timezone.now() + timedelta(days=1)  # the early path
    fail_each_write(lambda: QUIET[name](customer), faults)
