"""What paying with points costs an order: Oscar's checkout with points and without, in one run.

Places ``--orders`` orders each way through Oscar's checkout views with
Django's test client, as a signed-in customer would: add a 1,000.00 product
to the basket, the shipping address, the shipping method, the payment step,
the preview, "Place order" and the thank-you page.

- **with**: the customer pays 150 points of each order (the points form on
  the payment step, then "Place order");
- **without**: the same checkout (the plugin's view), the customer, holding
  the same points, uses none;
- **oscar**: Oscar's own ``PaymentDetailsView``, the plugin out of the
  checkout, for reference (the bonus display in the templates stays on in
  all three; ``listing_overhead`` measures it).

Orders alternate between the three after a warm-up, so that drift hits each
alike. Queries are counted over one whole order each way; timings are medians
of whole orders (the sum of their requests) and of the "Place order" request
alone. Nothing is wrapped in a transaction: each request commits as it would
in the shop, in a database made for the run (Django's test database,
``loyalty_checkout_bench``, on ``DATABASE_URL``'s server, or a temporary
SQLite file without it) and dropped at the end.

    python -m benchmarks.checkout_overhead [--orders 30]

The last line printed is one JSON object (per order figures)::

    {"queries_with": .., "queries_without": .., "ms_with": .., "ms_without": .., "ratio": .., ...}

``ratio`` is ``ms_with / ms_without``. Target: at most 6 extra queries per
order and a ratio of at most 1.25. The extra keys give the "Place order"
request alone (``place_*``) and the plain Oscar checkout (``*_oscar``).
"""

import argparse
import os
import re
import statistics
import sys
import time
from contextlib import nullcontext
from decimal import Decimal

from benchmarks.common import SETTINGS_MODULE, emit_json, rounded

MODES = ["with", "without", "oscar"]
POINTS_PER_ORDER = 150
PRICE = Decimal("1000.00")
BENCH_DATABASE = "loyalty_checkout_bench"
# Where the plain Oscar view is mounted next to the shop's URLs (see ``urlpatterns``).
PLAIN_PREFIX = "oscar-checkout/"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.checkout_overhead", description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=30, help="timed orders each way (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed orders each way first (default 3)")
    return parser.parse_args(argv)


def __getattr__(name):
    # This module is the run's URL configuration: the test suite's URLs, and
    # Oscar's own payment views beside them. Built on first use, after Django is set up.
    if name != "urlpatterns":
        raise AttributeError(name)
    from django.urls import path
    from oscar.apps.checkout.views import PaymentDetailsView

    from tests.urls import urlpatterns as shop

    return [
        path(f"{PLAIN_PREFIX}payment-details/", PaymentDetailsView.as_view(), name="oscar-payment-details"),
        path(f"{PLAIN_PREFIX}preview/", PaymentDetailsView.as_view(preview=True), name="oscar-preview"),
        *shop,
    ]


def setup_django():
    """Django on a database made for the run; returns ``(description, old_config)`` for the teardown."""
    os.environ["TEST_DATABASE_NAME"] = BENCH_DATABASE
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    import django
    from django.conf import settings

    django.setup()
    settings.ROOT_URLCONF = "benchmarks.checkout_overhead"
    from django.db import connection
    from django.test.utils import setup_databases, setup_test_environment

    setup_test_environment()
    # The test client's requests run on the test database, created and migrated here.
    old_config = setup_databases(verbosity=0, interactive=False)
    return f"{connection.vendor} ({connection.settings_dict['NAME']})", old_config


def build_shop(orders):
    """A product in stock, the shipping country and one customer per mode, each holding enough points."""
    from django.contrib.auth import get_user_model
    from oscar.core.loading import get_model
    from oscar.test.factories import CountryFactory, create_product

    from oscar_loyalty import ledger

    Tier = get_model("oscar_loyalty", "Tier")

    # The entry tier lets 20% of an order be paid with points: 200 of 1,000.
    Tier.objects.get_or_create(
        code="silver",
        defaults={"name": "Silver", "threshold": 0, "cashback_percent": Decimal(3), "max_share_percent": Decimal(20)},
    )
    CountryFactory(iso_3166_1_a2="RU", printable_name="Russia", is_shipping_country=True)
    product = create_product(title="City bike", price=PRICE, num_in_stock=1_000_000)
    customers = {}
    for mode in MODES:
        customer = get_user_model().objects.create_user(
            username=f"checkout-{mode}", email=f"checkout-{mode}@example.com", password="not-used"
        )
        points = POINTS_PER_ORDER * (orders + 10)
        ledger.accrue(customer, points, key=f"checkout-bench:{mode}", reason="Benchmark", hold_days=0)
        customers[mode] = customer
    return product, customers


def place_one(client, product, mode, *, count=False):
    """One order through the checkout; returns ``(whole order ms, "Place order" ms, queries)``.

    ``queries`` is a list of the queries of each request (with ``count``) or None.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from tests.checkout.flow import ADDRESS

    prefix = f"/{PLAIN_PREFIX}" if mode == "oscar" else None
    payment_url = f"{prefix}payment-details/" if prefix else reverse("checkout:payment-details")
    preview_url = f"{prefix}preview/" if prefix else reverse("checkout:preview")

    queries = [] if count else None

    def request(method, url, data=None, expect=(200, 302)):
        # Django empties the query log as each request starts: each is counted on its own.
        capture = CaptureQueriesContext(connection) if count else nullcontext()
        with capture:
            start = time.perf_counter()
            response = getattr(client, method)(url, data or {})
            elapsed = (time.perf_counter() - start) * 1000
        if count:
            queries.append((len(capture), sum(TRANSACTION_CONTROL.match(q["sql"]) is not None for q in capture)))
        if response.status_code not in expect:
            raise SystemExit(f"{method.upper()} {url} ({mode}) answered {response.status_code}")
        return elapsed, response

    steps = []
    steps.append(request("post", reverse("basket:add", kwargs={"pk": product.pk}), {"quantity": 1}, expect=(302,)))
    steps.append(request("post", reverse("checkout:shipping-address"), ADDRESS, expect=(302,)))
    steps.append(request("get", reverse("checkout:shipping-method"), expect=(302,)))
    steps.append(request("get", payment_url, expect=(200,)))
    if mode == "with":
        elapsed, response = request("post", preview_url, {"points": str(POINTS_PER_ORDER)}, expect=(200,))
        if response.context["loyalty"]["points"] != POINTS_PER_ORDER:
            raise SystemExit(f"the preview shows {response.context['loyalty']['points']} points")
    else:
        elapsed, response = request("get", preview_url, expect=(200,))
    steps.append((elapsed, response))
    place_ms, response = request("post", preview_url, {"action": "place_order"}, expect=(302,))
    if response.url != reverse("checkout:thank-you"):
        raise SystemExit(f"placing the order ({mode}) went to {response.url}")
    steps.append((place_ms, response))
    steps.append(request("get", reverse("checkout:thank-you"), expect=(200,)))
    return sum(elapsed for elapsed, _response in steps), place_ms, queries


# Django logs these too (4.2+); they are round trips like any other statement.
TRANSACTION_CONTROL = re.compile(r"(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT)\b", re.IGNORECASE)
STEPS = ["basket", "address", "method", "payment", "preview", "place order", "thank you"]


def count_queries(client, product, mode):
    """The queries of each request of one order in ``mode``, in the order of ``STEPS``."""
    return place_one(client, product, mode, count=True)[2]


def check_orders(customers, orders_each):
    """Every order exists, and points were spent on the "with" orders only, once each."""
    from oscar.core.loading import get_model

    from oscar_loyalty import ledger

    Order = get_model("order", "Order")
    Source = get_model("payment", "Source")
    for mode, customer in customers.items():
        placed = Order.objects.filter(user=customer).count()
        if placed != orders_each:
            raise SystemExit(f"{placed} orders placed {mode} points, {orders_each} expected")
        paid = Source.objects.filter(order__user=customer).count()
        if paid != (orders_each if mode == "with" else 0):
            raise SystemExit(f"{paid} points payments on the orders placed {mode} points")
    problems = ledger.check_accounts()
    if problems:
        raise SystemExit(f"the ledger disagrees with itself: {problems}")


def measure(args):
    from django.test import Client

    product, customers = build_shop(args.orders)
    clients = {}
    for mode in MODES:
        clients[mode] = Client()
        clients[mode].force_login(customers[mode])
    for _ in range(args.warmup):
        for mode in MODES:
            place_one(clients[mode], product, mode)
    figures = {}
    for mode in MODES:
        steps = count_queries(clients[mode], product, mode)
        figures[mode] = {
            "steps": steps,
            "queries": sum(n for n, _tx in steps),
            "transaction_control": sum(tx for _n, tx in steps),
            "place_queries": steps[STEPS.index("place order")][0],
            "ms": [],
            "place_ms": [],
        }
    for run in range(args.orders):
        # Rotate which goes first, so that drift and caches favour none.
        for mode in MODES[run % len(MODES) :] + MODES[: run % len(MODES)]:
            total_ms, place_ms, _queries = place_one(clients[mode], product, mode)
            figures[mode]["ms"].append(total_ms)
            figures[mode]["place_ms"].append(place_ms)
    check_orders(customers, args.warmup + 1 + args.orders)
    return figures


def main(argv=None):
    args = parse_args(argv)
    database, old_config = setup_django()
    from django.test.utils import teardown_databases, teardown_test_environment

    try:
        figures = measure(args)
    finally:
        teardown_databases(old_config, verbosity=0)
        teardown_test_environment()
    median = {mode: statistics.median(figures[mode]["ms"]) for mode in MODES}
    place_median = {mode: statistics.median(figures[mode]["place_ms"]) for mode in MODES}
    queries = {mode: figures[mode]["queries"] for mode in MODES}
    place_queries = {mode: figures[mode]["place_queries"] for mode in MODES}
    ratio = median["with"] / median["without"]
    print(f"Checkout, one {PRICE} product per order, {POINTS_PER_ORDER} points paid on each order with points")
    print(f"Database: {database}; {args.orders} timed orders each way")
    labels = {"with": "with points", "without": "without points", "oscar": "Oscar's own payment view"}
    for mode in MODES:
        print(
            f"  {labels[mode]:<26} {queries[mode]:>4} queries, median {median[mode]:7.1f} ms per order;"
            f" place order: {place_queries[mode]:>3} queries, median {place_median[mode]:6.1f} ms"
        )
    print("  queries per request: " + ", ".join(STEPS))
    for mode in MODES:
        print(f"    {labels[mode]:<24} " + ", ".join(f"{n} ({tx})" for n, tx in figures[mode]["steps"]))
    print("  (in brackets: of which BEGIN, COMMIT, SAVEPOINT and RELEASE)")
    print(
        f"  extra queries per order: {queries['with'] - queries['without']:+d} (target <= 6);"
        f" time ratio with/without {ratio:.3f} (target <= 1.25)"
    )
    emit_json(
        {
            "queries_with": queries["with"],
            "queries_without": queries["without"],
            "ms_with": rounded(median["with"]),
            "ms_without": rounded(median["without"]),
            "ratio": rounded(ratio, 3),
            "place_queries_with": place_queries["with"],
            "place_queries_without": place_queries["without"],
            "place_ms_with": rounded(place_median["with"]),
            "place_ms_without": rounded(place_median["without"]),
            "transaction_control_with": figures["with"]["transaction_control"],
            "transaction_control_without": figures["without"]["transaction_control"],
            "queries_oscar": queries["oscar"],
            "ms_oscar": rounded(median["oscar"]),
            "database": database.split(" ")[0],
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
