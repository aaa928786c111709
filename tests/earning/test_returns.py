"""Returns, refunds and ERP edits leave the customer with what a person computes from the order's final state.

A return's share is the returned goods value over the order's goods value
(the part paid with points included), whoever reports it. Goods totals from
the accounting system are targets, not increments. A refund booked before the
order earned is honoured when it earns.
"""

from decimal import Decimal as D

import pytest
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.earning import services
from tests.earning.factories import order_for
from tests.erp.helpers import order_paid_with_points
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Lot = get_model("oscar_loyalty", "Lot")
QualifyingPurchase = get_model("oscar_loyalty", "QualifyingPurchase")


def accrued(order):
    """What the order's lots hold net of reversals."""
    return sum(
        lot.points - lot.reversed_points
        for lot in Lot.objects.filter(order_number=order.number).exclude(origin=Lot.RESTORE)
    )


def volume(order):
    purchase = QualifyingPurchase.objects.get(order_number=order.number)
    return purchase.amount - purchase.returned


def test_half_the_goods_returned_gives_back_half_the_points_spent_and_takes_half_the_accrual():
    # One line of 10,000, 5,000 of it paid with points: 5,000 paid in money earns 3% = 150.
    customer = UserFactory()
    order = order_paid_with_points(customer, "10000.00", points=5000)
    services.accrue_for_order(order)
    assert accrued(order) == 150
    assert ledger.get_balance(customer).available == 0

    services.record_return(order, D("5000.00"), key="return:1")  # half the goods, by goods value

    assert ledger.get_balance(customer).available == 2500
    assert accrued(order) == 75
    assert volume(order) == D("2500.00")


@pytest.mark.parametrize(
    "totals",
    [
        ["5000.00", "10000.00"],  # down, then restored
        ["5000.00", "10000.00", "2500.00", "10000.00"],  # down, up, down, up
        ["2500.00", "5000.00"],  # down, then partly back
        ["7500.00", "7500.00", "5000.00"],  # a total repeated without a version, then lower
    ],
)
def test_goods_totals_from_the_accounting_system_are_targets(totals):
    customer = UserFactory()
    order = order_paid_with_points(customer, "10000.00", points=5000)
    services.accrue_for_order(order)

    for number, total in enumerate(totals):
        services.apply_goods_total(order, D(total), key=f"edit:{number}", reason="edited in 1C")

    final = D(totals[-1])
    share = 1 - final / D("10000.00")
    assert ledger.get_balance(customer).available == round(5000 * share)
    assert abs(accrued(order) - 150 * (1 - share)) < 1  # within a point
    assert volume(order) == (D("5000.00") * (1 - share)).quantize(D("0.01"))
    assert ledger.check_accounts() == []


def test_a_total_already_applied_is_not_applied_again_whatever_its_key():
    customer = UserFactory()
    order = order_paid_with_points(customer, "10000.00", points=5000)
    services.accrue_for_order(order)

    services.apply_goods_total(order, D("5000.00"), key="edit:1", reason="edited")
    services.apply_goods_total(order, D("5000.00"), key="edit:2", reason="sent again")

    assert ledger.get_balance(customer).available == 2500
    assert accrued(order) == 75


def test_a_full_refund_before_the_order_earned_leaves_nothing_to_earn():
    customer = UserFactory()
    order = order_for(customer, "10000.00")
    services.reverse_for_order(order, reason="refunded while being processed")

    services.accrue_for_order(order)

    assert accrued(order) == 0
    assert ledger.get_balance(customer).total == 0
    assert volume(order) == D("0.00")
    assert ledger.check_accounts() == []


def test_a_half_refund_before_the_order_earned_earns_half():
    customer = UserFactory()
    order = order_for(customer, "10000.00")
    services.record_return(order, D("5000.00"), key="return:early")

    services.accrue_for_order(order)

    assert accrued(order) == 150  # 3% of the 5,000 kept
    assert ledger.get_balance(customer).pending == 150
    assert volume(order) == D("5000.00")
    assert ledger.check_accounts() == []


def test_a_goods_total_lowered_before_the_order_earned_is_honoured_when_it_earns():
    customer = UserFactory()
    order = order_for(customer, "10000.00")
    services.apply_goods_total(order, D("4000.00"), key="edit:1", reason="edited in 1C")

    services.accrue_for_order(order)

    assert accrued(order) == 120  # 3% of 4,000
    assert volume(order) == D("4000.00")
