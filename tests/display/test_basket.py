"""The basket and the checkout show what the order will earn, line by line."""

import re

import pytest
from django.urls import reverse
from oscar.core.loading import get_model
from oscar.test.factories import create_offer

from tests.display.conftest import customer_at, product_priced
from tests.display.html import program_url, shown_bonuses

pytestmark = pytest.mark.django_db

Range = get_model("offer", "Range")


def site_offer_on(product):
    """A site offer: 20% off ``product`` (bought one or more)."""
    offer_range = Range.objects.create(name=f"Offer on {product.title}")
    offer_range.add_product(product)
    return create_offer(product_range=offer_range)


def add_to_basket(client, product, quantity=1):
    response = client.post(reverse("basket:add", kwargs={"pk": product.pk}), {"quantity": quantity})
    assert response.status_code == 302


def basket_rows(response):
    """(label, figure) of the basket's bonus rows, the total last."""
    html = response.content.decode()
    rows = re.findall(r'<tr class="loyalty-bonus-(?:line|total)">(.*?)</tr>', html, re.S)
    cells = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S) for row in rows]
    return [tuple(" ".join(re.sub(r"<[^>]+>", "", cell).split()) for cell in row) for row in cells]


@pytest.mark.parametrize(("tier", "figures"), [("silver", (366, 15, 381)), ("vip", (1220, 50, 1270))])
def test_the_basket_shows_each_lines_bonus_and_the_total(client, tier, figures):
    bike = product_priced("6100.00", title="Road bike")
    lock = product_priced("1000.00", title="Bike lock", margin="low")
    client.force_login(customer_at(tier))
    add_to_basket(client, bike, quantity=2)
    add_to_basket(client, lock)

    response = client.get(reverse("basket:summary"))

    bike_points, lock_points, total = figures
    assert basket_rows(response)[0] == ("Road bike", f"+{bike_points} bonuses")
    assert basket_rows(response)[1] == ("Bike lock", f"+{lock_points} bonuses")
    assert basket_rows(response)[2][1] == f"+{total} bonuses"


def test_a_visitors_basket_shows_up_to_figures(client):
    add_to_basket(client, product_priced("6100.00", title="Road bike"))

    response = client.get(reverse("basket:summary"))

    assert basket_rows(response) == [("Road bike", "up to 610 bonuses"), ("You could earn", "up to 610 bonuses")]
    assert f'href="{program_url()}"' in response.content.decode()


def test_a_line_discounted_by_a_special_offer_earns_nothing(client):
    bike = product_priced("6100.00", title="Road bike")
    lock = product_priced("1000.00", title="Bike lock")
    site_offer_on(lock)
    client.force_login(customer_at("gold"))
    add_to_basket(client, bike)
    add_to_basket(client, lock)

    rows = basket_rows(client.get(reverse("basket:summary")))

    assert rows[0] == ("Road bike", "+305 bonuses")
    assert rows[1] == ("Bike lock", "Special offers earn no bonuses")
    assert rows[2][1] == "+305 bonuses"


def test_a_line_discounted_by_a_special_offer_earns_on_its_discounted_price_if_offers_earn(client, settings):
    settings.OSCAR_LOYALTY_OFFERS_EARN = True
    lock = product_priced("1000.00", title="Bike lock")
    site_offer_on(lock)
    client.force_login(customer_at("gold"))
    add_to_basket(client, lock)

    assert basket_rows(client.get(reverse("basket:summary")))[0] == ("Bike lock", "+40 bonuses")  # 5% of 800


def test_an_empty_basket_shows_no_bonus(client):
    client.force_login(customer_at("gold"))

    response = client.get(reverse("basket:summary"))

    assert response.status_code == 200
    assert basket_rows(response) == []


def test_the_checkout_preview_shows_the_orders_bonus(client):
    product = product_priced("6100.00", title="E-book", product_class="Downloads")
    product.product_class.requires_shipping = False
    product.product_class.save()
    client.force_login(customer_at("gold"))
    add_to_basket(client, product)
    client.get(reverse("checkout:shipping-method"))  # nothing to ship: Oscar picks "no shipping required"

    response = client.get(reverse("checkout:preview"))

    assert response.status_code == 200
    assert basket_rows(response) == [("E-book", "+305 bonuses"), ("You earn at your Gold tier", "+305 bonuses")]


def test_the_basket_display_can_be_turned_off(client, settings):
    settings.OSCAR_LOYALTY_SHOW_BONUS = False
    client.force_login(customer_at("gold"))
    add_to_basket(client, product_priced("6100.00"))

    response = client.get(reverse("basket:summary"))

    assert "loyalty-bonus" not in response.content.decode()
    assert shown_bonuses(response) == []
