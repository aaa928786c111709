"""The figures behind the display: which tier, which price, and what is fetched how often."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import timezone
from oscar.apps.partner import strategy
from oscar.core.loading import get_model

from oscar_loyalty.campaigns import snapshot as campaign_snapshot
from oscar_loyalty.earning import display, margins, tiers
from tests.display.conftest import customer_at, parent_with_children, product_priced
from tests.display.html import shown_bonuses
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Tier = get_model("oscar_loyalty", "Tier")
CustomerTier = get_model("oscar_loyalty", "CustomerTier")


def request_for(user=None):
    request = RequestFactory().get("/")
    request.user = user if user is not None else AnonymousUser()
    request.strategy = strategy.Default(request)
    return request


class UK(strategy.UseFirstStockRecord, strategy.StockRequired, strategy.FixedRateTax, strategy.Structured):
    rate = D("0.20")


@pytest.mark.parametrize(
    "make_customer",
    [
        pytest.param(lambda: UserFactory(), id="no tier record"),
        pytest.param(lambda: customer_at("platinum"), id="pinned"),
        pytest.param(lambda: expired_pin(), id="pin expired"),
    ],
)
def test_the_cached_tier_list_gives_the_same_tier_as_the_database(make_customer):
    user = make_customer()

    assert tiers.tier_for(user, tier_list=display.program_tiers()) == tiers.tier_for(user)


def expired_pin():
    user = customer_at("vip")
    CustomerTier.objects.filter(user=user).update(pinned_until=timezone.now() - timedelta(minutes=1))
    return user


def test_a_price_with_tax_earns_on_the_price_incl_tax():
    product = product_priced("1000.00")
    request = request_for(customer_at("gold"))
    request.strategy = UK(request)

    bonus = display.BonusDisplay(request).for_product(product)

    assert (bonus.low, bonus.high) == (60, 60)  # 5% of 1,200


def test_a_price_whose_tax_is_not_known_earns_on_the_price_excl_tax():
    product = product_priced("1000.00")
    request = request_for(customer_at("gold"))
    request.strategy = strategy.US(request)

    assert display.BonusDisplay(request).for_product(product).high == 50


def test_once_a_page_is_prepared_its_figures_cost_no_query(django_assert_num_queries):
    products = [product_priced(f"{1000 + 20 * i}.00") for i in range(5)]
    bonus_display = display.BonusDisplay(request_for(customer_at("gold")))
    bonus_display.prepare(products)  # the tier, the stock records and the margin groups, once

    with django_assert_num_queries(0):
        figures = [bonus_display.for_product(product).high for product in products]

    assert figures == [50, 51, 52, 53, 54]


def test_a_page_of_products_costs_the_same_queries_as_one(django_assert_num_queries):
    few = [product_priced("1000.00") for _ in range(2)] + [parent_with_children("1000.00", "2000.00")]
    many = [product_priced("1000.00") for _ in range(20)] + [
        parent_with_children("1000.00", "2000.00") for _ in range(5)
    ]
    # As on a live site, the tiers, the margin groups and the running campaign rules are cached.
    display.program_tiers()
    margins.assignment_table()
    campaign_snapshot.cached_rules()

    for products in (few, many):
        bonus_display = display.BonusDisplay(request_for(customer_at("gold")))
        # The customer's tier, the parents' public children, and everyone's stock records.
        with django_assert_num_queries(3):
            bonus_display.prepare(products)
            for product in products:
                bonus_display.for_product(product)


def test_editing_a_tier_shows_at_once(client):
    product = product_priced("6100.00")
    client.force_login(customer_at("gold"))
    assert shown_bonuses(client.get(product.get_absolute_url())) == ["+305 bonuses"]

    gold = Tier.objects.get(code="gold")
    gold.cashback_percent = D("6")
    gold.save()

    assert shown_bonuses(client.get(product.get_absolute_url())) == ["+366 bonuses"]


def test_a_program_without_tiers_shows_nothing(client):
    product = product_priced("6100.00")
    for tier in Tier.objects.all():
        tier.delete()

    response = client.get(product.get_absolute_url())

    assert response.status_code == 200
    assert shown_bonuses(response) == []
