"""Bad input and abuse at checkout: each is refused in plain words, or ignored, and changes nothing.

``test_checkout.py`` covers the points form's bad amounts on the payment
step and a tampered choice; here: forged requests, fields the pages never
send, bad amounts at every step, and checkouts left half-way.
"""

from datetime import timedelta
from decimal import Decimal as D
from unittest import mock

import pytest
from django.conf import settings
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from oscar.apps.checkout import views as oscar_views
from oscar.core.loading import get_class, get_model

from oscar_loyalty import ledger, tasks
from oscar_loyalty.checkout import choice
from oscar_loyalty.checkout.mixins import reservation_key
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

Basket = get_model("basket", "Basket")
Order = get_model("order", "Order")
Source = get_model("payment", "Source")
Reservation = get_model("oscar_loyalty", "Reservation")
RedirectRequired = get_class("payment.exceptions", "RedirectRequired")

HUGE = "9" * 40


def available(user):
    return ledger.get_balance(user).available


def same_session(client, **kwargs):
    """Another client on ``client``'s session: what a forged request from another site carries."""
    other = Client(**kwargs)
    other.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return other


# --- CSRF ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("checkout:preview", {"points": "150"}),
        ("checkout:preview", {"use_maximum": "1"}),
        ("checkout:preview", {"action": "place_order"}),
        ("checkout:payment-details", {"points": "150"}),
    ],
)
def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(client, url, data):
    user = customer_with_points(500)
    reach_payment_details(client, user, product_priced("1000.00"))
    choose_points(client, "100")
    forged = same_session(client, enforce_csrf_checks=True)

    response = forged.post(reverse(url), data)

    assert response.status_code == 403
    assert chosen_points(forged) is None
    assert chosen_points(client) == 100
    assert not Order.objects.exists()
    assert Reservation.objects.count() == 0
    assert Basket.objects.get().status == Basket.OPEN
    assert available(user) == 500


def test_the_same_post_with_the_csrf_token_is_accepted(client):
    user = customer_with_points(500)
    reach_payment_details(client, user, product_priced("1000.00"))
    browser = same_session(client, enforce_csrf_checks=True)
    browser.get(reverse("checkout:payment-details"))  # sets the CSRF cookie, as the page does

    response = browser.post(
        reverse("checkout:preview"),
        {"points": "150", "csrfmiddlewaretoken": browser.cookies[settings.CSRF_COOKIE_NAME].value},
    )

    assert response.status_code == 200
    assert chosen_points(browser) == 150


# --- Fields the pages never send ----------------------------------------------------------


def test_another_customers_reservation_and_a_lower_total_posted_with_the_order_are_ignored(client):
    victim = customer_with_points(500, key="victim")
    theirs = ledger.reserve(victim, 300, key=reservation_key("100999"), order_number="100999")
    user = customer_with_points(500)
    reach_payment_details(client, user, product_priced("1000.00"))
    choose_points(client, "150")

    response = client.post(
        reverse("checkout:preview"),
        {
            "action": "place_order",
            "reservation": str(theirs.pk),
            "reservation_key": theirs.key,
            "order_total": "1.00",
            "total": "1.00",
            "points": "500",
        },
    )

    assert response.status_code == 302
    order = Order.objects.get()
    assert order.total_incl_tax == D("1000.00")
    assert Source.objects.get(order=order).amount_debited == D("150.00")
    assert Reservation.objects.get(order_number=order.number).account.user == user
    theirs.refresh_from_db()
    assert theirs.status == Reservation.HELD
    assert available(victim) == 200
    assert available(user) == 350
    assert ledger.check_accounts() == []


def test_a_reservation_key_another_customer_holds_is_never_released_by_this_checkout(rf):
    """A shop whose order numbers repeat: the key this order would use is another customer's already."""
    victim = customer_with_points(500, key="victim")
    theirs = ledger.reserve(victim, 300, key=reservation_key("100042"), order_number="100042")
    user = customer_with_points(500)
    view = PaymentDetailsView()
    view.request = rf.post("/")
    view.request.user = user

    mine = view._reserve("100042", 150)

    theirs.refresh_from_db()
    assert theirs.status == Reservation.HELD
    assert mine.key == reservation_key("100042", 1)
    assert available(victim) == 200
    assert available(user) == 350


# --- Bad amounts at every step ----------------------------------------------------------


@pytest.mark.parametrize(
    ("points", "message"),
    [
        (HUGE, "You have only 500 points available."),
        ("0x10", "Enter the number of points as a whole number, e.g. 150."),
        ("1 000", "Enter the number of points as a whole number, e.g. 150."),
        ("Infinity", "Enter the number of points as a whole number, e.g. 150."),
        ("-0.5", "The number of points cannot be negative."),
        ("150.000001", "Points can only be used in whole numbers."),
    ],
)
def test_more_bad_amounts_on_the_payment_step_are_refused_in_plain_words(client, points, message):
    user = customer_with_points(500)
    reach_payment_details(client, user, product_priced("1000.00"))

    response = choose_points(client, points)

    assert response.template_name == ["oscar/checkout/payment_details.html"]
    assert response.context["loyalty"]["form"].errors["points"] == [message]
    assert chosen_points(client) is None
    assert Reservation.objects.count() == 0


@pytest.mark.parametrize("points", ["201", "-5", "1.5", "lots", HUGE])
def test_a_bad_amount_sent_from_the_preview_replaces_nothing(client, points):
    user = customer_with_points(500)
    reach_payment_details(client, user, product_priced("1000.00"))
    choose_points(client, "150")

    response = choose_points(client, points)  # the preview posts to itself

    assert response.template_name == ["oscar/checkout/payment_details.html"]
    assert response.context["loyalty"]["form"].errors["points"]
    assert chosen_points(client) == 150
    assert Reservation.objects.count() == 0
    assert available(user) == 500


@pytest.mark.parametrize("points", ["201", "-5", "1.5", "lots", HUGE, "0"])
def test_an_amount_posted_with_place_order_is_ignored_for_the_one_chosen(client, points):
    user = customer_with_points(500)
    reach_payment_details(client, user, product_priced("1000.00"))
    choose_points(client, "150")

    response = client.post(reverse("checkout:preview"), {"action": "place_order", "points": points})

    assert response.status_code == 302
    assert Source.objects.get(order=Order.objects.get()).amount_debited == D("150.00")
    assert available(user) == 350


@pytest.mark.parametrize("stored", [-50, "150abc", None, [150]])
def test_a_corrupt_choice_places_the_order_without_points(client, stored):
    user = customer_with_points(500)
    reach_payment_details(client, user, product_priced("1000.00"))
    choose_points(client, "150")
    set_chosen_points(client, stored)

    response = place_order(client)

    assert response.status_code == 302
    assert not Source.objects.filter(order=Order.objects.get()).exists()
    assert Reservation.objects.count() == 0
    assert available(user) == 500


@pytest.mark.parametrize("whose", ["another customer", "another basket", "nobody (unsigned)"])
def test_a_choice_made_for_someone_else_is_no_choice(client, whose):
    user = customer_with_points(500)
    reach_payment_details(client, user, product_priced("1000.00"))
    choose_points(client, "150")
    user_id, basket_id, points = signing.loads(client.cookies[choice.COOKIE_NAME].value, salt=choice.SALT)
    forged = {
        "another customer": signing.dumps([user_id + 1, basket_id, points], salt=choice.SALT),
        "another basket": signing.dumps([user_id, basket_id + 1, points], salt=choice.SALT),
        "nobody (unsigned)": "150",
    }[whose]
    client.cookies[choice.COOKIE_NAME] = forged

    assert client.get(reverse("checkout:preview")).context["loyalty"]["points"] == 0
    response = place_order(client)

    assert response.status_code == 302
    assert not Source.objects.filter(order=Order.objects.get()).exists()
    assert available(user) == 500


def test_a_huge_choice_is_refused_when_the_order_is_placed(client):
    user = customer_with_points(500)
    reach_payment_details(client, user, product_priced("1000.00"))
    choose_points(client, "150")
    set_chosen_points(client, 10**30)

    response = place_order(client)

    assert "You can use at most 200 points on this order." in response.content.decode()
    assert not Order.objects.exists()
    assert Reservation.objects.count() == 0
    assert Basket.objects.get().status == Basket.OPEN
    assert available(user) == 500


# --- A checkout left half-way ---------------------------------------------------------------


def abandon_at_the_payment_gateway(client):
    """Place the order, be sent to a payment gateway, never come back: the points stay held."""
    with mock.patch.object(
        oscar_views.PaymentDetailsView, "handle_payment", side_effect=RedirectRequired("https://pay.example/")
    ):
        response = place_order(client)
    assert response.status_code == 302 and response.url == "https://pay.example/"


def test_a_reservation_left_by_an_abandoned_checkout_is_released_by_the_beat_task(client):
    user = customer_with_points(500)
    reach_payment_details(client, user, product_priced("1000.00"))
    choose_points(client, "150")
    abandon_at_the_payment_gateway(client)
    reservation = Reservation.objects.get()
    assert reservation.status == Reservation.HELD
    assert available(user) == 350

    # Not before the timeout ...
    assert ledger.release_stale_reservations(now=timezone.now() + timedelta(minutes=29)) == 0
    assert available(user) == 350
    # ... and once it has passed, by the beat task.
    Reservation.objects.filter(pk=reservation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert tasks.release_stale_reservations_task.apply().get() == 1

    reservation.refresh_from_db()
    assert reservation.status == Reservation.RELEASED
    assert available(user) == 500
    assert not Order.objects.exists()
    assert ledger.check_accounts() == []


def test_coming_back_after_the_beat_task_released_the_points_places_no_half_paid_order(client):
    user = customer_with_points(500)
    reach_payment_details(client, user, product_priced("1000.00"))
    choose_points(client, "150")
    abandon_at_the_payment_gateway(client)
    ledger.release_stale_reservations(now=timezone.now() + timedelta(hours=1))

    # The gateway's return: Oscar thaws the basket and the customer places the order again.
    Basket.objects.update(status=Basket.OPEN)
    response = place_order(client)

    assert response.status_code == 302
    order = Order.objects.get()
    assert Source.objects.get(order=order).amount_debited == D("150.00")
    assert available(user) == 350
    assert sorted(Reservation.objects.values_list("status", flat=True)) == [
        Reservation.CAPTURED,
        Reservation.RELEASED,
    ]
    assert ledger.check_accounts() == []
