"""Promotions, promo codes and secret codes for the checkout tests."""

import re
from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty.checkout.promotions import services
from tests.checkout.flow import ADDRESS, place_order, reach_payment_details
from tests.factories import UserFactory

Order = get_model("order", "Order")
Range = get_model("offer", "Range")
Benefit = get_model("offer", "Benefit")
Condition = get_model("offer", "Condition")
ConditionalOffer = get_model("offer", "ConditionalOffer")
Voucher = get_model("voucher", "Voucher")
Permission = get_model("auth", "Permission")

ISSUED_CODE = re.compile(r'<code id="loyalty-secret-code">([0-9A-Z-]+)</code>')


def promotion(product, *, percent=20, name="Last-day sale", offer_type=None, ends_in=timedelta(hours=2)):
    """``percent`` off ``product``, one or more in the basket; running now, ending after ``ends_in``."""
    product_range = Range.objects.create(name=f"{name} goods")
    product_range.add_product(product)
    now = timezone.now()
    return ConditionalOffer.objects.create(
        name=name,
        offer_type=offer_type or ConditionalOffer.SITE,
        condition=Condition.objects.create(range=product_range, type=Condition.COUNT, value=1),
        benefit=Benefit.objects.create(range=product_range, type=Benefit.PERCENTAGE, value=percent),
        start_datetime=now - timedelta(days=7),
        end_datetime=now + ends_in,
    )


def promotion_on(products, *, benefit_type, value, name="Last-day sale", max_affected_items=None, **limits):
    """A site promotion on ``products`` (one or more in the basket), running now and ending in two hours.

    ``benefit_type`` is one of Oscar's ``Benefit`` types; ``limits`` are the
    offer's own (``max_user_applications``, ``max_global_applications``, ``max_discount`` ...).
    """
    product_range = Range.objects.create(name=f"{name} goods")
    for product in products:
        product_range.add_product(product)
    now = timezone.now()
    return ConditionalOffer.objects.create(
        name=name,
        offer_type=ConditionalOffer.SITE,
        condition=Condition.objects.create(range=product_range, type=Condition.COUNT, value=1),
        benefit=Benefit.objects.create(
            range=product_range, type=benefit_type, value=value, max_affected_items=max_affected_items
        ),
        start_datetime=now - timedelta(days=7),
        end_datetime=now + timedelta(hours=2),
        **limits,
    )


def promo_code(product, *, code="SPRING10", percent=10, usage=None):
    """An Oscar voucher giving ``percent`` off ``product``."""
    offer = promotion(product, percent=percent, name=f"Promo code {code}", offer_type=ConditionalOffer.VOUCHER)
    now = timezone.now()
    voucher = Voucher.objects.create(
        name=code,
        code=code,
        usage=usage or Voucher.MULTI_USE,
        start_datetime=now - timedelta(days=7),
        end_datetime=now + timedelta(hours=2),
    )
    voucher.offers.add(offer)
    return voucher


def end(offer_or_voucher):
    """The promotion is over: it ended a minute ago (as on the morning after its last day)."""
    offer_or_voucher.end_datetime = timezone.now() - timedelta(minutes=1)
    offer_or_voucher.save()


def staff_member(*, permission=True):
    staff = UserFactory(is_staff=True, first_name="Olga", last_name="Manager")
    if permission:
        staff.user_permissions.add(Permission.objects.get(codename="add_secretcode"))
    return staff


def add_to_basket(client, product, quantity=1):
    response = client.post(reverse("basket:add", kwargs={"pk": product.pk}), {"quantity": quantity})
    assert response.status_code == 302, response


def enter_code(client, code):
    """Enter a secret code on the basket page; returns the basket page it leads to."""
    return client.post(reverse("loyalty:secret-code-apply"), {"code": code}, follow=True)


def add_voucher(client, code):
    return client.post(reverse("basket:vouchers-add"), {"code": code}, follow=True)


def to_payment_details(client):
    """From a filled basket through the address and shipping steps (the customer is signed in)."""
    response = client.post(reverse("checkout:shipping-address"), ADDRESS)
    assert response.status_code == 302, response
    response = client.get(reverse("checkout:shipping-method"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("checkout:payment-details"), response.redirect_chain
    return response


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def issue_from_order_page(client, order, **data):
    """Staff issue a code on the order's secret code page; returns (response, the code shown)."""
    page = client.get(reverse("loyalty:secret-code-issue", kwargs={"number": order.number}))
    assert page.status_code == 200, page
    offers = [str(offer.pk) for offer in page.context["form"].fields["offers"].queryset]
    response = client.post(
        reverse("loyalty:secret-code-issue", kwargs={"number": order.number}),
        {"offers": offers, "days": 7, "reason": "Order changed after the sale", **data},
    )
    match = ISSUED_CODE.search(response.content.decode())
    return response, (match.group(1) if match else None)


def total(basket_page):
    return basket_page.context["basket"].total_incl_tax


def money(value):
    return Decimal(value)


def issue(original, **kwargs):
    """A secret code for ``original``, issued by a staff member with the permission."""
    return services.issue(original, issued_by=staff_member(), **kwargs)


def checkout_with(client, product, code):
    """Put ``product`` in the basket, enter ``code`` and place the order; returns (basket page, order page)."""
    add_to_basket(client, product)
    page = enter_code(client, code)
    to_payment_details(client)
    return page, place_order(client)


def order_of_an_ended_sale(client, customer, product, *, once_per_customer=False):
    """The only order: ``customer`` bought ``product`` in a 20% sale, then the sale ended and it was cancelled.

    Returns ``(sale, order)``. ``once_per_customer``: the sale applies once per
    customer, so the order used it up.
    """
    sale = promotion(product, percent=20)
    if once_per_customer:
        sale.max_user_applications = 1
        sale.save()
    reach_payment_details(client, customer, product)
    place_order(client)
    original = Order.objects.get()
    end(sale)
    original.set_status("Cancelled")
    return sale, original
