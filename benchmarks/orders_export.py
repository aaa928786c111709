"""The accounting system's ``mode=query``: 10,000 orders exported as one streamed CommerceML document.

Builds ``--orders`` orders (two lines each, one product in two with an ERP
id, one order in three paid partly with points and one in three with an
accrual lot, customers with accounts and tiers), then exports them through
the whole Django stack (checkauth → init → query with Django's test client,
the streamed body read to the end and checked), each run in a fresh child
process so its peak RSS is its own: once for the newest tenth of the orders
and once for all of them. Queries are counted per run; the difference
between the two runs divided by the difference in batches is what one batch
costs, which must not depend on the number of orders in it.

    python -m benchmarks.orders_export [--orders 10000] [--batch-size 500]

Needs PostgreSQL (``DATABASE_URL``, default a ``loyalty_bench_orders``
database on the local server). Target: 10,000 orders in at most 10 s, a
fixed number of queries per batch, peak memory flat. The last line of
output is one JSON object with the figures.
"""

import argparse
import base64
import json
import os
import resource
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal

from benchmarks.common import emit_json, ensure_database, rounded, setup_django

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/loyalty_bench_orders"
USERNAME, PASSWORD = "bench-exchange", "bench-exchange-pass"
TARGET_SECONDS = 10


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.orders_export", description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=10_000, help="orders exported in the full run (default 10,000)")
    parser.add_argument("--batch-size", type=int, default=500, help="orders per batch of queries (default 500)")
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def build(n_orders):
    """``n_orders`` orders placed a minute apart, with what the export reads; bulk inserts, a few seconds."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.contrib.sites.models import Site
    from django.db import connection, transaction
    from django.utils import timezone
    from oscar.core.loading import get_model
    from oscar.test.factories import create_product

    User = get_user_model()
    Order = get_model("order", "Order")
    Line = get_model("order", "Line")
    Source = get_model("payment", "Source")
    SourceType = get_model("payment", "SourceType")
    Account = get_model("oscar_loyalty", "Account")
    Lot = get_model("oscar_loyalty", "Lot")
    ProductAttribute = get_model("catalogue", "ProductAttribute")
    ProductAttributeValue = get_model("catalogue", "ProductAttributeValue")
    tables = [
        Source,
        Line,
        Order,
        Lot,
        Account,
        get_model("erp_sync", "ExchangeEvent"),
        get_model("erp_sync", "ExchangeSession"),
        get_model("erp_sync", "ExportMarker"),
    ]
    with connection.cursor() as cursor:
        quoted = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in tables)
        cursor.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
    now = timezone.now()
    with transaction.atomic():
        User.objects.filter(username__startswith="bench-").delete()
        exchange = User.objects.create_user(USERNAME, password=PASSWORD)
        exchange.user_permissions.add(Permission.objects.get(codename="exchange_orders"))
        customers = User.objects.bulk_create(
            User(username=f"bench-customer-{i}", email=f"c{i}@example.com", first_name="Иван", last_name=f"Петров{i}")
            for i in range(max(1, n_orders // 10))
        )
        Account.objects.bulk_create(Account(user=user, customer_name=user.get_full_name()) for user in customers)
        products = [create_product(title=f"Велосипед {i}", price=Decimal("1000.00")) for i in range(20)]
        attribute, _created = ProductAttribute.objects.get_or_create(
            product_class=products[0].get_product_class(), code="erp_id", defaults={"name": "ERP id", "type": "text"}
        )
        ProductAttributeValue.objects.bulk_create(
            ProductAttributeValue(product=product, attribute=attribute, value_text=f"erp-{product.pk:08d}")
            for product in products[::2]
        )
        site = Site.objects.get_current()
        orders = Order.objects.bulk_create(
            Order(
                number=str(200000 + i),
                site=site,
                user=customers[i % len(customers)],
                currency="RUB",
                total_incl_tax=Decimal("2300.00"),
                total_excl_tax=Decimal("2300.00"),
                shipping_incl_tax=Decimal("300.00"),
                shipping_excl_tax=Decimal("300.00"),
                shipping_method="Курьер",
                status="Pending",
                date_placed=now - timedelta(minutes=n_orders - i),
            )
            for i in range(n_orders)
        )
        Line.objects.bulk_create(
            Line(
                order=order,
                partner_name="Shop",
                partner_sku=f"sku-{k}",
                title=products[(i + k) % 20].title,
                product=products[(i + k) % 20],
                quantity=1,
                num_allocated=0,
                line_price_incl_tax=Decimal("1000.00"),
                line_price_excl_tax=Decimal("1000.00"),
                line_price_before_discounts_incl_tax=Decimal("1000.00"),
                line_price_before_discounts_excl_tax=Decimal("1000.00"),
                unit_price_incl_tax=Decimal("1000.00"),
                unit_price_excl_tax=Decimal("1000.00"),
                status="Pending",
            )
            for i, order in enumerate(orders)
            for k in range(2)
        )
        points, _created = SourceType.objects.get_or_create(name="Bonus points")
        Source.objects.bulk_create(
            Source(order=order, source_type=points, amount_allocated=Decimal("200"), amount_debited=Decimal("200"))
            for order in orders[::3]
        )
        accounts = dict(Account.objects.values_list("user_id", "pk"))
        Lot.objects.bulk_create(
            Lot(
                account_id=accounts[order.user_id],
                points=63,
                remaining=63,
                status=Lot.PENDING,
                available_at=now + timedelta(days=14),
                expires_at=now + timedelta(days=365),
                origin=Lot.ORDER,
                order_number=order.number,
                created_at=order.date_placed,
            )
            for order in orders[1::3]
        )
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return orders


def measure(n_orders, batch_size):
    """In a fresh process: export the newest ``n_orders`` orders over ``mode=query``; prints one JSON line."""
    setup_django(os.environ["DATABASE_URL"])
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from oscar.core.loading import get_model

    Order = get_model("order", "Order")
    ExportMarker = get_model("erp_sync", "ExportMarker")
    settings.ERP_SYNC_EXCHANGE_BATCH_SIZE = batch_size
    settings.ALLOWED_HOSTS = ["*"]
    newest = list(Order.objects.order_by("-date_placed").values_list("date_placed", flat=True)[: n_orders + 1])
    ExportMarker.objects.update_or_create(
        exchange_type="sale", defaults={"exported_until": newest[n_orders] if len(newest) > n_orders else None}
    )
    client = Client()
    auth = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    reply = client.get("/erp/exchange/", {"type": "sale", "mode": "checkauth"}, HTTP_AUTHORIZATION=auth)
    cookie_name, token = reply.content.decode().split("\n")[1:3]
    client.cookies[cookie_name] = token
    client.get("/erp/exchange/", {"type": "sale", "mode": "init", "version": "2.08"})
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size = 0
    documents = 0
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get("/erp/exchange/", {"type": "sale", "mode": "query"})
        for chunk in response.streaming_content:
            size += len(chunk)
            documents += chunk.count("<Документ>".encode("cp1251"))
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open("/proc/self/statm") as statm:  # resident now, after the whole export went through
        rss_after = int(statm.read().split()[1]) * resource.getpagesize() / 1024 / 1024
    if documents != n_orders:
        raise SystemExit(f"exported {documents} documents, expected {n_orders}")
    print(
        json.dumps(
            {
                "orders": documents,
                "seconds": round(seconds, 2),
                "queries": len(queries),
                "batches": -(-n_orders // batch_size),
                "bytes": size,
                "rss_before_mb": round(rss_before, 1),
                "peak_rss_mb": round(peak, 1),
                "rss_after_mb": round(rss_after, 1),
            }
        )
    )


def run_child(n_orders, batch_size):
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.orders_export", "--measure", str(n_orders), "--batch-size", str(batch_size)],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main(argv=None):
    args = parse_args(argv)
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    if args.measure:
        measure(args.measure, args.batch_size)
        return
    ensure_database(os.environ["DATABASE_URL"])
    setup_django(os.environ["DATABASE_URL"])
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    started = time.perf_counter()
    build(args.orders)
    print(f"built {args.orders} orders in {time.perf_counter() - started:.1f} s", flush=True)
    small = run_child(max(1, args.orders // 10), args.batch_size)
    print(f"small: {small}", flush=True)
    full = run_child(args.orders, args.batch_size)
    print(f"full: {full}", flush=True)
    per_batch = (full["queries"] - small["queries"]) / max(1, full["batches"] - small["batches"])
    fixed = full["queries"] - per_batch * full["batches"]
    emit_json(
        {
            "orders": full["orders"],
            "seconds": full["seconds"],
            "queries": full["queries"],
            "peak_rss_mb": full["peak_rss_mb"],
            "batch_size": args.batch_size,
            "batches": full["batches"],
            "queries_per_batch": rounded(per_batch, 2),
            "queries_fixed": rounded(fixed, 2),
            "small_orders": small["orders"],
            "small_seconds": small["seconds"],
            "small_queries": small["queries"],
            "small_peak_rss_mb": small["peak_rss_mb"],
            "rss_before_mb": full["rss_before_mb"],
            "rss_after_mb": full["rss_after_mb"],
            "small_rss_after_mb": small["rss_after_mb"],
            "target_seconds": TARGET_SECONDS,
            "within_target": full["seconds"] <= TARGET_SECONDS,
        }
    )


if __name__ == "__main__":
    main()
