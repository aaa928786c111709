"""Paying with points through Oscar's real checkout views."""

from decimal import Decimal as D
from unittest import mock

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.urls import reverse
from oscar.apps.checkout import views as oscar_views
from oscar.core.loading import get_class, get_model

from oscar_loyalty import ledger
from oscar_loyalty.checkout import choice
from oscar_loyalty.checkout.loading import class_loader
from oscar_loyalty.checkout.mixins import PointsPaymentMixin, reservation_key
from oscar_loyalty.checkout.views import PaymentDetailsView
from tests.checkout.flow import (
    choose_points,
    chosen_points,
    customer_with_points,
    place_order,
    product_priced,
    reach_payment_details,
    set_chosen_points,
)

pytestmark = pytest.mark.django_db

Order = get_model("order", "Order")
Source = get_model("payment", "Source")
PaymentEvent = get_model("order", "PaymentEvent")
Reservation = get_model("oscar_loyalty", "Reservation")
Lot = get_model("oscar_loyalty", "Lot")
UnableToTakePayment = get_class("payment.exceptions", "UnableToTakePayment")


def available(user):
    return ledger.get_balance(user).available


def form_errors(response):
    return response.context["loyalty"]["form"].errors.get("points")


# --- Wiring --------------------------------------------------------------------


def test_oscars_checkout_uses_the_plugins_view_through_the_class_loader():
    assert apps.get_app_config("checkout").payment_details_view is PaymentDetailsView
    assert issubclass(PaymentDetailsView, oscar_views.PaymentDetailsView)
    assert get_class("checkout.views", "ShippingAddressView") is oscar_views.ShippingAddressView


def test_the_loader_leaves_a_forked_checkouts_own_view_alone():
    class ShopView(PointsPaymentMixin, oscar_views.PaymentDetailsView):
        pass

    with mock.patch("oscar_loyalty.checkout.loading.default_class_loader", return_value=[ShopView]):
        assert class_loader("checkout.views", ["PaymentDetailsView"], "oscar.apps") == [ShopView]


# --- The payment step and the preview ---------------------------------------------


def test_the_payment_step_shows_the_available_points_and_the_maximum(client):
    user = customer_with_points(500)
    response = reach_payment_details(client, user, product_priced("1000.00"))

    assert response.context["loyalty"]["available"] == 500
    assert response.context["loyalty"]["max_points"] == 200  # the entry tier: 20% of 1,000
    content = response.content.decode()
    assert "You have 500 points available and can use up to 200 of them on this order." in content
    assert 'id="loyalty_points_form"' in content
    assert 'id="view_preview"' in content  # Oscar's own "Continue" stays


def test_the_preview_shows_the_points_the_remaining_amount_and_the_bonuses(client):
    user = customer_with_points(500)
    reach_payment_details(client, user, product_priced("1000.00"))

    response = choose_points(client, "150")

    assert response.status_code == 200
    assert response.template_name == ["oscar/checkout/preview.html"]
    loyalty = response.context["loyalty"]
    assert loyalty["points"] == 150
    assert loyalty["remaining"] == D("850.00")
    assert loyalty["bonus"] == 25  # 3% of the 850 paid in money
    content = response.content.decode()
    assert "Paid with 150 bonus points" in content
    assert 'id="loyalty-remaining"' in content
    assert Reservation.objects.count() == 0  # nothing is held before "Place order"


def test_use_maximum_chooses_the_maximum(client):
    user = customer_with_points(500)
    reach_payment_details(client, user, product_priced("1000.00"))

    response = client.post(reverse("checkout:preview"), {"points": "", "use_maximum": "1"})

    assert response.context["loyalty"]["points"] == 200


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ("201", "You can use at most 200 points on this order."),
        ("-5", "The number of points cannot be negative."),
        ("1.5", "Points can only be used in whole numbers."),
        ("lots", "Enter the number of points as a whole number, e.g. 150."),
    ],
)
def test_bad_amounts_are_refused_on_the_form_and_reserve_nothing(client, points, message):
    user = customer_with_points(500)
    reach_payment_details(client, user, product_priced("1000.00"))

    response = choose_points(client, points)

    assert response.status_code == 200
    assert response.template_name == ["oscar/checkout/payment_details.html"]
    assert form_errors(response) == [message]
    assert message in response.content.decode()
    assert chosen_points(client) is None
    assert Reservation.objects.count() == 0
    assert available(user) == 500


def test_more_points_than_available_are_refused(client):
    user = customer_with_points(100)
    reach_payment_details(client, user, product_priced("1000.00"))

    response = choose_points(client, "150")

    assert form_errors(response) == ["You have only 100 points available."]
    assert Reservation.objects.count() == 0


# --- Placing the order -------------------------------------------------------------


def test_an_order_paid_partly_with_points(client):
    user = customer_with_points(500)
    reach_payment_details(client, user, product_priced("1000.00"))
    choose_points(client, "150")

    response = place_order(client)

    assert response.status_code == 302
    assert response.url == reverse("checkout:thank-you")
    order = Order.objects.get()
    source = Source.objects.get(order=order)
    assert source.source_type.name == "Bonus points"
    assert source.amount_allocated == source.amount_debited == D("150.00")
    assert source.reference == reservation_key(order.number)
    assert PaymentEvent.objects.get(order=order).amount == D("150.00")
    reservation = Reservation.objects.get()
    assert reservation.status == Reservation.CAPTURED
    assert reservation.order_number == order.number
    assert available(user) == 350
    assert ledger.check_accounts() == []

    # Accrual later earns on the money part only: 3% of 850.
    order.set_status("Complete")
    assert Lot.objects.get(order_number=order.number).points == 25


def test_an_order_without_points_reserves_nothing(client):
    user = customer_with_points(500)
    reach_payment_details(client, user, product_priced("1000.00"))
    choose_points(client, "0")

    place_order(client)

    order = Order.objects.get()
    assert not Source.objects.filter(order=order).exists()
    assert Reservation.objects.count() == 0
    assert available(user) == 500


def test_order_placement_failing_after_the_reservation_releases_the_points(client):
    user = customer_with_points(500)
    reach_payment_details(client, user, product_priced("1000.00"))
    choose_points(client, "150")

    with mock.patch.object(
        oscar_views.PaymentDetailsView, "handle_order_placement", side_effect=RuntimeError("database down")
    ):
        response = place_order(client)

    assert response.status_code == 200
    assert "A problem occurred while placing this order" in response.content.decode()
    assert not Order.objects.exists()
    assert Reservation.objects.get().status == Reservation.RELEASED
    assert available(user) == 500
    assert ledger.check_accounts() == []

    # The restored basket keeps its order number; trying again spends the points once.
    response = place_order(client)

    assert response.status_code == 302
    assert Order.objects.count() == 1
    assert available(user) == 350
    assert sorted(Reservation.objects.values_list("status", flat=True)) == [
        Reservation.CAPTURED,
        Reservation.RELEASED,
    ]


def test_order_creation_failing_inside_the_transaction_leaves_no_order_and_no_points_spent(client):
    user = customer_with_points(500)
    reach_payment_details(client, user, product_priced("1000.00"))
    choose_points(client, "150")

    with mock.patch.object(oscar_views.PaymentDetailsView, "save_payment_details", side_effect=RuntimeError("boom")):
        place_order(client)

    assert not Order.objects.exists()
    assert Reservation.objects.get().status == Reservation.RELEASED
    assert available(user) == 500


def test_another_payment_declined_releases_the_points(client):
    user = customer_with_points(500)
    reach_payment_details(client, user, product_priced("1000.00"))
    choose_points(client, "150")

    with mock.patch.object(
        oscar_views.PaymentDetailsView, "handle_payment", side_effect=UnableToTakePayment("Card declined")
    ):
        response = place_order(client)

    assert response.template_name == ["oscar/checkout/payment_details.html"]
    assert "Card declined" in response.content.decode()
    assert not Order.objects.exists()
    assert Reservation.objects.get().status == Reservation.RELEASED
    assert available(user) == 500


def test_placing_the_order_twice_spends_the_points_once(client):
    user = customer_with_points(500)
    reach_payment_details(client, user, product_priced("1000.00"))
    choose_points(client, "150")

    place_order(client)
    second = place_order(client)

    assert second.status_code == 302  # Oscar sends an empty basket back to the basket page
    assert Order.objects.count() == 1
    assert Reservation.objects.count() == 1
    assert available(user) == 350


def test_the_same_order_number_reserves_once(rf):
    user = customer_with_points(500)
    view = PaymentDetailsView()
    view.request = rf.post("/")
    view.request.user = user

    first = view._reserve("100042", 150)
    second = view._reserve("100042", 150)

    assert first.pk == second.pk
    assert available(user) == 350


def test_a_tampered_choice_is_checked_again_when_the_order_is_placed(client):
    user = customer_with_points(500)
    reach_payment_details(client, user, product_priced("1000.00"))
    choose_points(client, "150")
    set_chosen_points(client, 400)  # more than the 200 allowed on this order

    response = place_order(client)

    assert response.template_name == ["oscar/checkout/payment_details.html"]
    assert "You can use at most 200 points on this order." in response.content.decode()
    assert not Order.objects.exists()
    assert Reservation.objects.count() == 0
    assert available(user) == 500


def test_points_spent_elsewhere_meanwhile_are_checked_again_when_the_order_is_placed(client):
    user = customer_with_points(500)
    reach_payment_details(client, user, product_priced("1000.00"))
    choose_points(client, "150")
    ledger.redeem(user, 400, key="elsewhere", order_number="999")

    response = place_order(client)

    assert "You have only 100 points available." in response.content.decode()
    assert not Order.objects.exists()
    assert available(user) == 100


def test_cancelling_the_order_restores_the_points(client):
    user = customer_with_points(500)
    reach_payment_details(client, user, product_priced("1000.00"))
    choose_points(client, "150")
    place_order(client)
    order = Order.objects.get()
    assert available(user) == 350

    order.set_status("Cancelled")

    assert available(user) == 500
    assert ledger.check_accounts() == []


def test_a_forked_checkout_charges_the_rest_after_the_points(client):
    user = customer_with_points(500)
    reach_payment_details(client, user, product_priced("1000.00"))
    choose_points(client, "150")
    charged = []

    def charge_the_card(view, order_number, total, **kwargs):
        charged.append(total.incl_tax - view.get_points_payment())

    with mock.patch.object(oscar_views.PaymentDetailsView, "handle_payment", charge_the_card):
        place_order(client)

    assert charged == [D("850.00")]
    assert Reservation.objects.get().status == Reservation.CAPTURED


def test_a_reservation_released_before_the_order_is_written_leaves_no_order(client):
    user = customer_with_points(500)
    reach_payment_details(client, user, product_priced("1000.00"))
    choose_points(client, "150")

    def stale_meanwhile(view, order_number, total, **kwargs):
        # The beat task's timeout, compressed into the payment step.
        ledger.release(view._points_reservation, reason="stale")

    with mock.patch.object(oscar_views.PaymentDetailsView, "handle_payment", stale_meanwhile):
        response = place_order(client)

    assert "The points reserved for this order were released meanwhile." in response.content.decode()
    assert not Order.objects.exists()
    assert not Source.objects.exists()
    assert available(user) == 500


def test_a_guest_pays_no_points_whatever_the_cookie_says(rf):
    # Oscar decides at URL set-up whether guests may check out, so this stays at the view level.
    view = PaymentDetailsView()
    view.request = rf.post("/")
    view.request.user = AnonymousUser()
    view.request.COOKIES[choice.COOKIE_NAME] = signing.dumps([None, None, 150], salt=choice.SALT)
    view.checkout_session = mock.Mock()

    view.handle_payment("100077", mock.Mock(incl_tax=D("1000.00"), currency="RUB"))

    assert not view.can_pay_with_points()
    assert view._points_reservation is None
    assert Reservation.objects.count() == 0


def test_the_preview_warns_when_the_chosen_points_are_no_longer_allowed(client):
    user = customer_with_points(500)
    reach_payment_details(client, user, product_priced("1000.00"))
    choose_points(client, "150")
    ledger.redeem(user, 450, key="elsewhere", order_number="999")

    response = client.get(reverse("checkout:preview"))

    assert response.context["loyalty"]["points_valid"] is False
    assert "You can now use at most 50 points on this order." in response.content.decode()
