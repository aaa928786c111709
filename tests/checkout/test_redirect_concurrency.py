"""A payment gateway's return reached twice at once, on PostgreSQL: one order, the points and the money taken once."""

from decimal import Decimal as D

import pytest
from django.urls import reverse
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from tests.checkout.flow import customer_with_points, second_tab
from tests.checkout.gateway import gateway
from tests.checkout.test_redirect import go_to_the_gateway
from tests.test_concurrency import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

Basket = get_model("basket", "Basket")
Order = get_model("order", "Order")
Reservation = get_model("oscar_loyalty", "Reservation")


@pytest.fixture(autouse=True)
def fresh_gateway():
    gateway.payments.clear()
    yield
    gateway.payments.clear()


@pytest.mark.parametrize("paypal", [False, True], ids=["shop", "paypal"])
def test_the_return_reached_in_several_tabs_at_once_places_one_order(client, paypal):
    # As the customer reloading the return page, or the gateway calling it beside the browser.
    user = customer_with_points(500)
    payment = go_to_the_gateway(client, user, points="150")
    response = client.get(
        reverse("test-gateway:pay", kwargs={"token": payment.token}), {"return": "paypal" if paypal else ""}
    )
    return_url = response.url

    def come_back(_i):
        return second_tab(client).get(return_url).status_code

    statuses = run_in_threads(4, come_back)

    assert statuses == [302] * 4
    assert Order.objects.count() == 1
    assert Basket.objects.get(pk=payment.basket_id).status == Basket.SUBMITTED
    assert Reservation.objects.get().status == Reservation.CAPTURED
    assert gateway.captured() == [D("850.00")]
    assert ledger.get_balance(user).available == 350
    assert ledger.check_accounts() == []
