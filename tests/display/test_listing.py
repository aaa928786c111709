"""Product cards in lists show the bonus too, at a fixed cost in queries however many products a page lists."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oscar.apps.catalogue.categories import create_from_breadcrumbs
from oscar.core.loading import get_model

from tests.display.conftest import customer_at, parent_with_children, product_priced
from tests.display.html import program_links, program_url, shown_bonuses

pytestmark = pytest.mark.django_db

MarginGroup = get_model("oscar_loyalty", "MarginGroup")
MarginGroupAssignment = get_model("oscar_loyalty", "MarginGroupAssignment")

# What the plugin may add to a listing page, whatever the number of products.
EXTRA_QUERIES = 2


def fill_category(category, n_products, *, variants=True):
    """``n_products`` in ``category``, a tenth in the "low" margin group; with ``variants`` a tenth are parents."""
    for i in range(n_products):
        if variants and i % 10 == 9:
            parent_with_children(f"{1000 + i}.00", f"{2000 + i}.00", title=f"Helmet {i}", category=category)
        else:
            product_priced(
                f"{1000 + i}.00", title=f"Bike {i}", category=category, margin="low" if i % 10 == 0 else None
            )


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


@pytest.fixture
def category(search_index, products_per_page):
    category = create_from_breadcrumbs("Bikes")
    products_per_page(100)
    return category


def test_a_category_page_shows_every_products_bonus(client, category, search_index):
    product_priced("6100.00", title="Road bike", category=category)
    product_priced("6100.00", title="Kids bike", category=category, margin="high")
    parent_with_children("1000.00", "3000.00", title="Helmet", category=category)
    search_index()
    client.force_login(customer_at("gold"))

    response = client.get(category.get_absolute_url())

    assert sorted(shown_bonuses(response)) == ["+305 bonuses", "+50–150 bonuses", "+610 bonuses"]


def test_a_visitor_sees_up_to_figures_linking_to_the_program(client, category, search_index):
    product_priced("6190.00", title="Road bike", category=category)
    search_index()

    response = client.get(category.get_absolute_url())

    assert shown_bonuses(response) == ["up to 619 bonuses"]
    assert program_links(response) == [program_url()]


def test_search_results_show_the_bonus(client, search_index):
    product_priced("6100.00", title="Gravel bike")
    search_index()
    client.force_login(customer_at("gold"))

    response = client.get("/search/", {"q": "gravel"})

    assert shown_bonuses(response) == ["+305 bonuses"]


@pytest.mark.parametrize("variants", [False, True], ids=["standalone products", "with variants"])
@pytest.mark.parametrize("visitor", ["anonymous", "new customer", "gold"])
def test_a_hundred_product_page_costs_at_most_two_queries_more(
    client, category, search_index, settings, django_assert_max_num_queries, visitor, variants
):
    # Margin groups assigned by category make the plugin read the products' categories.
    MarginGroupAssignment.objects.create(group=MarginGroup.objects.get(code="high"), category=category)
    fill_category(category, 100, variants=variants)
    search_index()
    if visitor != "anonymous":
        client.force_login(customer_at(None if visitor == "new customer" else visitor))
    url = category.get_absolute_url()
    client.get(url)  # the session, and the program's cached tables, as on a live site

    settings.OSCAR_LOYALTY_SHOW_BONUS = False
    queries_off, response = count_queries(client, url)
    assert shown_bonuses(response) == []
    settings.OSCAR_LOYALTY_SHOW_BONUS = True
    queries_on, response = count_queries(client, url)

    assert len(shown_bonuses(response)) == 100
    assert queries_on - queries_off <= EXTRA_QUERIES
    with django_assert_max_num_queries(queries_off + EXTRA_QUERIES):
        client.get(url)


def test_the_extra_queries_do_not_grow_with_the_page(client, category, search_index, settings, products_per_page):
    fill_category(category, 100)
    search_index()
    client.force_login(customer_at("gold"))
    url = category.get_absolute_url()
    extra = {}
    for page_size in (10, 100):
        products_per_page(page_size)
        client.get(url)
        settings.OSCAR_LOYALTY_SHOW_BONUS = False
        queries_off, _response = count_queries(client, url)
        settings.OSCAR_LOYALTY_SHOW_BONUS = True
        queries_on, response = count_queries(client, url)
        assert len(shown_bonuses(response)) == page_size
        extra[page_size] = queries_on - queries_off

    assert extra[10] == extra[100]
