"""Points and a payment gateway that sends the customer away to pay (tests/checkout/gateway.py).

"Place order" reserves the points and sends the customer to the gateway for
the rest; the gateway sends them back to a return view that submits the
frozen basket again. The points chosen were kept for the basket, which is
frozen now: the order must still be paid with exactly the points reserved
before the redirect, the gateway must take exactly the rest, once.
"""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty import ledger, tasks
from oscar_loyalty.checkout import choice
from oscar_loyalty.checkout.mixins import reservation_key
from tests.checkout.flow import chosen_points, customer_with_points, product_priced, reach_payment_details
from tests.checkout.gateway import gateway

pytestmark = pytest.mark.django_db

Basket = get_model("basket", "Basket")
Order = get_model("order", "Order")
Source = get_model("payment", "Source")
PaymentEvent = get_model("order", "PaymentEvent")
Reservation = get_model("oscar_loyalty", "Reservation")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")

RELEASED_MESSAGE = "The points held for this order were released while you were on the payment page, so the order"


@pytest.fixture(autouse=True)
def fresh_gateway():
    gateway.payments.clear()
    yield
    gateway.payments.clear()


def available(user):
    return ledger.get_balance(user).available


def go_to_the_gateway(client, user, points="150", price="1000.00"):
    """Choose ``points`` on the payment step and place the order: the shop sends the customer to the gateway."""
    reach_payment_details(client, user, product_priced(price))
    assert client.post(reverse("checkout:preview"), {"points": points}).context["loyalty"]["points"] == int(points)
    response = client.post(reverse("test-gateway:preview"), {"action": "place_order"})
    assert response.status_code == 302, getattr(response, "context", None) and response.context.get("error")
    (payment,) = [p for p in gateway.payments.values() if not p.approved]
    assert response.url == reverse("test-gateway:pay", kwargs={"token": payment.token})
    return payment


def come_back(client, payment, *, paypal=False, preview=False):
    """Approve the payment on the gateway's page and follow it back to the shop's return view."""
    returning = "paypal" if paypal else "preview" if preview else ""
    response = client.get(reverse("test-gateway:pay", kwargs={"token": payment.token}), {"return": returning})
    assert response.status_code == 302
    return client.get(response.url)


def points_source(order):
    return Source.objects.get(order=order, source_type__name="Bonus points")


def gateway_source(order):
    return Source.objects.get(order=order, source_type__name="Test gateway")


# --- The customer comes back ---------------------------------------------------------------


def forget_the_choice(client, payment):
    del client.cookies[choice.COOKIE_NAME]


def keep_a_stale_choice(client, payment):
    # A choice for the frozen basket, signed by the shop, but not the amount reserved.
    user_id = int(client.session["_auth_user_id"])
    client.cookies[choice.COOKIE_NAME] = signing.dumps(
        [user_id, payment.basket_id, 50], salt=choice.SALT, compress=False
    )


@pytest.mark.parametrize("cookie", [None, forget_the_choice, keep_a_stale_choice], ids=["kept", "absent", "stale"])
def test_the_points_reserved_before_the_redirect_pay_the_order_the_customer_comes_back_to(client, cookie):
    user = customer_with_points(500)
    payment = go_to_the_gateway(client, user, points="150")
    # The gateway is asked for the order total less the points.
    assert (payment.amount, payment.currency) == (D("850.00"), "RUB")
    reservation = Reservation.objects.get()
    assert (reservation.status, reservation.points) == (Reservation.HELD, 150)
    assert reservation.key == reservation_key(payment.order_number)
    assert not Order.objects.exists()
    if cookie is not None:
        cookie(client, payment)

    response = come_back(client, payment)

    assert response.status_code == 302 and response.url == reverse("checkout:thank-you")
    order = Order.objects.get()
    assert order.number == payment.order_number
    reservation.refresh_from_db()
    assert reservation.status == Reservation.CAPTURED
    capture = JournalEntry.objects.get(reservation=reservation, kind=JournalEntry.REDEMPTION)
    assert (capture.points, capture.order_number) == (-150, order.number)
    source = points_source(order)
    assert source.amount_allocated == source.amount_debited == D("150.00")
    assert source.reference == reservation.key
    assert PaymentEvent.objects.get(order=order, event_type__name="Bonus points").amount == D("150.00")
    # The gateway took the rest, once: points and money add up to the order's total.
    assert gateway.captured() == [D("850.00")]
    assert gateway_source(order).amount_debited == D("850.00")
    assert source.amount_debited + gateway_source(order).amount_debited == order.total_incl_tax
    assert available(user) == 350
    assert chosen_points(client) is None  # the next order starts without a choice
    assert ledger.check_accounts() == []


def test_a_return_view_that_replaces_handle_payment_still_pays_with_the_points(client):
    # django-oscar-paypal's return view overrides handle_payment without calling the shop's.
    user = customer_with_points(500)
    payment = go_to_the_gateway(client, user, points="150")

    response = come_back(client, payment, paypal=True)

    assert response.status_code == 302 and response.url == reverse("checkout:thank-you")
    order = Order.objects.get()
    assert points_source(order).amount_debited == D("150.00")
    assert Reservation.objects.get().status == Reservation.CAPTURED
    assert gateway.captured() == [D("850.00")]
    assert available(user) == 350
    assert ledger.check_accounts() == []


def test_an_order_without_points_takes_the_whole_total_at_the_gateway(client):
    user = customer_with_points(500)
    payment = go_to_the_gateway(client, user, points="0")
    assert payment.amount == D("1000.00")

    come_back(client, payment)

    order = Order.objects.get()
    assert not Source.objects.filter(order=order, source_type__name="Bonus points").exists()
    assert gateway.captured() == [D("1000.00")]
    assert Reservation.objects.count() == 0
    assert available(user) == 500


def test_points_held_by_an_earlier_attempt_do_not_pay_a_later_attempt_without_points(client):
    user = customer_with_points(500)
    first = go_to_the_gateway(client, user, points="150")
    # Back from the gateway without paying (its cancel page thaws the basket); no points this time.
    Basket.objects.filter(pk=first.basket_id).update(status=Basket.OPEN)
    assert client.post(reverse("checkout:preview"), {"points": "0"}).context["loyalty"]["points"] == 0
    response = client.post(reverse("test-gateway:preview"), {"action": "place_order"})
    second = gateway.payments[response.url.rstrip("/").rsplit("/", 1)[-1]]
    assert second.amount == D("1000.00")

    come_back(client, second)

    order = Order.objects.get()
    assert not Source.objects.filter(order=order, source_type__name="Bonus points").exists()
    assert gateway.captured() == [D("1000.00")]
    assert Reservation.objects.get().status == Reservation.HELD  # until the beat task gives it back
    ledger.release_stale_reservations(now=timezone.now() + timedelta(hours=1))
    assert available(user) == 500


def test_a_return_that_shows_the_order_first_shows_the_points_held_for_it(client):
    user = customer_with_points(500)
    payment = go_to_the_gateway(client, user, points="150")

    preview = come_back(client, payment, preview=True)

    assert preview.status_code == 200
    loyalty = preview.context["loyalty"]
    assert (loyalty["points"], loyalty["remaining"], loyalty["points_valid"]) == (150, D("850.00"), True)
    content = preview.content.decode()
    assert "Paid with 150 bonus points" in content
    assert "You can now use at most" not in content

    confirmed = client.post(
        reverse("test-gateway:preview-return", kwargs={"basket_id": payment.basket_id}), {"token": payment.token}
    )

    assert confirmed.status_code == 302 and confirmed.url == reverse("checkout:thank-you")
    assert points_source(Order.objects.get()).amount_debited == D("150.00")
    assert gateway.captured() == [D("850.00")]
    assert available(user) == 350


# --- Twice ------------------------------------------------------------------------------


def test_coming_back_twice_places_one_order_and_takes_each_payment_once(client):
    user = customer_with_points(500)
    payment = go_to_the_gateway(client, user, points="150")
    come_back(client, payment)

    again = client.get(
        f"{reverse('test-gateway:return', kwargs={'basket_id': payment.basket_id})}?token={payment.token}"
    )

    assert again.status_code == 302 and again.url == reverse("basket:summary")
    assert Order.objects.count() == 1
    assert Reservation.objects.get().status == Reservation.CAPTURED
    assert gateway.captured() == [D("850.00")]
    assert available(user) == 350
    assert ledger.check_accounts() == []


def test_a_second_return_that_found_the_basket_still_frozen_asks_nobody_for_money_again(client):
    user = customer_with_points(500)
    payment = go_to_the_gateway(client, user, points="150")
    come_back(client, payment)
    # A second request that loaded the basket before the first one submitted it.
    Basket.objects.filter(pk=payment.basket_id).update(status=Basket.FROZEN)

    again = client.get(
        f"{reverse('test-gateway:return', kwargs={'basket_id': payment.basket_id})}?token={payment.token}", follow=True
    )

    assert again.redirect_chain[0][0] == reverse("checkout:thank-you")
    assert "Your order is already being placed." in [str(m) for m in again.context["messages"]]
    assert Order.objects.count() == 1
    assert gateway.captured() == [D("850.00")]  # the gateway was not asked again
    assert Reservation.objects.get().status == Reservation.CAPTURED
    assert available(user) == 350
    assert ledger.check_accounts() == []


# --- The customer does not come back, or comes back too late --------------------------------------


def test_a_customer_who_never_comes_back_gets_the_points_back_from_the_beat_task(client):
    user = customer_with_points(500)
    go_to_the_gateway(client, user, points="150")
    assert available(user) == 350

    Reservation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert tasks.release_stale_reservations_task.apply().get() == 1

    assert Reservation.objects.get().status == Reservation.RELEASED
    assert available(user) == 500
    assert not Order.objects.exists()
    assert gateway.captured() == []
    assert ledger.check_accounts() == []


@pytest.mark.parametrize("paypal", [False, True], ids=["shop", "paypal"])
def test_coming_back_after_the_points_were_released_places_no_order_and_takes_no_money(client, paypal):
    user = customer_with_points(500)
    payment = go_to_the_gateway(client, user, points="150")
    ledger.release_stale_reservations(now=timezone.now() + timedelta(hours=1))

    response = come_back(client, payment, paypal=paypal)

    # Refused before the gateway is asked to take anything; the basket is the customer's again.
    assert response.status_code == 200
    assert response.template_name == ["oscar/checkout/payment_details.html"]
    assert RELEASED_MESSAGE in response.content.decode()
    assert not Order.objects.exists()
    assert gateway.captured() == []
    assert Basket.objects.get(pk=payment.basket_id).status == Basket.OPEN
    assert available(user) == 500

    # Placing the order again holds the points again and sends the customer to pay the rest.
    response = client.post(reverse("test-gateway:preview"), {"action": "place_order"})
    (retry,) = [p for p in gateway.payments.values() if not p.approved]
    assert retry.amount == D("850.00")
    come_back(client, retry, paypal=paypal)

    order = Order.objects.get()
    assert points_source(order).amount_debited == D("150.00")
    assert gateway.captured() == [D("850.00")]
    assert sorted(Reservation.objects.values_list("status", flat=True)) == [
        Reservation.CAPTURED,
        Reservation.RELEASED,
    ]
    assert available(user) == 350
    assert ledger.check_accounts() == []
