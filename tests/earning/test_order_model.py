"""A model of orders: whatever happens to an order, its points are what a person computes from its final state.

Orders with and without points, over products in several margin groups, are
paid, cancelled, refunded in Oscar's dashboard (before and after they earn),
returned in part, edited in the accounting system (versions in order, out of
order, or missing), and bounce between statuses. The model keeps, per order,
only what a person would: its lines, what was paid with points, the rate it
earned at, and the share of its goods that stands returned. After every step:

- points given back never exceed points spent, and are that share of them;
- the order's accrual is its rate × the remaining goods value paid in money,
  within one point per line (and half a point for rounding the share);
- the customer's tier volume is the remaining value paid in money;
- ``loyalty_check`` finds no drift.
"""

import itertools
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from oscar.core.loading import get_class, get_model

from erp_sync.client import answer_documents
from erp_sync.exchange import commerceml, mapping
from oscar_loyalty import ledger
from oscar_loyalty.checkout.refunds import EventHandler
from oscar_loyalty.earning import services, tiers
from oscar_loyalty.earning.calculations import LineInput, order_accrual
from oscar_loyalty.ledger.calculations import share as points_share
from tests.earning.factories import order_for
from tests.erp.helpers import erp_product, order_paid_with_points
from tests.factories import UserFactory

Lot = get_model("oscar_loyalty", "Lot")
Allocation = get_model("oscar_loyalty", "Allocation")
MarginGroup = get_model("oscar_loyalty", "MarginGroup")
MarginGroupAssignment = get_model("oscar_loyalty", "MarginGroupAssignment")
QualifyingPurchase = get_model("oscar_loyalty", "QualifyingPurchase")
PaymentEventType = get_model("order", "PaymentEventType")
Default = get_class("partner.strategy", "Default")

CENT = Decimal("0.01")
PRICES = ["990.00", "1500.00", "2490.50", "10000.00"]
GROUPS = ["low", "standard", "high"]  # coefficients 0.5, 1.0 and 2.0 (the default groups)
COUNTER = itertools.count(1)


@dataclass
class ModelOrder:
    order: object
    lines: list  # [(price, coefficient)]
    points_paid: int
    goods: Decimal
    share: Decimal = Decimal(0)  # the share of the goods that stands returned
    rate: Decimal | None = None  # the tier's cashback % it earned at; None until it earns
    cancelled: bool = False
    erp_version: int = 0  # the newest version the accounting system sent


class OrderMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.customer = UserFactory()
        self.groups = {code: MarginGroup.objects.get(code=code) for code in GROUPS}
        self.products = {}
        self.orders = []
        self.folder = tempfile.TemporaryDirectory()
        self.refund_type, _created = PaymentEventType.objects.get_or_create(code="refund", defaults={"name": "Refund"})

    def teardown(self):
        self.folder.cleanup()
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    # --- Steps ------------------------------------------------------------

    def product(self, price, group):
        if (price, group) not in self.products:
            product = erp_product(f"p-{next(COUNTER)}", price)
            MarginGroupAssignment.objects.create(group=self.groups[group], product=product)
            self.products[price, group] = product
        return self.products[price, group]

    @rule(
        lines=st.lists(st.tuples(st.sampled_from(PRICES), st.sampled_from(GROUPS)), min_size=1, max_size=3),
        points_share_paid=st.sampled_from([None, Decimal("0.1"), Decimal("0.5"), Decimal("0.9")]),
    )
    def place_order(self, lines, points_share_paid):
        products = [self.product(price, group) for price, group in lines]
        prices = [price for price, _group in lines]
        goods = sum((Decimal(p) for p in prices), Decimal(0))
        if points_share_paid is None:
            order, points = order_for(self.customer, *prices, products=products), 0
        else:
            points = int(goods * points_share_paid)
            order = order_paid_with_points(self.customer, *prices, points=points, products=products)
        # The same product twice is one line of two: the model reads the lines the order has.
        coefficient = {
            product.pk: self.groups[group].coefficient for product, (_p, group) in zip(products, lines, strict=True)
        }
        order_lines = [(line.line_price_incl_tax, coefficient[line.product_id]) for line in order.lines.all()]
        self.orders.append(ModelOrder(order, order_lines, points, goods))

    def pick(self, data, *, earned=None):
        candidates = [o for o in self.orders if not o.cancelled and (earned is None or (o.rate is not None) == earned)]
        return data.draw(st.sampled_from(candidates)) if candidates else None

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def complete(self, data):
        model = self.pick(data)
        if model is None:
            return
        order = model.order
        order.refresh_from_db()
        if "Complete" not in order.available_statuses():
            return
        tier = tiers.tier_for(self.customer)
        order.set_status("Complete")
        if model.rate is None:
            model.rate = tier.cashback_percent

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def bounce(self, data):
        model = self.pick(data, earned=True)
        if model is None:
            return
        order = model.order
        order.refresh_from_db()
        if order.status == "Complete":
            order.set_status("Being processed")
            order.set_status("Complete")

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def cancel(self, data):
        model = self.pick(data)
        if model is None:
            return
        model.order.refresh_from_db()
        model.order.set_status("Cancelled")
        model.cancelled, model.share = True, Decimal(1)

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), part=st.sampled_from([Decimal("0.1"), Decimal("0.25"), Decimal("0.5"), Decimal("1")]))
    def return_goods(self, data, part):
        """A return of goods worth ``part`` of the order, recorded by the shop (by goods value)."""
        model = self.pick(data)
        if model is None:
            return
        amount = (model.goods * part).quantize(CENT)
        services.record_return(model.order, amount, key=f"return:{next(COUNTER)}")
        model.share = min(Decimal(1), model.share + ledger_fraction(amount / model.goods))

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), part=st.sampled_from([Decimal("0.2"), Decimal("0.5"), Decimal("1")]))
    def refund_money(self, data, part):
        """A refund of ``part`` of what the goods cost in money, entered in Oscar's dashboard."""
        model = self.pick(data)
        if model is None:
            return
        in_money = model.goods - model.points_paid
        base = in_money if in_money > 0 else model.goods
        amount = (base * part).quantize(CENT)
        EventHandler().handle_payment_event(model.order, self.refund_type, amount)
        model.share = min(Decimal(1), model.share + ledger_fraction(amount / base))

    @precondition(lambda self: self.orders)
    @rule(
        data=st.data(),
        kept=st.sampled_from([Decimal("0"), Decimal("0.3"), Decimal("0.5"), Decimal("0.75"), Decimal("1")]),
        version=st.sampled_from(["next", "stale", "none"]),
    )
    def edit_in_1c(self, data, kept, version):
        """The accounting system reports each line at ``kept`` of its amount (a target, not a change)."""
        model = self.pick(data)
        if model is None:
            return
        if version == "next":
            number = model.erp_version + 2
        elif version == "stale":
            number = model.erp_version - 1
            if number < 1:
                return
        else:
            number = None
        order = model.order
        lines = [
            (self.erp_id(line), f"{(line.line_price_incl_tax * kept).quantize(CENT)}") for line in order.lines.all()
        ]
        path = Path(self.folder.name) / f"{next(COUNTER)}.xml"
        path.write_bytes(answer_documents([(str(order.number), lines)], version=number, posted=False))
        outcomes = [mapping.apply_document(doc) for doc in commerceml.iter_documents(path)]
        assert all(outcome.status != "failed" for outcome in outcomes), outcomes
        if number is None or number > model.erp_version:  # an older version than one applied changes nothing
            total = sum((Decimal(amount) for _id, amount in lines), Decimal(0))
            model.share = ledger_fraction(max(Decimal(0), 1 - total / model.goods))
            model.erp_version = number or model.erp_version

    @staticmethod
    def erp_id(line):
        return line.product.attribute_values.get(attribute__code="erp_id").value_text

    # --- Invariants -------------------------------------------------------

    @invariant()
    def points_given_back_are_the_returned_share_of_the_points_spent(self):
        for model in self.orders:
            allocations = Allocation.objects.filter(reservation__order_number=model.order.number)
            spent = sum(a.points for a in allocations)
            restored = sum(a.restored_points for a in allocations)
            assert spent == model.points_paid
            assert 0 <= restored <= spent
            assert restored == sum(points_share(a.points, model.share) for a in allocations)

    @invariant()
    def each_accrual_is_the_rate_on_the_remaining_goods_paid_in_money(self):
        for model in self.orders:
            lots = Lot.objects.filter(order_number=model.order.number).exclude(origin=Lot.RESTORE)
            net = sum(lot.points - lot.reversed_points for lot in lots)
            if model.rate is None:
                assert net == 0
                continue
            inputs = [LineInput(str(i), Decimal(p), c) for i, (p, c) in enumerate(model.lines)]
            accruals = order_accrual(inputs, cashback_percent=model.rate, reduction=Decimal(model.points_paid))
            exact = sum(
                a.paid * (1 - model.share) * model.rate / 100 * c
                for a, (_p, c) in zip(accruals, model.lines, strict=True)
            )
            assert abs(net - exact) < len(model.lines) + Decimal("0.5"), (net, exact)
            # And exactly: the whole-order points less the returned share of them, rounded half up.
            whole = sum(a.points for a in accruals)
            assert net == whole - points_share(whole, model.share)

    @invariant()
    def the_tier_volume_is_the_remaining_value_paid_in_money(self):
        for model in self.orders:
            purchase = QualifyingPurchase.objects.filter(order_number=model.order.number).first()
            if model.rate is None:
                continue
            paid = model.goods - model.points_paid
            assert purchase.amount == paid
            assert purchase.amount - purchase.returned == paid - min(paid, (paid * model.share).quantize(CENT))

    @invariant()
    def the_books_balance(self):
        assert ledger.check_accounts() == []


def ledger_fraction(value):
    """A share as the ledger keeps it: six places, rounded down."""
    return Decimal(value).quantize(Decimal("0.000001"), rounding="ROUND_DOWN")


OrderMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
TestOrders = pytest.mark.django_db(OrderMachine.TestCase)
