"""Cancelling or refunding an order in Oscar's dashboard gives its points back through the ledger."""

from decimal import Decimal as D

import pytest
from django.test import Client
from django.urls import reverse
from oscar.core.loading import get_class, get_model

from oscar_loyalty import ledger
from oscar_loyalty.checkout.refunds import (
    EventHandler,
    amount_refund_fraction,
    line_refund_fraction,
    restore_points_for_refund,
)
from tests.checkout.flow import choose_points, customer_with_points, place_order, product_priced, reach_payment_details
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Order = get_model("order", "Order")
PaymentEvent = get_model("order", "PaymentEvent")
PaymentEventType = get_model("order", "PaymentEventType")
QualifyingPurchase = get_model("oscar_loyalty", "QualifyingPurchase")
Reversal = get_model("oscar_loyalty", "Reversal")
Source = get_model("payment", "Source")


def available(user):
    return ledger.get_balance(user).available


def points_refunded(order):
    """The points payment source's refunded amount, and its refund transactions' amounts."""
    source = Source.objects.get(order=order, source_type__name="Bonus points")
    refunds = source.transactions.filter(txn_type="Refund").values_list("amount", flat=True)
    return source.amount_refunded, sorted(refunds)


@pytest.fixture
def order_paid_with_points():
    """A 600 and a 400 bike, 150 points paid of the 1,000: the customer keeps 350 of 500."""
    client = Client()  # the customer's own browser
    user = customer_with_points(500)
    small = product_priced("400.00")
    client.force_login(user)
    client.post(reverse("basket:add", kwargs={"pk": small.pk}), {"quantity": 1})
    reach_payment_details(client, user, product_priced("600.00"))
    choose_points(client, "150")
    assert place_order(client).status_code == 302
    order = Order.objects.get()
    assert available(user) == 350
    return order


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def refund_type():
    return PaymentEventType.objects.get(code="refund")  # created by the plugin's migrations


def order_page(order):
    return reverse("dashboard:order-detail", kwargs={"number": order.number})


def refund_lines(client, order, quantities, event_type="refund"):
    data = {"line_action": "create_payment_event", "payment_event_type": event_type, "amount": ""}
    data["selected_line"] = [str(line.pk) for line in quantities]
    data.update({f"selected_line_qty_{line.pk}": str(quantity) for line, quantity in quantities.items()})
    return client.post(order_page(order), data, follow=True)


def refund_amount(client, order, amount, event_type="refund"):
    data = {"order_action": "create_order_payment_event", "payment_event_type": event_type, "amount": amount}
    return client.post(order_page(order), data, follow=True)


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def line_priced(order, price):
    return order.lines.get(line_price_incl_tax=D(price))


# --- Wiring ----------------------------------------------------------------------


def test_oscars_order_event_handler_is_the_plugins_through_the_class_loader():
    assert get_class("order.processing", "EventHandler") is EventHandler
    assert get_class("order.mixins", "EventHandlerMixin").handler_class is EventHandler


# --- Cancelling -------------------------------------------------------------------


def test_cancelling_the_order_in_the_dashboard_restores_the_points(staff, order_paid_with_points):
    order = order_paid_with_points

    response = staff.post(order_page(order), {"order_action": "change_order_status", "new_status": "Cancelled"})

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "Cancelled"
    assert available(order.user) == 500
    reversal = Reversal.objects.get(order_number=order.number)
    assert reversal.points_restored == 150
    assert points_refunded(order) == (D("150.00"), [D("150.00")])
    assert ledger.check_accounts() == []


def test_cancelling_from_the_dashboards_order_list_restores_the_points(staff, order_paid_with_points):
    order = order_paid_with_points

    staff.post(
        reverse("dashboard:order-list"),
        {"action": "change_order_statuses", "selected_order": [order.pk], "new_status": "Cancelled"},
    )

    order.refresh_from_db()
    assert order.status == "Cancelled"
    assert available(order.user) == 500


# --- Refunds ----------------------------------------------------------------------


def test_a_refund_of_some_lines_restores_their_share_of_the_points(staff, order_paid_with_points, refund_type):
    order = order_paid_with_points

    response = refund_lines(staff, order, {line_priced(order, "400.00"): 1})

    assert "Payment event created" in messages_of(response)
    assert PaymentEvent.objects.filter(order=order, event_type=refund_type).count() == 1
    assert available(order.user) == 350 + 60  # 400 of the 1,000: 40% of the 150 points
    assert Reversal.objects.get(order_number=order.number).fraction == D("0.4")
    assert ledger.check_accounts() == []


def test_the_same_lines_refunded_twice_restore_once(staff, order_paid_with_points, refund_type):
    order = order_paid_with_points
    line = line_priced(order, "400.00")
    refund_lines(staff, order, {line: 1})

    response = refund_lines(staff, order, {line: 1})

    assert f"Unable to create payment event: The selected quantity for line #{line.pk} is too large" in messages_of(
        response
    )
    assert PaymentEvent.objects.filter(order=order, event_type=refund_type).count() == 1
    assert available(order.user) == 410
    assert points_refunded(order) == (D("60.00"), [D("60.00")])


def test_refunding_every_line_restores_every_point(staff, order_paid_with_points, refund_type):
    order = order_paid_with_points

    refund_lines(staff, order, {line: line.quantity for line in order.lines.all()})

    assert available(order.user) == 500
    assert ledger.check_accounts() == []


def test_a_refund_of_the_whole_order_in_money_restores_its_points(staff, order_paid_with_points, refund_type):
    order = order_paid_with_points

    refund_amount(staff, order, "850.00")  # all that was paid in money

    assert available(order.user) == 500


def test_the_whole_order_refunded_twice_restores_once(staff, order_paid_with_points, refund_type):
    order = order_paid_with_points
    refund_amount(staff, order, "850.00")

    response = refund_amount(staff, order, "850.00")

    assert "Payment event created" in messages_of(response)
    assert available(order.user) == 500
    assert points_refunded(order) == (D("150.00"), [D("150.00")])
    assert ledger.check_accounts() == []


def test_a_partial_refund_in_money_restores_its_share(staff, order_paid_with_points, refund_type):
    order = order_paid_with_points

    refund_amount(staff, order, "425.00")  # half of the 850 paid in money

    assert available(order.user) == 350 + 75


def test_cancelling_after_a_refund_restores_what_is_left(staff, order_paid_with_points, refund_type):
    order = order_paid_with_points
    refund_lines(staff, order, {line_priced(order, "400.00"): 1})

    staff.post(order_page(order), {"order_action": "change_order_status", "new_status": "Cancelled"})

    assert available(order.user) == 500
    # Oscar's record of the points part of the payment follows: 60.00 with the refund, the 90.00 left on cancelling.
    assert points_refunded(order) == (D("150.00"), [D("60.00"), D("90.00")])
    assert ledger.check_accounts() == []


def test_a_refund_takes_back_the_share_of_the_points_the_order_earned_and_of_its_volume(
    staff, order_paid_with_points, refund_type
):
    order = order_paid_with_points
    order.set_status("Complete")  # earns 3% of the 850 paid in money: 25 points, pending
    assert ledger.get_balance(order.user).pending == 25

    refund_lines(staff, order, {line_priced(order, "400.00"): 1})

    assert ledger.get_balance(order.user).pending == 25 - 10  # 40% of 25, rounded half up
    assert available(order.user) == 410
    purchase = QualifyingPurchase.objects.get(order_number=order.number)
    assert purchase.returned == (purchase.amount * D("0.4")).quantize(D("0.01"))


@pytest.mark.parametrize("amount", ["-10.00", "0"])
def test_a_refund_of_no_money_is_refused_and_changes_nothing(staff, order_paid_with_points, refund_type, amount):
    order = order_paid_with_points

    response = refund_amount(staff, order, amount)

    assert "Unable to create payment event: A refund must be of a positive amount." in messages_of(response)
    assert not PaymentEvent.objects.filter(order=order, event_type=refund_type).exists()
    assert available(order.user) == 350


def test_a_payment_event_of_another_type_gives_nothing_back(staff, order_paid_with_points):
    order = order_paid_with_points
    PaymentEventType.objects.create(name="Paid")

    refund_amount(staff, order, "850.00", event_type="paid")

    assert available(order.user) == 350
    assert not Reversal.objects.exists()


def test_the_same_refund_event_is_undone_once_however_often_it_is_replayed(order_paid_with_points, refund_type):
    order = order_paid_with_points
    event = PaymentEvent.objects.create(order=order, event_type=refund_type, amount=D("425.00"))

    first = restore_points_for_refund(order, event, D("425.00"))
    again = restore_points_for_refund(order, event, D("425.00"))

    assert first.pk == again.pk
    assert available(order.user) == 425
    assert Reversal.objects.count() == 1


# --- The shares, as plain values -------------------------------------------------------


@pytest.mark.parametrize(
    ("refunded", "lines", "expected"),
    [
        # One line of two, whole.
        ([("400.00", 1, 1)], ["600.00", "400.00"], "0.4"),
        # One of the three items a line holds.
        ([("600.00", 3, 1)], ["600.00", "400.00"], "0.2"),
        # Everything.
        ([("600.00", 1, 1), ("400.00", 1, 1)], ["600.00", "400.00"], "1"),
        # An order of free goods has nothing to share.
        ([("0.00", 1, 1)], ["0.00"], "0"),
    ],
)
def test_line_refund_fraction(refunded, lines, expected):
    assert line_refund_fraction([(D(v), of, q) for v, of, q in refunded], [D(v) for v in lines]) == D(expected)


@pytest.mark.parametrize(
    ("amount", "total", "points_paid", "expected"),
    [
        ("850.00", "1000.00", "150.00", "1"),  # all the money paid
        ("425.00", "1000.00", "150.00", "0.5"),
        ("2000.00", "1000.00", "150.00", "1"),  # never more than the order
        ("500.00", "1000.00", "0.00", "0.5"),  # no points paid
        ("500.00", "1000.00", "1000.00", "0.5"),  # paid entirely with points: a share of the total
        ("-1.00", "1000.00", "150.00", "0"),
    ],
)
def test_amount_refund_fraction(amount, total, points_paid, expected):
    assert amount_refund_fraction(D(amount), D(total), D(points_paid)) == D(expected)


def test_a_refund_of_money_is_a_share_of_the_goods_not_of_the_shipping():
    """Goods of 1,000 (150 paid with points) and 300 of shipping: refunding 425 returns half the goods."""
    from oscar_loyalty.checkout.refunds import refund_fraction
    from tests.earning.factories import order_for
    from tests.erp.helpers import order_paid_with_points as paid_with_points

    user = UserFactory()
    order = paid_with_points(user, "1000.00", points=150)
    order.shipping_incl_tax = order.shipping_excl_tax = D("300.00")
    order.total_incl_tax = order.total_excl_tax = D("1300.00")
    order.save()

    assert refund_fraction(order, D("425.00")) == D("0.5")
    assert refund_fraction(order_for(user, "1000.00"), D("250.00")) == D("0.25")
