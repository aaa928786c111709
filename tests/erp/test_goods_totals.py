"""Goods totals from 1C are targets: the order's points follow its current total, whatever came before.

One line of 10,000 of which 5,000 was paid with points; 3% cashback on the
5,000 paid in money is 150. Returned share = 1 − total ÷ 10,000; by hand, that
share of the 5,000 spent points comes back and that share of the 150 goes.
"""

from decimal import Decimal as D

import pytest
from oscar.core.loading import get_model

from erp_sync.client import answer_documents
from erp_sync.exchange import commerceml, mapping
from oscar_loyalty import ledger
from oscar_loyalty.earning import services
from tests.erp.helpers import erp_product, order_paid_with_points
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Lot = get_model("oscar_loyalty", "Lot")
QualifyingPurchase = get_model("oscar_loyalty", "QualifyingPurchase")


@pytest.fixture
def order():
    customer = UserFactory()
    order = order_paid_with_points(customer, "10000.00", points=5000, products=[erp_product("bike-1", "10000.00")])
    services.accrue_for_order(order)
    return order


def send(tmp_path, order, total, version):
    """Apply one 1C document that reports ``total`` for the order's one line."""
    path = tmp_path / f"doc-{version}-{total}.xml"
    path.write_bytes(answer_documents([(str(order.number), [("bike-1", total)])], version=version, posted=False))
    outcomes = [mapping.apply_document(doc) for doc in commerceml.iter_documents(path)]
    assert [outcome.status for outcome in outcomes] != ["failed"], outcomes
    return outcomes


def expect(order, total):
    share = 1 - D(total) / D("10000.00")
    balance = ledger.get_balance(order.user)
    lots = Lot.objects.filter(order_number=order.number).exclude(origin=Lot.RESTORE)
    purchase = QualifyingPurchase.objects.get(order_number=order.number)
    assert balance.available == round(5000 * share)
    assert abs(sum(lot.points - lot.reversed_points for lot in lots) - 150 * (1 - share)) < 1  # within a point
    assert purchase.amount - purchase.returned == (D("5000.00") * (1 - share)).quantize(D("0.01"))
    assert ledger.check_accounts() == []


def test_half_the_total_gives_back_half_the_points_spent_and_takes_half_the_accrual(tmp_path, order):
    send(tmp_path, order, "5000.00", version=2)
    expect(order, "5000.00")


@pytest.mark.parametrize(
    "versions",
    [
        [(2, "5000.00"), (3, "10000.00")],  # down, then restored
        [(2, "5000.00"), (3, "10000.00"), (4, "2500.00"), (5, "7500.00")],  # down, up, down, up
        [(3, "2500.00"), (2, "5000.00")],  # out of order: the stale version changes nothing
        [(4, "7500.00"), (2, "5000.00"), (3, "1000.00")],
    ],
)
def test_versions_in_any_order_end_where_the_newest_alone_would(tmp_path, order, versions):
    for version, total in versions:
        send(tmp_path, order, total, version)
    newest = max(versions)[1]
    expect(order, newest)


def test_documents_without_a_version_apply_by_arrival_and_a_repeat_changes_nothing(tmp_path, order):
    for total in ["5000.00", "5000.00", "10000.00", "5000.00", "5000.00"]:
        send(tmp_path, order, total, version=None)
    expect(order, "5000.00")


def test_a_lower_total_before_the_order_earned_is_honoured_when_it_earns(tmp_path):
    customer = UserFactory()
    order = order_paid_with_points(customer, "10000.00", points=5000, products=[erp_product("bike-2", "10000.00")])
    path = tmp_path / "early.xml"
    path.write_bytes(answer_documents([(str(order.number), [("bike-2", "5000.00")])], version=1, posted=False))
    [mapping.apply_document(doc) for doc in commerceml.iter_documents(path)]

    services.accrue_for_order(order)

    expect(order, "5000.00")
