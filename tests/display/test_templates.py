"""The display lives in template tags and self-extending templates: a shop's own templates keep it."""

import copy

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import engines
from django.test import RequestFactory
from oscar.apps.partner.strategy import Default
from oscar.test.factories import create_basket

from tests.display.conftest import customer_at, product_priced
from tests.display.html import program_url, shown_bonuses

pytestmark = pytest.mark.django_db


def request_for(user):
    request = RequestFactory().get("/")
    request.user = user
    request.strategy = Default(request)
    # Oscar's add-to-basket form reads these.
    request.session = {}
    request.basket = create_basket(empty=True)
    return request


def render(source, **context):
    return engines["django"].from_string(source).render(context)


@pytest.fixture
def shop_templates(tmp_path, settings):
    """A shop's own template folder, searched before the apps' (as ``TEMPLATES["DIRS"]`` is)."""
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [str(tmp_path)]
    settings.TEMPLATES = templates

    def write(name, source):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)

    return write


def test_a_shops_customised_product_card_keeps_the_bonus(shop_templates):
    shop_templates(
        "oscar/catalogue/partials/product.html",
        '{% extends "oscar/catalogue/partials/product.html" %}'
        '{% block product_title %}<h3 class="shop-title">{{ product.title }}</h3>{% endblock %}',
    )
    product = product_priced("6100.00", title="Road bike")

    html = render(
        "{% load product_tags %}{% render_product product %}", product=product, request=request_for(customer_at("gold"))
    )

    assert '<h3 class="shop-title">Road bike</h3>' in html
    assert "+305 bonuses" in html
    assert 'class="price_color"' in html  # Oscar's own price, still there


def test_a_shops_own_basket_template_can_show_each_lines_bonus():
    user = customer_at("gold")
    basket = create_basket(empty=True)
    basket.owner = user
    basket.strategy = Default()
    basket.add_product(product_priced("6100.00", title="Road bike"), quantity=2)
    basket.add_product(product_priced("1000.00", title="Bike lock", margin="low"))

    html = render(
        "{% load loyalty_tags %}{% for line in basket.all_lines %}{% loyalty_line_bonus line %}{% endfor %}",
        basket=basket,
        request=request_for(user),
    )

    assert shown_bonuses(html) == ["+610 bonuses", "+25 bonuses"]


def test_a_visitors_line_links_to_the_program():
    basket = create_basket(empty=True)
    basket.strategy = Default()
    basket.add_product(product_priced("6100.00"))

    html = render(
        "{% load loyalty_tags %}{% for line in basket.all_lines %}{% loyalty_line_bonus line %}{% endfor %}",
        basket=basket,
        request=request_for(AnonymousUser()),
    )

    assert f'<a href="{program_url()}">up to 610 bonuses</a>' in html


def test_without_a_request_the_tags_render_nothing():
    product = product_priced("6100.00")

    assert render("{% load loyalty_tags %}{% loyalty_bonus product %}", product=product) == ""
