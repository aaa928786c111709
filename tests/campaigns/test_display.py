"""The "+N bonuses" next to prices include the campaign rules running now, at no extra queries per product."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oscar.apps.catalogue.categories import create_from_breadcrumbs
from oscar.core.loading import get_model

from oscar_loyalty.earning import display
from tests.campaigns.helpers import make_rule
from tests.display.conftest import customer_at, product_priced
from tests.display.html import shown_bonuses

pytestmark = pytest.mark.django_db

Tier = get_model("oscar_loyalty", "Tier")


def happy_hour(**fields):
    """A rule running now: from this hour for two hours (wrapping midnight)."""
    hour = timezone.localtime().hour
    return make_rule("Happy hour", hour_from=hour, hour_to=(hour + 2) % 24, reward="multiplier", value=2, **fields)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


@pytest.fixture
def category(search_index, products_per_page):
    products_per_page(100)
    return create_from_breadcrumbs("Bikes")


def test_a_happy_hour_doubles_the_bonus_shown_and_a_rule_for_another_tier_does_not(client, category, search_index):
    product_priced("6100.00", title="Road bike", category=category)
    search_index()
    client.force_login(customer_at("gold"))  # gold earns 5 %: 305
    url = category.get_absolute_url()
    assert shown_bonuses(client.get(url)) == ["+305 bonuses"]

    happy_hour()
    make_rule("Platinum only", audience="tiers", tiers=[Tier.objects.get(code="platinum")], reward="percent", value=50)

    assert shown_bonuses(client.get(url)) == ["+610 bonuses"]


def test_product_rules_show_on_their_products_only(client, category, search_index):
    road = product_priced("6100.00", title="Road bike", category=category)
    product_priced("6100.00", title="Kids bike", category=category)
    make_rule("Double on road bikes", basis="lines", products=[road], reward="multiplier", value=2)
    search_index()
    client.force_login(customer_at("gold"))
    assert sorted(shown_bonuses(client.get(category.get_absolute_url()))) == ["+305 bonuses", "+610 bonuses"]


def test_a_hundred_product_page_costs_the_same_queries_with_rules_running(client, category, search_index, settings):
    for i in range(100):
        product_priced(f"{1000 + i}.00", title=f"Bike {i}", category=category)
    search_index()
    client.force_login(customer_at("gold"))
    url = category.get_absolute_url()
    client.get(url)
    without, response = count_queries(client, url)
    assert len(shown_bonuses(response)) == 100

    happy_hour()
    make_rule("Gold extra", audience="tiers", tiers=[Tier.objects.get(code="gold")], reward="percent", value=1)
    make_rule("Birthday", basis="event", event="birthday", reward="fixed", value=500)
    client.get(url)  # the rules' snapshot is cached once, as on a live site
    with_rules, response = count_queries(client, url)

    assert with_rules == without
    first = sorted(shown_bonuses(response))[0]
    assert first != "+50 bonuses"  # doubled and more: 1,000 × 5 % × 2 + 1 %


def test_category_rules_cost_a_fixed_number_of_queries_whatever_the_page_size(
    client, category, search_index, products_per_page
):
    for i in range(100):
        product_priced(f"{1000 + i}.00", title=f"Bike {i}", category=category)
    rule = make_rule("Double on bikes", basis="lines", categories=[category], reward="multiplier", value=2)
    search_index()
    client.force_login(customer_at("gold"))
    url = category.get_absolute_url()
    extra = {}
    for page_size in (10, 100):
        products_per_page(page_size)
        rule.is_active = False
        rule.save()
        client.get(url)
        without, _response = count_queries(client, url)
        rule.is_active = True
        rule.save()
        client.get(url)
        with_rule, response = count_queries(client, url)
        assert "+100 bonuses" in shown_bonuses(response)
        extra[page_size] = with_rule - without
    assert extra[10] == extra[100] <= 1


def test_saving_a_rule_clears_the_cached_snapshot(rf):
    assert display.BonusDisplay(rf.get("/")).rules == ()
    rule = happy_hour()
    assert [r.id for r in display.BonusDisplay(rf.get("/")).rules] == [rule.pk]
    rule.delete()
    assert display.BonusDisplay(rf.get("/")).rules == ()
