"""What a shopper does in the browser, one step per function: clicks and typing, no shortcuts.

Each step waits for the page it leads to (Playwright's ``expect`` retries
until its timeout), so a test never sleeps. Steps find Oscar's controls by
their ids rather than their wording, which Oscar's translations change
("basket" reads "cart" in its English catalogue).
"""

import re

from django.urls import reverse

from tests.checkout.flow import ADDRESS

PASSWORD = "secret-pass"  # tests.factories.UserFactory's


def expect(actual, message=None):
    """Playwright's ``expect``, imported on use: without Playwright the suite still collects (and skips these)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(actual, message=message)


def path_pattern(url_name, **kwargs):
    """A regular expression matching the page's URL for ``url_name`` (any host, no query)."""
    return re.compile(re.escape(reverse(url_name, kwargs=kwargs or None)) + r"(\?.*)?$")


def sign_in(page, user):
    page.goto(reverse("customer:login"))
    page.locator("#id_login-username").fill(user.email)
    page.locator("#id_login-password").fill(PASSWORD)
    page.locator("#login_form button[name=login_submit]").click()
    expect(page.locator("#logout_link")).to_be_visible()


def open_product(page, product):
    page.goto(product.get_absolute_url())
    expect(page.locator("article.product_page h1")).to_have_text(product.get_title())


def add_to_basket(page, product):
    """On a product page: "Add to basket", then follow the confirmation's link to the basket."""
    page.locator("#add_to_basket_form button[type=submit]").click()
    messages = page.locator("#messages")
    expect(messages).to_contain_text(product.get_title())
    messages.locator(f'a[href="{reverse("basket:summary")}"]').click()
    expect(page).to_have_url(path_pattern("basket:summary"))
    expect(page.locator("#basket_formset")).to_contain_text(product.get_title())


def apply_voucher(page, code):
    """On the basket page: open the voucher form (Oscar's script shows it), type the code, add it."""
    page.locator("#voucher_form_link a").click()
    page.locator("#voucher_form #id_code").fill(code)
    page.locator("#voucher_form button[type=submit]").click()
    expect(page.locator("#messages")).to_contain_text(code)
    expect(page.locator("#basket_totals")).to_contain_text(f"({code})")


def checkout_to_payment_step(page):
    """From the basket: proceed to checkout, type a new shipping address, arrive at the payment step.

    The shop has one shipping method, which Oscar chooses without asking.
    """
    page.locator(f'#content_inner a[href="{reverse("checkout:index")}"]').click()
    form = page.locator("#new_shipping_address")
    expect(form).to_be_visible()
    form.locator("#id_first_name").fill(ADDRESS["first_name"])
    form.locator("#id_last_name").fill(ADDRESS["last_name"])
    form.locator("#id_line1").fill(ADDRESS["line1"])
    form.locator("#id_line4").fill(ADDRESS["line4"])
    form.locator("#id_postcode").fill(ADDRESS["postcode"])
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(path_pattern("checkout:payment-details"))


def type_points(page, points):
    """On the payment step: type a number of points and submit them."""
    section = page.locator("#loyalty-points")
    section.locator("#id_points").fill(str(points))
    section.get_by_role("button", name="Use these points and continue").click()


def use_maximum(page):
    page.locator("#loyalty-points button[name=use_maximum]").click()


def expect_preview(page):
    expect(page.locator("#place-order")).to_be_visible()


def place_order(page):
    """On the preview: "Place order", and wait for the thank-you page."""
    page.locator("#place-order").click()
    expect(page).to_have_url(path_pattern("checkout:thank-you"))


def open_my_bonuses(page):
    """From the account pages, the "My bonuses" tab."""
    page.goto(reverse("customer:summary"))
    page.get_by_role("link", name="My bonuses").click()
    expect(page).to_have_url(path_pattern("loyalty:bonuses"))
