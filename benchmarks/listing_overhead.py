"""What showing "+N bonuses" costs a category page: the same page with the display off and on, in one run.

Builds a category of ``--products`` products with stock records (one in ten
a parent with two variants, with ``--variants``), indexes them in a Whoosh
index of its own, signs a Gold customer in and renders the category page,
all products on one page, ``--runs`` times each way after a warm-up,
alternating off and on so that drift hits both alike. Queries are counted in
one extra request each way; timings are medians of whole requests through
Django's test client.

The database is ``DATABASE_URL`` (SQLite or PostgreSQL; everything the run
creates is rolled back) or, by default, a temporary SQLite file migrated for
the run. The last line printed is one JSON object::

    {"queries_on": .., "queries_off": .., "ms_on": .., "ms_off": .., "ratio": ..}

``ratio`` is ``ms_on / ms_off``; the target is at most 1.10.

The display's first tag on the page loads all of the page's products at once
(the same queries Oscar makes card by card), and that alone makes Oscar's page
markedly faster. So the summary also shows a third run, the display off but
the products loaded up front the same way: on against that is what the
display itself costs.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager, nullcontext
from decimal import Decimal

from benchmarks.common import SETTINGS_MODULE, emit_json, ensure_database, rounded

MODES = ["off", "on", "preloaded"]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100, help="products on the category page (default 100)")
    parser.add_argument("--runs", type=int, default=30, help="timed requests each way (default 30)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests each way first (default 5)")
    parser.add_argument("--variants", action="store_true", help="make one product in ten a parent with two variants")
    return parser.parse_args(argv)


def setup_django(workdir):
    """Django on ``DATABASE_URL``, or on a fresh SQLite file in ``workdir``; returns a description of the database."""
    url = os.environ.get("DATABASE_URL")
    if url is None:
        url = f"sqlite:///{os.path.join(workdir, 'listing.sqlite3')}"
        os.environ["DATABASE_URL"] = url
    elif url.startswith(("postgres://", "postgresql://", "pgsql://")):
        ensure_database(url)
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    return f"{connection.vendor} ({connection.settings_dict['NAME']})"


def build_catalogue(n_products, *, variants):
    """A category holding ``n_products`` products, and a signed-up Gold customer; returns (category, customer)."""
    from django.contrib.auth import get_user_model
    from oscar.apps.catalogue.categories import create_from_breadcrumbs
    from oscar.core.loading import get_model
    from oscar.test.factories import create_product

    from oscar_loyalty.earning import tiers

    ProductCategory = get_model("catalogue", "ProductCategory")
    Tier = get_model("oscar_loyalty", "Tier")

    category = create_from_breadcrumbs("Listing benchmark")
    for i in range(n_products):
        price = Decimal(1000 + 37 * i)
        if variants and i % 10 == 9:
            product = create_product(title=f"Helmet {i}", product_class="Helmets", structure="parent")
            for j in range(2):
                create_product(title=f"Helmet {i}.{j}", parent=product, price=price + 500 * j, num_in_stock=5)
        else:
            product = create_product(title=f"Bike {i}", product_class="Bikes", price=price, num_in_stock=10)
        ProductCategory.objects.create(product=product, category=category)
    customer = get_user_model().objects.create_user(
        username="listing-benchmark", email="listing-benchmark@example.com", password="not-used"
    )
    tiers.pin_tier(customer, Tier.objects.get(code="gold"), actor="benchmark", reason="Listing benchmark")
    return category, customer


def use_whoosh(path):
    """Point haystack at a Whoosh index in ``path`` (the test settings' engine lists nothing) and build it."""
    import haystack
    from django.conf import settings
    from django.core.management import call_command

    settings.HAYSTACK_CONNECTIONS = {
        "default": {"ENGINE": "haystack.backends.whoosh_backend.WhooshEngine", "PATH": path}
    }
    settings.OSCAR_SEARCH_FACETS = {**settings.OSCAR_SEARCH_FACETS, "queries": {}}  # Whoosh: no query facets
    haystack.connections.connections_info = settings.HAYSTACK_CONNECTIONS
    haystack.connections.reload("default")
    call_command("rebuild_index", interactive=False, verbosity=0)


@contextmanager
def products_loaded_up_front():
    """The category view loading its page's products before rendering, as the display's first tag does."""
    from django.apps import apps

    view = apps.get_app_config("catalogue").category_view
    original = view.get_context_data

    def get_context_data(self, **kwargs):
        context = original(self, **kwargs)
        for result in context["products"]:
            result.object  # noqa: B018 (loads and keeps the product)
        return context

    view.get_context_data = get_context_data
    try:
        yield
    finally:
        view.get_context_data = original


def render(client, url, mode):
    """One request for the page in ``mode`` ("off", "on" or "preloaded"); returns (milliseconds, response)."""
    from django.test import override_settings

    preloading = products_loaded_up_front() if mode == "preloaded" else nullcontext()
    with override_settings(OSCAR_LOYALTY_SHOW_BONUS=mode == "on"), preloading:
        start = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return elapsed, response


def count_queries(client, url, mode):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        _elapsed, response = render(client, url, mode)
    return len(queries), response


def measure(args, workdir):
    """Queries and timings per mode: ``{mode: {"queries": n, "ms": [..]}}``."""
    from django.apps import apps
    from django.db import transaction
    from django.test import Client

    with transaction.atomic():
        category, customer = build_catalogue(args.products, variants=args.variants)
        use_whoosh(os.path.join(workdir, "whoosh"))
        # Oscar reads its page size at import: one page for the whole category.
        apps.get_app_config("catalogue").category_view.paginate_by = args.products
        client = Client()
        client.force_login(customer)
        url = category.get_absolute_url()

        for _ in range(args.warmup):
            for mode in MODES:
                render(client, url, mode)
        figures = {}
        for mode in MODES:
            queries, response = count_queries(client, url, mode)
            shown = response.content.decode().count('<p class="loyalty-bonus')
            if shown != (args.products if mode == "on" else 0):
                raise SystemExit(f"{shown} bonus figures shown with the display {mode}")
            figures[mode] = {"queries": queries, "ms": []}

        for run in range(args.runs):
            # Rotate which goes first, so drift and caches favour none.
            for mode in MODES[run % len(MODES) :] + MODES[: run % len(MODES)]:
                elapsed, _response = render(client, url, mode)
                figures[mode]["ms"].append(elapsed)
        transaction.set_rollback(True)
    return figures


def main(argv=None):
    args = parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="loyalty-listing-")
    try:
        database = setup_django(workdir)
        figures = measure(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    median = {mode: statistics.median(figures[mode]["ms"]) for mode in MODES}
    queries = {mode: figures[mode]["queries"] for mode in MODES}
    ratio = median["on"] / median["off"]
    print(f"Category page, {args.products} products{' (one in ten with variants)' if args.variants else ''}")
    print(f"Database: {database}; a signed-in Gold customer; {args.runs} timed requests each way")
    labels = {"off": "display off", "on": "display on", "preloaded": "display off, products loaded up front"}
    for mode in MODES:
        ms = figures[mode]["ms"]
        print(f"  {labels[mode]:<38} {queries[mode]:>5} queries, median {median[mode]:7.1f} ms (min {min(ms):.1f})")
    print(f"  extra queries: {queries['on'] - queries['off']:+d}; time ratio on/off {ratio:.3f} (target <= 1.10)")
    own = median["on"] / median["preloaded"]
    print(f"  the display's own cost: on / off with products loaded up front = {own:.3f}")
    emit_json(
        {
            "queries_on": queries["on"],
            "queries_off": queries["off"],
            "ms_on": rounded(median["on"]),
            "ms_off": rounded(median["off"]),
            "ratio": rounded(ratio, 3),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
