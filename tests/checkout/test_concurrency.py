"""Double clicks and two tabs on PostgreSQL: the points are spent once."""

import pytest
from django.test import Client
from django.urls import reverse
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from tests.checkout.flow import (
    choose_points,
    customer_with_points,
    product_priced,
    reach_payment_details,
    second_tab,
)
from tests.test_concurrency import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

Basket = get_model("basket", "Basket")
Order = get_model("order", "Order")
Reservation = get_model("oscar_loyalty", "Reservation")


def test_place_order_clicked_in_several_tabs_at_once_spends_the_points_once(client):
    user = customer_with_points(500)
    reach_payment_details(client, user, product_priced("1000.00"))
    assert choose_points(client, "200").context["loyalty"]["points"] == 200

    def click(_i):
        return second_tab(client).post(reverse("checkout:preview"), {"action": "place_order"}).status_code

    statuses = run_in_threads(6, click)

    # One click places the order; the others, finding the basket frozen, wait for it.
    assert statuses == [302] * 6
    assert Order.objects.count() == 1
    assert Basket.objects.get().status == Basket.SUBMITTED  # not thawed back by a losing click
    assert Reservation.objects.filter(status=Reservation.CAPTURED).count() == 1
    assert Reservation.objects.filter(status=Reservation.HELD).count() == 0
    assert ledger.get_balance(user).available == 300
    assert ledger.check_accounts() == []


def test_checkout_racing_a_spend_elsewhere_never_overspends():
    user = customer_with_points(300)
    tab = Client()
    reach_payment_details(tab, user, product_priced("1000.00"))
    assert choose_points(tab, "200").context["loyalty"]["points"] == 200

    def act(i):
        if i == 0:
            return tab.post(reverse("checkout:preview"), {"action": "place_order"}).status_code
        # The same customer spends at the till while the web order is being placed.
        return ledger.redeem(user.pk, 200, key="till", order_number="TILL-1")

    results = run_in_threads(2, act)

    refused = [r for r in results if isinstance(r, ledger.InsufficientPoints)]
    unexpected = [r for r in results if isinstance(r, Exception) and r not in refused]
    assert unexpected == []
    orders = Order.objects.count()
    till = Reservation.objects.filter(key="till").count()
    assert orders + till == 1  # exactly one of them got the points
    assert len(refused) == orders  # the till was refused only if the order won
    assert ledger.get_balance(user).available == 100
    assert Reservation.objects.filter(status=Reservation.HELD).count() == 0
    assert ledger.check_accounts() == []
