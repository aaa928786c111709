"""Every bad input is refused with its own exception, and the ledger is left exactly as it was."""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from oscar_loyalty import ledger
from tests.factories import UserFactory
from tests.ledger.snapshots import ledger_rows, row_counts

pytestmark = pytest.mark.django_db

NOW = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


@contextmanager
def refused(exception):
    """Expect exactly ``exception`` (not a parent or sibling) and no change to any ledger row."""
    counts, rows = row_counts(), ledger_rows()
    with pytest.raises(ledger.LoyaltyError) as info:
        yield info
    assert type(info.value) is exception, f"expected {exception.__name__}, got {type(info.value).__name__}"
    assert row_counts() == counts
    assert ledger_rows() == rows


@pytest.fixture
def customer():
    """A customer with 100 points available, 50 pending and 20 held for an order being placed."""
    user = UserFactory()
    ledger.accrue(user, 100, key="setup-available", reason="order", order="100", hold_days=0, now=NOW)
    ledger.accrue(user, 50, key="setup-pending", reason="order", order="101", hold_days=14, now=NOW)
    ledger.reserve(user, 20, key="setup-held", order_number="102", now=NOW)
    return user


def accrue(user, points, **kwargs):
    return ledger.accrue(user, points, **{"key": "new", "reason": "order", "order": "200", "now": NOW, **kwargs})


def reserve(user, points, **kwargs):
    return ledger.reserve(user, points, **{"key": "new", "order_number": "200", "now": NOW, **kwargs})


def redeem(user, points, **kwargs):
    return ledger.redeem(user, points, **{"key": "new", "order_number": "200", "now": NOW, **kwargs})


def adjust(user, points, **kwargs):
    return ledger.adjust(user, points, **{"key": "new", "reason": "goodwill", "actor": "Support", "now": NOW, **kwargs})


CREDIT_AND_SPEND = [accrue, reserve, redeem]
EVERY_WRITER = [accrue, reserve, redeem, adjust]


# --- amounts ----------------------------------------------------------------

NOT_A_POSITIVE_WHOLE_NUMBER = [0, -1, -100, 1.5, 10.0, Decimal("10"), "10", True, False, None]


@pytest.mark.parametrize("operation", CREDIT_AND_SPEND, ids=lambda op: op.__name__)
@pytest.mark.parametrize("points", NOT_A_POSITIVE_WHOLE_NUMBER, ids=repr)
def test_an_amount_that_is_not_a_positive_whole_number_is_refused(customer, operation, points):
    with refused(ledger.InvalidAmount):
        operation(customer, points)


@pytest.mark.parametrize("points", [0, 1.5, -2.5, Decimal("-10"), "-10", True, None], ids=repr)
def test_an_adjustment_by_zero_or_a_non_whole_number_is_refused(customer, points):
    with refused(ledger.InvalidAmount):
        adjust(customer, points)


# --- customers --------------------------------------------------------------

UNKNOWN_CUSTOMERS = {
    "a pk that does not exist": lambda: 987654321,
    "an unsaved user": lambda: get_user_model()(username="ghost", email="ghost@example.com"),
    "None": lambda: None,
    "a boolean": lambda: True,
}


@pytest.mark.parametrize("operation", [*EVERY_WRITER, ledger.set_blocked], ids=lambda op: op.__name__)
@pytest.mark.parametrize("who", UNKNOWN_CUSTOMERS.values(), ids=UNKNOWN_CUSTOMERS.keys())
def test_an_unknown_customer_is_refused(customer, operation, who):
    amount = True if operation is ledger.set_blocked else 10
    with refused(ledger.UnknownCustomer):
        operation(who(), amount)


# --- spending more than there is ----------------------------------------------


@pytest.mark.parametrize(
    "operation, points",
    [(reserve, 81), (redeem, 81), (redeem, 10_000), (adjust, -81)],
    ids=["reserve", "redeem", "redeem a lot", "take away"],
)
def test_spending_more_than_is_available_is_refused_with_the_amounts(customer, operation, points):
    # 100 credited − 20 held = 80 available; the 50 pending do not count.
    with refused(ledger.InsufficientPoints) as info:
        operation(customer, points)
    assert (info.value.available, info.value.requested) == (80, abs(points))


@pytest.mark.parametrize("operation", [reserve, redeem], ids=lambda op: op.__name__)
def test_a_customer_without_an_account_cannot_spend_and_gets_no_account(operation):
    with refused(ledger.InsufficientPoints) as info:
        operation(UserFactory(), 1)
    assert (info.value.available, info.value.requested) == (0, 1)


def test_pending_points_cannot_be_spent_before_their_hold_ends():
    user = UserFactory()
    ledger.accrue(user, 100, key="a", reason="order", order="1", hold_days=14, now=NOW)
    with refused(ledger.InsufficientPoints) as info:
        reserve(user, 1, now=NOW + timedelta(days=13, hours=23))
    assert info.value.available == 0


# --- reservations in the wrong state ---------------------------------------------


def test_capturing_a_released_reservation_is_refused(customer):
    reservation = reserve(customer, 10)
    ledger.release(reservation, now=NOW)
    with refused(ledger.ReservationReleased):
        ledger.capture(reservation, now=NOW)


def test_releasing_a_captured_reservation_is_refused(customer):
    reservation = reserve(customer, 10)
    ledger.capture(reservation, now=NOW)
    with refused(ledger.ReservationCaptured):
        ledger.release(reservation, now=NOW)


@pytest.mark.parametrize("operation", [ledger.capture, ledger.release], ids=lambda op: op.__name__)
def test_an_unknown_reservation_is_refused(customer, operation):
    with refused(ledger.InvalidOperation):
        operation(987654321, now=NOW)


# --- idempotency keys -------------------------------------------------------------


KEY_REUSED_DIFFERENTLY = {
    "accrue: other points": (lambda u, v: accrue(u, 10), lambda u, v: accrue(u, 11)),
    "accrue: other order": (lambda u, v: accrue(u, 10), lambda u, v: accrue(u, 10, order="201")),
    "accrue: other hold": (lambda u, v: accrue(u, 10), lambda u, v: accrue(u, 10, hold_days=3)),
    "accrue: other expiry": (lambda u, v: accrue(u, 10), lambda u, v: accrue(u, 10, expires_in_days=60)),
    "accrue: other customer": (lambda u, v: accrue(u, 10), lambda u, v: accrue(v, 10)),
    "reserve: other points": (lambda u, v: reserve(u, 10), lambda u, v: reserve(u, 11)),
    "reserve: other order": (lambda u, v: reserve(u, 10), lambda u, v: reserve(u, 10, order_number="201")),
    "reserve: other customer": (lambda u, v: reserve(u, 10), lambda u, v: reserve(v, 10)),
    "redeem: other points": (lambda u, v: redeem(u, 10), lambda u, v: redeem(u, 11)),
    "adjust: other points": (lambda u, v: adjust(u, 10), lambda u, v: adjust(u, -10)),
    "adjust: other expiry": (lambda u, v: adjust(u, 10), lambda u, v: adjust(u, 10, expires_in_days=30)),
    "an accrual's key used to reserve": (lambda u, v: accrue(u, 10), lambda u, v: reserve(u, 10)),
    "a reservation's key used to redeem": (lambda u, v: reserve(u, 10), lambda u, v: redeem(u, 10)),
    "reverse_order: other share": (
        lambda u, v: ledger.reverse_order("100", fraction=Decimal("0.3"), key="return-1", now=NOW),
        lambda u, v: ledger.reverse_order("100", fraction=Decimal("0.5"), key="return-1", now=NOW),
    ),
    "reverse_order: other order": (
        lambda u, v: ledger.reverse_order("100", fraction=Decimal("0.3"), key="return-1", now=NOW),
        lambda u, v: ledger.reverse_order("101", fraction=Decimal("0.3"), key="return-1", now=NOW),
    ),
}


@pytest.mark.parametrize("first, replay", KEY_REUSED_DIFFERENTLY.values(), ids=KEY_REUSED_DIFFERENTLY.keys())
def test_a_key_reused_with_other_arguments_is_refused(customer, first, replay):
    other = UserFactory()
    ledger.accrue(other, 100, key="other-setup", reason="order", hold_days=0, now=NOW)
    first(customer, other)
    with refused(ledger.IdempotencyConflict):
        replay(customer, other)


# --- keys and order numbers --------------------------------------------------------


@pytest.mark.parametrize("operation", EVERY_WRITER, ids=lambda op: op.__name__)
@pytest.mark.parametrize("key", [None, "", "   ", "k" * 201, 42], ids=["None", "empty", "blank", "too long", "int"])
def test_an_operation_without_a_usable_key_is_refused(customer, operation, key):
    with refused(ledger.InvalidOperation):
        operation(customer, 10, key=key)


@pytest.mark.parametrize("operation", [reserve, redeem], ids=lambda op: op.__name__)
@pytest.mark.parametrize("order_number", [None, "", "   ", "9" * 129], ids=["None", "empty", "blank", "too long"])
def test_spending_without_an_order_number_is_refused(customer, operation, order_number):
    with refused(ledger.InvalidOperation):
        operation(customer, 10, order_number=order_number)


@pytest.mark.parametrize("order_number", [None, "", "   "], ids=["None", "empty", "blank"])
def test_reversing_without_an_order_number_is_refused(customer, order_number):
    with refused(ledger.InvalidOperation):
        ledger.reverse_order(order_number, now=NOW)


# --- reversals ------------------------------------------------------------------------


@pytest.mark.parametrize("fraction", [Decimal("0.5"), 0.3, Decimal("0.999999")], ids=str)
def test_a_partial_reversal_without_its_own_key_is_refused(customer, fraction):
    with refused(ledger.InvalidOperation):
        ledger.reverse_order("100", fraction=fraction, now=NOW)


@pytest.mark.parametrize(
    "fraction",
    [
        0,
        Decimal("0"),
        1.5,
        Decimal("1.000001"),
        -0.1,
        "abc",
        None,
        True,
        float("nan"),
        "Infinity",
        Decimal("0.0000001"),
    ],
    ids=repr,
)
def test_a_share_outside_zero_to_one_is_refused(customer, fraction):
    with refused(ledger.InvalidAmount):
        ledger.reverse_order("100", fraction=fraction, key="return-1", now=NOW)


# --- blocked accounts ----------------------------------------------------------------------


@pytest.mark.parametrize("operation", CREDIT_AND_SPEND, ids=lambda op: op.__name__)
def test_a_blocked_account_neither_earns_nor_spends(customer, operation):
    ledger.set_blocked(customer, True)
    with refused(ledger.AccountBlocked):
        operation(customer, 10)


def test_an_unblocked_account_earns_again(customer):
    ledger.set_blocked(customer, True)
    ledger.set_blocked(customer, False)
    accrue(customer, 10)
    assert ledger.get_balance(customer, now=NOW).pending == 60


# --- hold and expiry periods ------------------------------------------------------------------


@pytest.mark.parametrize(
    "hold_days, expires_in_days",
    [(14, 14), (14, 10), (0, 0), (-1, 30), (None, 14), (3, -5), (1.5, 30), (3, "30")],
    ids=[
        "expires as it matures",
        "expires before",
        "zero lifetime",
        "negative hold",
        "default hold",
        "negative expiry",
        "fractional hold",
        "expiry as text",
    ],
)
def test_an_accrual_that_would_expire_before_it_is_spendable_is_refused(customer, hold_days, expires_in_days):
    with refused(ledger.InvalidAmount):
        accrue(customer, 10, hold_days=hold_days, expires_in_days=expires_in_days)


@pytest.mark.parametrize("hold_days, expires_in_days", [(5, 5), (10, 3), (0, 0)])
def test_an_adjustment_that_would_expire_before_it_is_spendable_is_refused(customer, hold_days, expires_in_days):
    with refused(ledger.InvalidAmount):
        adjust(customer, 10, hold_days=hold_days, expires_in_days=expires_in_days)


@pytest.mark.parametrize("origin", ["restore", "order", "gift"])
def test_an_adjustment_of_another_origin_is_refused(customer, origin):
    with refused(ledger.InvalidOperation):
        adjust(customer, 10, origin=origin)


# --- manual adjustments need a reason and an author ------------------------------------------


@pytest.mark.parametrize(
    "reason, actor",
    [("", "Support"), ("   ", "Support"), (None, "Support"), ("goodwill", ""), ("goodwill", None)],
    ids=["empty reason", "blank reason", "no reason", "empty actor", "no actor"],
)
def test_an_adjustment_without_reason_or_author_is_refused(customer, reason, actor):
    with refused(ledger.InvalidOperation):
        adjust(customer, 10, reason=reason, actor=actor)
