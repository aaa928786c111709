"""The shopper's path to paying with points, in a real Chromium against the shop on loopback.

Every figure the pages must show is computed with the shop's own functions
from the data the test created, never typed in as a literal.
"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from oscar.core.loading import get_model
from oscar.templatetags.currency_filters import currency
from oscar.test.factories import CountryFactory, create_voucher

from oscar_loyalty import ledger
from oscar_loyalty.checkout.calculations import max_points_for_order, points_value
from oscar_loyalty.customer.history import describe
from oscar_loyalty.earning import margins, tiers
from oscar_loyalty.earning.calculations import LineInput, order_accrual, upcoming_points
from oscar_loyalty.settings import loyalty_settings
from oscar_loyalty.templatetags.loyalty_tags import points_label
from tests.browser import shopper
from tests.browser.shopper import expect
from tests.checkout.flow import customer_with_points, product_priced

pytestmark = pytest.mark.browser

Order = get_model("order", "Order")
Source = get_model("payment", "Source")
Reservation = get_model("oscar_loyalty", "Reservation")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")
Lot = get_model("oscar_loyalty", "Lot")

PRICE = Decimal("1234.00")
POINTS = 500
NO_SHIPPING = Decimal("0.00")  # the shop's one method, Oscar's free shipping
VOUCHER = "SPRING20"


@pytest.fixture
def shop_data():
    """A customer holding points in the entry tier, a product in stock, a country to ship to."""
    CountryFactory(iso_3166_1_a2="RU", printable_name="Russia", is_shipping_country=True)
    user = customer_with_points(POINTS)
    product = product_priced(str(PRICE))
    return user, product


def spring_voucher():
    """An Oscar voucher (promo code) taking a percentage off any product; returns the basket total it leaves."""
    voucher = create_voucher(code=VOUCHER, name="Spring sale")
    benefit = voucher.offers.get().benefit
    assert benefit.type == benefit.PERCENTAGE and benefit.range.includes_all_products
    return (PRICE * (100 - benefit.value) / 100).quantize(Decimal("0.01"))


def max_points(user, order_total):
    tier = tiers.tier_for(user)
    return max_points_for_order(
        ledger.get_balance(user).available,
        order_total,
        NO_SHIPPING,
        tier.max_share_percent,
        loyalty_settings.POINT_VALUE,
        min_to_pay=loyalty_settings.MIN_TO_PAY,
        shipping_payable=loyalty_settings.POINTS_PAY_SHIPPING,
    )


def bonus_to_earn(user, product, amount, paid_with_points):
    """What the order earns at the customer's tier, its points part earning nothing."""
    coefficient = margins.coefficients([product]).get(product.pk, margins.NEUTRAL)
    accruals = order_accrual(
        [LineInput(reference="line", amount=amount, coefficient=coefficient, offer_discounted=False)],
        cashback_percent=tiers.tier_for(user).cashback_percent,
        reduction=paid_with_points,
        spread_reductions=loyalty_settings.SPREAD_REDUCTIONS,
        offers_earn=loyalty_settings.OFFERS_EARN,
    )
    return sum(accrual.points for accrual in accruals)


def money(amount):
    return currency(amount, "RUB")


def available(user):
    return ledger.get_balance(user).available


def expect_limits(page, available_points, max_allowed):
    expect(page.locator("#loyalty-points-limits")).to_have_text(
        f"You have {available_points} points available and can use up to {max_allowed} of them on this order."
    )


def expect_points_in_preview(page, points, total, bonus):
    shopper.expect_preview(page)
    expect(page.locator("#loyalty-points-line")).to_contain_text(f"Paid with {points} bonus points")
    paid = points_value(points, loyalty_settings.POINT_VALUE)
    expect(page.locator("#loyalty-points-line")).to_contain_text(money(paid))
    expect(page.locator("#loyalty-remaining td")).to_have_text(money(total - paid))
    expect(page.locator("#loyalty-bonus td")).to_have_text(f"+{bonus}")


def expect_static_files_served(page):
    """Oscar's stylesheet and its own copy of jQuery (the CDN is out of reach) came from the live server."""
    assert page.evaluate("() => typeof window.jQuery") == "function"
    assert page.evaluate(
        """() => [...document.styleSheets].some(
            (sheet) => (sheet.href || "").endsWith("/static/oscar/css/styles.css") && sheet.cssRules.length > 0
        )"""
    )


def test_a_shopper_pays_part_of_an_order_with_points_and_sees_it_in_my_bonuses(page, shop_data, script_errors):
    user, product = shop_data
    coefficient = margins.coefficients([product]).get(product.pk, margins.NEUTRAL)
    product_bonus = upcoming_points(PRICE, tiers.tier_for(user).cashback_percent, coefficient)
    allowed = max_points(user, PRICE)
    chosen = 150
    assert 0 < chosen < allowed < POINTS and product_bonus > 0  # the scenario needs all three limits apart

    shopper.sign_in(page, user)
    shopper.open_product(page, product)
    expect_static_files_served(page)
    expect(page.locator(".product_main .loyalty-bonus")).to_have_text(points_label(product_bonus))
    shopper.add_to_basket(page, product)
    shopper.checkout_to_payment_step(page)

    expect_limits(page, POINTS, allowed)
    shopper.use_maximum(page)
    expect_points_in_preview(page, allowed, PRICE, bonus_to_earn(user, product, PRICE, allowed))

    # A change of mind: back to the payment step, fewer points typed in.
    page.locator(".nav-checkout .step3 a").click()
    expect_limits(page, POINTS, allowed)
    shopper.type_points(page, chosen)
    bonus = bonus_to_earn(user, product, PRICE, chosen)
    expect_points_in_preview(page, chosen, PRICE, bonus)
    assert not Reservation.objects.exists()  # nothing is held before "Place order"

    shopper.place_order(page)

    order = Order.objects.get(user=user)
    expect(page.locator("h1")).to_contain_text(order.number)
    assert order.total_incl_tax == PRICE
    source = Source.objects.get(order=order)
    assert source.source_type.name == "Bonus points"
    assert source.amount_debited == points_value(chosen, loyalty_settings.POINT_VALUE)
    assert Reservation.objects.get().status == Reservation.CAPTURED
    assert available(user) == POINTS - chosen
    assert ledger.check_accounts() == []

    # The shop completes the order: its points are accrued, pending until the returns window closes.
    order.set_status("Complete")
    lot = Lot.objects.get(order_number=order.number)
    assert lot.points == bonus

    shopper.open_my_bonuses(page)
    history = page.locator("#loyalty-history")
    redemption = JournalEntry.objects.get(kind=JournalEntry.REDEMPTION, order_number=order.number)
    accrual = JournalEntry.objects.get(kind=JournalEntry.ACCRUAL, order_number=order.number)
    expect(history).to_contain_text(describe(redemption))
    expect(history).to_contain_text(describe(accrual))
    expect(page.locator("#loyalty-available")).to_have_text(str(POINTS - chosen))
    expect(page.locator("#loyalty-pending")).to_have_text(re.compile(rf"^\s*{bonus}\b"))
    assert script_errors == []


def test_a_promo_code_and_points_pay_one_order_together(page, shop_data, script_errors):
    user, product = shop_data
    discounted = spring_voucher()

    shopper.sign_in(page, user)
    shopper.open_product(page, product)
    shopper.add_to_basket(page, product)
    shopper.apply_voucher(page, VOUCHER)
    shopper.checkout_to_payment_step(page)

    allowed = max_points(user, discounted)
    chosen = 100
    assert 0 < chosen < allowed
    expect_limits(page, POINTS, allowed)
    shopper.type_points(page, chosen)
    expect_points_in_preview(page, chosen, discounted, bonus_to_earn(user, product, discounted, chosen))
    shopper.place_order(page)

    order = Order.objects.get(user=user)
    assert order.total_incl_tax == discounted
    assert [discount.voucher_code for discount in order.discounts.all()] == [VOUCHER]
    assert Source.objects.get(order=order).amount_debited == points_value(chosen, loyalty_settings.POINT_VALUE)
    assert available(user) == POINTS - chosen
    assert ledger.check_accounts() == []
    assert script_errors == []


def test_under_the_exclusive_policy_a_promo_code_rules_out_points(page, shop_data, settings, script_errors):
    settings.OSCAR_LOYALTY_COMBINE_WITH_VOUCHERS = False
    user, product = shop_data
    spring_voucher()

    shopper.sign_in(page, user)
    shopper.open_product(page, product)
    shopper.add_to_basket(page, product)
    shopper.checkout_to_payment_step(page)
    payment_step = page.url

    # Meanwhile, in a second tab, the shopper adds a promo code to the same basket.
    other_tab = page.context.new_page()
    other_tab.goto(reverse("basket:summary"))
    shopper.apply_voucher(other_tab, VOUCHER)
    other_tab.close()

    # The first tab still offers points: choosing them now is refused.
    shopper.type_points(page, 100)
    explanation = page.locator('[data-loyalty="promo-exclusive"]')
    expect(explanation).to_be_visible()
    expect(explanation).not_to_be_empty()
    error = page.locator('#loyalty-points [data-loyalty="promo-exclusive-error"]')
    expect(error).to_be_visible()
    expect(error).not_to_be_empty()
    expect(page.locator("#loyalty_points_form")).to_have_count(0)  # nothing left to choose points with
    expect(page.locator("#place-order")).to_have_count(0)
    assert not Reservation.objects.exists()
    assert available(user) == POINTS

    # Reloaded, the payment step explains why points are out; the order goes through with the promo code alone.
    page.goto(payment_step)
    expect(page.locator('[data-loyalty="promo-exclusive"]')).to_be_visible()
    page.locator("#view_preview").click()
    shopper.expect_preview(page)
    expect(page.locator("#loyalty-points-line")).to_have_count(0)
    shopper.place_order(page)

    order = Order.objects.get(user=user)
    assert [discount.voucher_code for discount in order.discounts.all()] == [VOUCHER]
    assert not Source.objects.filter(order=order).exists()
    assert not Reservation.objects.exists()
    assert available(user) == POINTS
    assert script_errors == []


def test_more_points_than_allowed_are_refused_in_plain_words_and_nothing_is_reserved(page, shop_data, script_errors):
    user, product = shop_data
    allowed = max_points(user, PRICE)
    assert allowed < POINTS

    shopper.sign_in(page, user)
    shopper.open_product(page, product)
    shopper.add_to_basket(page, product)
    shopper.checkout_to_payment_step(page)
    shopper.type_points(page, allowed + 1)

    error = page.locator("#loyalty-points .error-block")
    expect(error).to_have_text(f"You can use at most {allowed} points on this order.")
    expect(page.locator("#place-order")).to_have_count(0)
    expect(page.locator("#id_points")).to_have_value(str(allowed + 1))  # what was typed stays, to correct
    assert not Reservation.objects.exists()
    assert available(user) == POINTS

    # Nothing was chosen: Oscar's own "Continue" leads to a preview without points.
    page.goto(reverse("checkout:payment-details"))
    page.locator("#view_preview").click()
    shopper.expect_preview(page)
    expect(page.locator("#loyalty-points-line")).to_have_count(0)
    assert not Reservation.objects.exists()
    assert script_errors == []
