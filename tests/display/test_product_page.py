"""A product's page shows what buying it earns: at the customer's tier, or "up to" for a visitor."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty.earning import tiers
from tests.display.conftest import customer_at, parent_with_children, product_priced
from tests.display.html import program_links, program_url, shown_bonuses
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

QualifyingPurchase = get_model("oscar_loyalty", "QualifyingPurchase")


@pytest.mark.parametrize(
    ("tier", "shown"),
    [
        ("silver", "+183 bonuses"),  # 3% of 6,100
        ("gold", "+305 bonuses"),  # 5%
        ("platinum", "+427 bonuses"),  # 7%
        ("vip", "+610 bonuses"),  # 10%
    ],
)
def test_a_customer_sees_the_bonus_of_their_tier(client, tier, shown):
    product = product_priced("6100.00")
    client.force_login(customer_at(tier))

    response = client.get(product.get_absolute_url())

    assert shown_bonuses(response) == [shown]
    assert program_links(response) == []


@pytest.mark.parametrize(
    ("margin", "shown"),
    [
        ("low", "+152 bonuses"),  # floor(6,100 × 5% × 0.5)
        ("standard", "+305 bonuses"),
        ("high", "+610 bonuses"),  # 6,100 × 5% × 2
    ],
)
def test_the_bonus_follows_the_products_margin_group(client, margin, shown):
    product = product_priced("6100.00", margin=margin)
    client.force_login(customer_at("gold"))

    assert shown_bonuses(client.get(product.get_absolute_url())) == [shown]


def test_a_new_customer_sees_the_entry_tier(client):
    product = product_priced("6100.00")
    client.force_login(customer_at(None))

    assert shown_bonuses(client.get(product.get_absolute_url())) == ["+183 bonuses"]


def test_a_customer_whose_purchases_reached_gold_sees_gold(client):
    user = UserFactory()
    QualifyingPurchase.objects.create(
        user=user, order_number="100001", amount=D("31000.00"), placed_at=timezone.now() - timedelta(days=3)
    )
    tiers.recompute_tier(user, reason="Order 100001")
    product = product_priced("6100.00")
    client.force_login(user)

    assert shown_bonuses(client.get(product.get_absolute_url())) == ["+305 bonuses"]


def test_a_visitor_sees_the_best_tiers_bonus_linking_to_the_program(client):
    product = product_priced("6190.00")

    response = client.get(product.get_absolute_url())

    assert shown_bonuses(response) == ["up to 619 bonuses"]  # VIP: 10%
    assert program_links(response) == [program_url()]


def test_the_program_link_is_a_setting(client, settings):
    settings.OSCAR_LOYALTY_PROGRAM_URL = "https://shop.example.com/bonus-program/"
    product = product_priced("6190.00")

    assert program_links(client.get(product.get_absolute_url())) == ["https://shop.example.com/bonus-program/"]


def test_one_bonus_reads_in_the_singular(client):
    client.force_login(customer_at("vip"))

    assert shown_bonuses(client.get(product_priced("10.00").get_absolute_url())) == ["+1 bonus"]
    # The product page first, then the recently viewed product's card.
    assert shown_bonuses(client.get(product_priced("20.00").get_absolute_url())) == ["+2 bonuses", "+1 bonus"]


def test_a_price_too_small_to_earn_shows_nothing(client):
    product = product_priced("20.00")
    client.force_login(customer_at("silver"))  # 3% of 20 rounds down to 0

    response = client.get(product.get_absolute_url())

    assert response.status_code == 200
    assert shown_bonuses(response) == []


def test_a_product_without_a_price_shows_nothing(client):
    product = product_priced("100.00")
    product.stockrecords.all().delete()

    assert shown_bonuses(client.get(product.get_absolute_url())) == []


def test_a_variant_shows_its_own_bonus(client):
    parent = parent_with_children("1000.00", "3000.00")
    child = parent.children.get(title="Helmet 1")
    client.force_login(customer_at("gold"))

    assert shown_bonuses(client.get(child.get_absolute_url())) == ["+150 bonuses"]


def test_a_parent_shows_the_range_of_its_variants(client):
    parent = parent_with_children("1000.00", "3000.00", "2000.00")
    client.force_login(customer_at("gold"))

    assert shown_bonuses(client.get(parent.get_absolute_url())) == ["+50–150 bonuses"]


def test_a_parent_whose_variants_cost_the_same_shows_one_figure(client):
    parent = parent_with_children("1000.00", "1000.00")
    client.force_login(customer_at("gold"))

    assert shown_bonuses(client.get(parent.get_absolute_url())) == ["+50 bonuses"]


def test_a_visitor_sees_up_to_the_best_variant(client):
    parent = parent_with_children("1000.00", "3000.00")

    assert shown_bonuses(client.get(parent.get_absolute_url())) == ["up to 300 bonuses"]


def test_hidden_variants_do_not_count(client):
    parent = parent_with_children("1000.00", "3000.00")
    parent.children.filter(title="Helmet 1").update(is_public=False)
    client.force_login(customer_at("gold"))

    assert shown_bonuses(client.get(parent.get_absolute_url())) == ["+50 bonuses"]


def test_a_variant_in_its_own_margin_group(client):
    parent = parent_with_children("1000.00", "1000.00")
    child = parent.children.get(title="Helmet 1")
    MarginGroupAssignment = get_model("oscar_loyalty", "MarginGroupAssignment")
    MarginGroup = get_model("oscar_loyalty", "MarginGroup")
    MarginGroupAssignment.objects.create(group=MarginGroup.objects.get(code="high"), product=child)
    client.force_login(customer_at("gold"))

    assert shown_bonuses(client.get(parent.get_absolute_url())) == ["+50–100 bonuses"]
    assert shown_bonuses(client.get(child.get_absolute_url()))[0] == "+100 bonuses"


def test_the_display_can_be_turned_off(client, settings):
    settings.OSCAR_LOYALTY_SHOW_BONUS = False
    product = product_priced("6100.00")

    response = client.get(product.get_absolute_url())

    assert response.status_code == 200
    assert "loyalty-bonus" not in response.content.decode()


def test_oscars_price_is_still_shown(client):
    product = product_priced("6100.00")
    client.force_login(customer_at("gold"))

    html = client.get(product.get_absolute_url()).content.decode()

    assert 'class="price_color"' in html
    assert "6,100.00" in html
