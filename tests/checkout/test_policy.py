"""Points beside Oscar's promo codes (vouchers): together by default, or one or the other."""

from decimal import Decimal as D

import pytest
from django.test import override_settings
from django.urls import reverse
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from tests.checkout.flow import (
    choose_points,
    customer_with_points,
    place_order,
    product_priced,
    reach_payment_details,
    set_chosen_points,
)
from tests.checkout.promotions import add_voucher, messages_of, promo_code

pytestmark = pytest.mark.django_db

Order = get_model("order", "Order")
Source = get_model("payment", "Source")
Reservation = get_model("oscar_loyalty", "Reservation")

EXCLUSIVE = override_settings(OSCAR_LOYALTY_COMBINE_WITH_VOUCHERS=False)
POLICY_MESSAGE = (
    "Bonus points cannot be used together with a promo code in this shop. "
    "To pay with points, remove the promo code from your basket."
)


@pytest.fixture
def shopper(client):
    """A customer with 500 points at the payment step for a 1,000 bike; SPRING10 gives 10% off it."""
    user = customer_with_points(500)
    product = product_priced("1000.00")
    promo_code(product, code="SPRING10", percent=10)
    reach_payment_details(client, user, product)
    return user


def payment_step(client):
    return client.get(reverse("checkout:payment-details"))


def points_paid(order):
    return sum(source.amount_debited for source in Source.objects.filter(order=order))


def test_by_default_points_and_a_promo_code_pay_one_order_together(client, shopper):
    add_voucher(client, "SPRING10")
    assert choose_points(client, "150").context["loyalty"]["points"] == 150

    place_order(client)

    order = Order.objects.get()
    assert order.total_incl_tax == D("900.00")
    assert order.discounts.get().voucher_code == "SPRING10"
    assert points_paid(order) == D("150.00")
    assert ledger.get_balance(shopper).available == 350


@EXCLUSIVE
def test_with_a_promo_code_the_payment_step_offers_no_points_and_says_why(client, shopper):
    add_voucher(client, "SPRING10")

    response = payment_step(client)

    content = response.content.decode()
    assert 'data-loyalty="promo-exclusive"' in content
    assert response.context["loyalty"]["exclusion_message"] == POLICY_MESSAGE
    assert 'id="loyalty_points_form"' not in content
    assert response.context["loyalty"]["max_points"] == 0


@EXCLUSIVE
def test_without_a_promo_code_points_are_offered_as_usual(client, shopper):
    response = payment_step(client)

    assert 'data-loyalty="promo-exclusive"' not in response.content.decode()
    assert response.context["loyalty"]["max_points"] == 200


@EXCLUSIVE
@pytest.mark.parametrize("posted", [{"points": "100"}, {"use_maximum": "1"}])
def test_points_posted_beside_a_promo_code_are_refused_on_the_form(client, shopper, posted):
    add_voucher(client, "SPRING10")

    response = client.post(reverse("checkout:preview"), posted)

    assert response.context["loyalty"]["form"].errors["points"] == [POLICY_MESSAGE]
    assert 'data-loyalty="promo-exclusive-error"' in response.content.decode()
    assert response.context["loyalty"]["points"] == 0
    assert Reservation.objects.count() == 0


@EXCLUSIVE
def test_no_points_beside_a_promo_code_go_on_to_the_preview(client, shopper):
    add_voucher(client, "SPRING10")

    response = choose_points(client, "0")

    assert response.status_code == 200
    assert response.context["loyalty"]["points"] == 0
    place_order(client)
    assert Order.objects.get().total_incl_tax == D("900.00")


@EXCLUSIVE
def test_a_promo_code_added_after_choosing_points_drops_them_and_says_so(client, shopper):
    assert choose_points(client, "150").context["loyalty"]["points"] == 150

    page = add_voucher(client, "SPRING10")

    assert (
        "The promo code was added, so the 150 points you chose to pay with will not be used: "
        "this shop does not combine points with promo codes." in messages_of(page)
    )
    preview = client.get(reverse("checkout:preview"))
    assert preview.context["loyalty"]["points"] == 0
    place_order(client)
    order = Order.objects.get()
    assert order.total_incl_tax == D("900.00")
    assert points_paid(order) == 0
    assert ledger.get_balance(shopper).available == 500


@EXCLUSIVE
def test_points_and_a_promo_code_are_refused_again_when_the_order_is_placed(client, shopper):
    add_voucher(client, "SPRING10")
    set_chosen_points(client, 150)  # a stale choice

    response = place_order(client)

    assert POLICY_MESSAGE in response.context["error"]
    assert "The points you chose were removed" in response.context["error"]
    assert Order.objects.count() == 0
    assert Reservation.objects.count() == 0
    assert ledger.get_balance(shopper).available == 500
    # The choice is gone: placing the order again takes the promo code alone.
    place_order(client)
    assert points_paid(Order.objects.get()) == 0


@EXCLUSIVE
def test_the_exclusive_policy_still_lets_points_pay_without_a_promo_code(client, shopper):
    choose_points(client, "150")

    place_order(client)

    assert points_paid(Order.objects.get()) == D("150.00")


@EXCLUSIVE
def test_a_promo_code_brought_back_by_a_secret_code_counts_as_a_promo_code(client):
    from oscar_loyalty.checkout.promotions import services
    from tests.checkout.promotions import add_to_basket, end, enter_code, staff_member, to_payment_details

    user = customer_with_points(500)
    product = product_priced("1000.00")
    voucher = promo_code(product, code="LASTDAY", percent=10)
    reach_payment_details(client, user, product)
    add_voucher(client, "LASTDAY")
    place_order(client)
    original = Order.objects.get()
    end(voucher)
    original.set_status("Cancelled")
    issued = services.issue(original, issued_by=staff_member())
    add_to_basket(client, product)
    enter_code(client, issued.code)

    response = to_payment_details(client)

    assert 'data-loyalty="promo-exclusive"' in response.content.decode()
