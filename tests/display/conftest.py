from decimal import Decimal as D

import haystack
import pytest
from django.apps import apps
from django.core.management import call_command
from oscar.core.loading import get_model
from oscar.test.factories import create_product

from oscar_loyalty.earning import tiers
from tests.factories import UserFactory

Tier = get_model("oscar_loyalty", "Tier")
MarginGroup = get_model("oscar_loyalty", "MarginGroup")
MarginGroupAssignment = get_model("oscar_loyalty", "MarginGroupAssignment")
ProductCategory = get_model("catalogue", "ProductCategory")


def customer_at(tier_code):
    """A signed-up customer pinned to a tier by staff (``None``: a new customer with no tier record)."""
    user = UserFactory()
    if tier_code is not None:
        tiers.pin_tier(user, Tier.objects.get(code=tier_code), actor="tests", reason="A test customer")
    return user


def product_priced(price, *, title="City bike", margin=None, category=None, product_class="Bikes", **kwargs):
    """A product with one stock record at ``price``, optionally in a margin group and a category."""
    product = create_product(title=title, product_class=product_class, price=D(price), num_in_stock=10, **kwargs)
    if margin is not None:
        MarginGroupAssignment.objects.create(group=MarginGroup.objects.get(code=margin), product=product)
    if category is not None:
        ProductCategory.objects.create(product=product, category=category)
    return product


def parent_with_children(*prices, title="Helmet", category=None, product_class="Helmets"):
    """A parent product with one public child per price."""
    parent = create_product(title=title, product_class=product_class, structure="parent")
    for index, price in enumerate(prices):
        create_product(title=f"{title} {index}", parent=parent, price=D(price), num_in_stock=5)
    if category is not None:
        ProductCategory.objects.create(product=parent, category=category)
    return parent


@pytest.fixture
def search_index(tmp_path, settings):
    """Oscar's catalogue pages on a Whoosh index of their own; call the fixture's value to (re)build it.

    The suite's SimpleEngine lists no products at all on those pages.
    """
    settings.OSCAR_SEARCH_FACETS = {**settings.OSCAR_SEARCH_FACETS, "queries": {}}  # Whoosh: no query facets
    settings.HAYSTACK_CONNECTIONS = {
        "default": {"ENGINE": "haystack.backends.whoosh_backend.WhooshEngine", "PATH": str(tmp_path / "whoosh")}
    }
    # Haystack reads its connections once, at import.
    original = haystack.connections.connections_info
    haystack.connections.connections_info = settings.HAYSTACK_CONNECTIONS
    haystack.connections.reload("default")

    def rebuild():
        call_command("rebuild_index", interactive=False, verbosity=0)

    yield rebuild
    haystack.connections.connections_info = original
    haystack.connections.reload("default")


@pytest.fixture
def products_per_page(monkeypatch):
    """Let the category page show ``n`` products at once (Oscar reads its page size at import)."""

    def set_page_size(n):
        monkeypatch.setattr(apps.get_app_config("catalogue").category_view, "paginate_by", n)

    return set_page_size
