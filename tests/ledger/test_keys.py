"""Caller keys and the keys the ledger derives for its own entries never collide.

The ledger names some entries after another key (a reservation's capture is
``<reservation key>:capture``) or after a lot (``activate:<lot id>``). A
caller's key of one of those shapes would take the name first, and the
ledger's own write would later fail on the unique index, after a payment was
taken. Such keys are refused up front, with a clear error and nothing written.
"""

from datetime import UTC, datetime, timedelta

import pytest

from oscar_loyalty import ledger
from oscar_loyalty.ledger.calculations import check_key
from tests.factories import UserFactory
from tests.ledger.test_bad_input import refused

pytestmark = pytest.mark.django_db

NOW = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


@pytest.fixture(params=[True, False], ids=["database-functions", "python"])
def both_paths(request, settings):
    settings.OSCAR_LOYALTY_DATABASE_FUNCTIONS = request.param


def test_a_caller_key_shaped_like_a_capture_is_refused_and_the_capture_still_goes_through(both_paths):
    user = UserFactory()
    ledger.accrue(user, 500, key="setup", reason="order", order="1", hold_days=0, now=NOW)
    with refused(ledger.InvalidOperation):
        ledger.accrue(user, 10, key="checkout:100001:points:capture", reason="gift", now=NOW)
    reservation = ledger.reserve(user, 100, key="checkout:100001:points", order_number="100001", now=NOW)
    captured = ledger.capture(reservation, now=NOW)
    assert captured.status == captured.CAPTURED
    assert ledger.check_accounts() == []


def test_an_adjustment_keyed_like_an_activation_is_refused_and_activation_still_runs(both_paths):
    user = UserFactory()
    lot = ledger.accrue(user, 300, key="pending", reason="order", order="2", hold_days=14, now=NOW)
    with refused(ledger.InvalidOperation):
        ledger.adjust(user, 5, key=f"activate:{lot.pk}", reason="goodwill", actor="staff", now=NOW)
    assert ledger.activate_matured_lots(now=NOW + timedelta(days=15)) == 1
    assert ledger.get_balance(user, now=NOW + timedelta(days=15)).available == 300
    assert ledger.check_accounts() == []


@pytest.mark.parametrize(
    "key",
    [
        "r1:capture",
        "r1:release",
        "return-7:release:12",
        "return-7:lot:12",
        "return-7:allocation:3",
        "activate:12",
        "expire:12",
    ],
)
def test_every_derived_shape_is_reserved(key):
    with pytest.raises(ledger.InvalidOperation, match="reserved"):
        check_key(key)


@pytest.mark.parametrize(
    "key", ["order:100001:accrual", "checkout:100001:points", "return:RMA-7", "activate-campaign", "captured"]
)
def test_ordinary_caller_keys_pass(key):
    assert check_key(key) == key


def test_a_reversal_key_shaped_like_a_lot_entry_is_refused():
    user = UserFactory()
    ledger.accrue(user, 100, key="setup", reason="order", order="3", hold_days=0, now=NOW)
    with refused(ledger.InvalidOperation):
        ledger.reverse_order("3", fraction=1, key="setup:lot:1", now=NOW)
