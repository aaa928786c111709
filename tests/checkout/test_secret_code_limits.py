"""A promotion brought back by a secret code gives no more than the cancelled order it replaces received.

At most as often and for at most the amount of the original order's
discount (Oscar's ``OrderDiscount``), only on the products it discounted,
and never past the promotion's own limits as the shop's live orders use them.
"""

from decimal import Decimal as D

import pytest
from django.test import Client
from django.urls import reverse
from oscar.core.loading import get_model

from oscar_loyalty.checkout.promotions import services
from tests.checkout.flow import customer_with_points, place_order, product_priced, reach_payment_details
from tests.checkout.promotions import add_to_basket, end, enter_code, promotion_on, staff_member, to_payment_details
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Order = get_model("order", "Order")
Benefit = get_model("offer", "Benefit")
SecretCode = get_model("oscar_loyalty", "SecretCode")


def order_then_cancel(client, customer, product, offer):
    """``customer`` buys one ``product`` while ``offer`` runs; the offer ends and the order is cancelled."""
    reach_payment_details(client, customer, product)
    assert place_order(client).status_code == 302
    original = Order.objects.filter(user=customer).latest("id")
    end(offer)
    original.set_status("Cancelled")
    return original


def code_for(original):
    return services.issue(original, issued_by=staff_member()).code


def basket_with_code(client, code, *lines):
    """The customer's new basket: ``lines`` of (product, quantity), then the code; returns the basket page."""
    for product, quantity in lines:
        add_to_basket(client, product, quantity)
    page = enter_code(client, code)
    assert page.status_code == 200
    return page.context["basket"]


def test_a_hundred_off_once_per_customer_is_not_given_once_per_item(client):
    customer = customer_with_points(0)
    bike = product_priced("1000.00")
    hundred_off = promotion_on(
        [bike], benefit_type=Benefit.FIXED, value=D("100.00"), max_affected_items=1, max_user_applications=1
    )
    original = order_then_cancel(client, customer, bike, hundred_off)
    assert original.total_incl_tax == D("900.00")

    basket = basket_with_code(client, code_for(original), (bike, 10))

    assert basket.total_discount == D("100.00")
    assert basket.total_incl_tax == D("9900.00")


def test_the_kept_promotion_gives_at_most_the_amount_the_original_order_received(client):
    customer = customer_with_points(0)
    bike = product_priced("1000.00")
    sale = promotion_on([bike], benefit_type=Benefit.PERCENTAGE, value=20)
    original = order_then_cancel(client, customer, bike, sale)
    assert original.discounts.get().amount == D("200.00")

    basket = basket_with_code(client, code_for(original), (bike, 3))

    assert basket.total_discount == D("200.00")
    assert basket.total_incl_tax == D("2800.00")
    # The order placed with it records what it was given.
    to_payment_details(client)
    place_order(client)
    replacement = SecretCode.objects.get().replacement_order
    assert (replacement.discounts.get().amount, replacement.discounts.get().frequency) == (D("200.00"), 1)
    assert replacement.total_incl_tax == D("2800.00")


def test_the_kept_promotion_discounts_only_the_products_the_original_order_had_discounted(client):
    customer = customer_with_points(0)
    bike, scooter = product_priced("1000.00"), product_priced("1000.00")
    sale = promotion_on([bike, scooter], benefit_type=Benefit.PERCENTAGE, value=20)
    original = order_then_cancel(client, customer, bike, sale)
    code = code_for(original)

    basket = basket_with_code(client, code, (scooter, 1))

    assert basket.total_discount == D("0.00")
    assert basket.total_incl_tax == D("1000.00")

    add_to_basket(client, bike)
    basket = client.get(reverse("basket:summary")).context["basket"]

    assert basket.total_discount == D("200.00")
    discounted = {line.product_id: line.discount_value for line in basket.all_lines()}
    assert discounted == {bike.pk: D("200.00"), scooter.pk: D("0.00")}


def test_the_kept_promotion_respects_the_budget_other_customers_orders_have_used(client):
    """``max_discount``: the cancelled order's share is free again, the live orders' is not."""
    customer = customer_with_points(0)
    bike = product_priced("1000.00")
    sale = promotion_on([bike], benefit_type=Benefit.PERCENTAGE, value=20, max_discount=D("250.00"))
    reach_payment_details(client, customer, bike)
    place_order(client)
    original = Order.objects.get(user=customer)
    # Another customer takes 200 of the 250 budget before the sale ends.
    other = Client()
    reach_payment_details(other, UserFactory(), bike)
    place_order(other)
    assert Order.objects.exclude(user=customer).get().total_incl_tax == D("800.00")
    end(sale)
    original.set_status("Cancelled")

    basket = basket_with_code(client, code_for(original), (bike, 1))

    assert basket.total_discount == D("50.00")


def test_the_kept_promotion_respects_a_global_limit_other_customers_orders_have_used(client):
    customer = customer_with_points(0)
    bike = product_priced("1000.00")
    hundred_off = promotion_on(
        [bike], benefit_type=Benefit.FIXED, value=D("100.00"), max_affected_items=1, max_global_applications=2
    )
    reach_payment_details(client, customer, bike)
    add_to_basket(client, bike)  # two bikes: the offer applies twice, the whole global limit
    place_order(client)
    original = Order.objects.get(user=customer)
    assert original.discounts.get().frequency == 2
    # Staff lower the limit after the order: what the shop allows now is what a code can give.
    hundred_off.max_global_applications = 1
    hundred_off.save()
    end(hundred_off)
    original.set_status("Cancelled")

    basket = basket_with_code(client, code_for(original), (bike, 2))

    assert basket.total_discount == D("100.00")


def test_a_kept_shipping_discount_gives_at_most_what_the_original_order_saved_on_shipping():
    from oscar.test.factories import create_basket

    from oscar_loyalty.checkout.promotions import reinstated
    from oscar_loyalty.checkout.promotions.applicator import Applicator

    Range = get_model("offer", "Range")
    Condition = get_model("offer", "Condition")
    ConditionalOffer = get_model("offer", "ConditionalOffer")
    everything = Range.objects.create(name="Everything", includes_all_products=True)
    free_delivery = ConditionalOffer.objects.create(
        name="30 off delivery",
        offer_type=ConditionalOffer.SITE,
        condition=Condition.objects.create(range=everything, type=Condition.COUNT, value=1),
        benefit=Benefit.objects.create(type=Benefit.SHIPPING_ABSOLUTE, value=D("30.00")),
    )
    basket = create_basket()
    # The original order saved 10 on delivery (its delivery cost less then).
    reinstated.mark(
        free_delivery,
        reinstated.Allowance(
            secret_code=None,
            applications=1,
            amount=D("10.00"),
            product_ids=frozenset(line.product_id for line in basket.all_lines()),
        ),
    )

    Applicator().apply_offers(basket, [free_delivery])

    (application,) = basket.offer_applications.shipping_discounts
    assert application["offer"].shipping_discount(D("50.00")) == D("10.00")
    assert application["offer"].shipping_discount(D("5.00")) == D("5.00")
