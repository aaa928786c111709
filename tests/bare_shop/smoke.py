"""The bare shop's smoke test, run by run.py inside the virtualenv the built wheel went into.

A customer registers, orders, the order completes and earns points; the next
order is paid partly with points; it is cancelled and the points come back.
With the extras (``shop.settings_extras``) the program's pages, Wagtail's admin
and the 1C exchange answer too. Plain asserts: any failure ends the run non-zero.
"""

import base64
import os
import sys
from decimal import Decimal
from pathlib import Path

import django

django.setup()

from django.apps import apps  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Permission  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402
from oscar.core.loading import get_model  # noqa: E402

import oscar_loyalty  # noqa: E402
from oscar_loyalty import ledger  # noqa: E402

Country = get_model("address", "Country")
Order = get_model("order", "Order")
Partner = get_model("partner", "Partner")
Product = get_model("catalogue", "Product")
ProductClass = get_model("catalogue", "ProductClass")
StockRecord = get_model("partner", "StockRecord")
User = get_user_model()

EXTRAS = os.environ["DJANGO_SETTINGS_MODULE"].endswith("_extras")
ADDRESS = {
    "first_name": "Anna",
    "last_name": "Petrova",
    "line1": "1 Velo Street",
    "line4": "Moscow",
    "postcode": "101000",
    "country": "RU",
}


def step(text):
    print(f"- {text}", flush=True)


def the_installed_package_is_used():
    installed = Path(oscar_loyalty.__file__).resolve()
    assert "site-packages" in installed.parts, f"oscar_loyalty comes from {installed}, not from the installed wheel"
    step(f"oscar_loyalty is the installed wheel's ({installed.parent})")
    assert apps.is_installed("erp_sync") == EXTRAS and apps.is_installed("wagtail_pages") == EXTRAS


def the_system_checks_are_silent():
    call_command("check", "--database", "default", "--fail-level", "WARNING")
    step("manage.py check --database default: no errors, no warnings")


def the_shops_own_catalogue():
    """What the shop had before the program: a shipping country and a bike in stock."""
    Country.objects.update_or_create(
        iso_3166_1_a2="RU",
        defaults={"name": "Russian Federation", "printable_name": "Russia", "is_shipping_country": True},
    )
    bikes, _created = ProductClass.objects.get_or_create(name="Bikes", defaults={"requires_shipping": True})
    bike = Product.objects.create(title="City bike", product_class=bikes, is_public=True)
    partner, _created = Partner.objects.get_or_create(name="Velo Warehouse")
    StockRecord.objects.create(
        product=bike, partner=partner, partner_sku=f"BIKE-{bike.pk}", price=Decimal("10000.00"), num_in_stock=100
    )
    return bike


def register(client):
    response = client.post(
        reverse("customer:register"),
        {"email": "anna@example.com", "password1": "velo-bonus-2026", "password2": "velo-bonus-2026"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="anna@example.com")
    step(f"a customer registered: {user.email}")
    return user


def order(client, product, *, points=0):
    response = client.post(reverse("basket:add", kwargs={"pk": product.pk}), {"quantity": 1})
    assert response.status_code == 302, response
    response = client.post(reverse("checkout:shipping-address"), ADDRESS)
    assert response.status_code == 302, response.content.decode()[:2000]
    response = client.get(reverse("checkout:shipping-method"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("checkout:payment-details"), response.redirect_chain
    payment = response.content.decode()
    if points:
        assert 'name="points"' in payment, "the payment step offers no points"
        response = client.post(reverse("checkout:preview"), {"points": points})
        assert response.status_code == 200 and f"{points}" in response.content.decode(), "the preview lacks the points"
    else:
        response = client.get(reverse("checkout:preview"))
        assert response.status_code == 200
    response = client.post(reverse("checkout:preview"), {"action": "place_order"})
    assert response.status_code == 302 and response["Location"].endswith(reverse("checkout:thank-you")), response
    placed = Order.objects.filter(user__email="anna@example.com").latest("id")
    step(f"order {placed.number} placed, {placed.total_incl_tax} with {points} points")
    return placed


def change_status(staff, placed, status):
    response = staff.post(
        reverse("dashboard:order-detail", kwargs={"number": placed.number}),
        {"order_action": "change_order_status", "new_status": status},
    )
    assert response.status_code == 302, response
    placed.refresh_from_db()
    assert placed.status == status, placed.status
    step(f"staff moved order {placed.number} to {status}")


def available(user):
    return ledger.get_balance(user).available


def the_extras_answer(staff):
    response = Client().get("/cms/")
    assert response.status_code == 302 and "/cms/login/" in response["Location"], response
    assert staff.get("/cms/").status_code == 200
    call_command("loyalty_demo_pages", stdout=open(os.devnull, "w"))  # noqa: SIM115
    landing = Client().get("/loyalty/")
    assert landing.status_code == 200 and "Gold" in landing.content.decode(), landing
    step("the program's pages: /cms/ asks staff to sign in, /loyalty/ shows the tiers")

    exchange_user = User.objects.create_user("exchange", password="exchange-secret")
    exchange_user.user_permissions.add(Permission.objects.get(codename="exchange_orders"))
    the_system_checks_are_silent()  # erp_sync.W004: the exchange user has its permission now
    credentials = base64.b64encode(b"exchange:exchange-secret").decode()
    response = Client().get(
        "/erp/exchange/", {"type": "sale", "mode": "checkauth"}, HTTP_AUTHORIZATION=f"Basic {credentials}"
    )
    assert response.status_code == 200 and response.content.decode().split("\n")[0] == "success", response.content
    for path in ("/dashboard/erp-sync/outbox/", "/dashboard/erp-sync/reconciliation/", "/dashboard/erp-exchange/"):
        response = staff.get(path, follow=True)
        assert response.status_code == 200, (path, response.status_code)
    step("the 1C exchange answers checkauth with success; its dashboard pages open")


def main():
    the_installed_package_is_used()
    the_system_checks_are_silent()
    bike = the_shops_own_catalogue()
    admin = User.objects.create_superuser("admin", "admin@example.com", "admin-secret")
    staff = Client()
    staff.force_login(admin)
    customer = Client()

    with override_settings(OSCAR_LOYALTY_HOLD_DAYS=0):  # points spendable at once, not after the returns window
        user = register(customer)
        first = order(customer, bike)
        change_status(staff, first, "Being processed")
        change_status(staff, first, "Complete")
        # Silver, the first tier: 3% of 10,000.00 in the standard margin group.
        assert available(user) == 300, ledger.get_balance(user)
        step("the completed order earned 300 points")

        second = order(customer, bike, points=200)
        assert available(user) == 100, ledger.get_balance(user)
        assert second.sources.get(source_type__name="Bonus points").amount_debited == Decimal("200.00")
        step("the second order was paid 200.00 with points")

        change_status(staff, second, "Cancelled")
        assert available(user) == 300, ledger.get_balance(user)
        step("the cancelled order gave its 200 points back")

    response = customer.get(reverse("loyalty:bonuses"))
    assert response.status_code == 200 and "300" in response.content.decode()
    step("My bonuses shows the balance")

    if EXTRAS:
        the_extras_answer(staff)
    print("The bare shop works.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
