"""An editor's rules page in a real Chromium: the live tier table, and a calculator that agrees with the shop.

The figures come from the program's data and the shop's own functions, never typed in as literals.
"""

import importlib
import re
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from oscar.core.loading import get_model
from wagtail.models import Locale, Page, Site

from oscar_loyalty.earning.calculations import upcoming_points
from tests.browser import shopper
from tests.browser.conftest import ARTIFACTS
from tests.browser.shopper import expect
from tests.display.conftest import customer_at, product_priced
from wagtail_pages.models import ProgramRulesPage

pytestmark = pytest.mark.browser

Tier = get_model("oscar_loyalty", "Tier")
MarginGroup = get_model("oscar_loyalty", "MarginGroup")

PRICE = "6100.00"
DEFAULT_PROGRAM = "oscar_loyalty.migrations.0004_default_tiers_and_margin_groups"


@pytest.fixture
def program(live_server):
    """What the migrations create and the live server's database flushes empty after each test:
    the program's default tiers and margin groups, Wagtail's locale, root page and default site."""
    importlib.import_module(DEFAULT_PROGRAM).forwards(django_apps, None)
    locale = Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)[0]
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root", locale=locale))
    if not Site.objects.filter(is_default_site=True).exists():
        home = root.add_child(instance=Page(title="Home", slug="home", locale=locale))
        Site.objects.create(hostname="localhost", root_page=home, is_default_site=True)


@pytest.fixture
def rules_page(program):
    """The rules page as an editor arranges it: text, the tier table, the calculator."""
    home = Site.objects.get(is_default_site=True).root_page
    page = ProgramRulesPage(
        title="Program rules",
        slug="rules",
        body=[
            {"type": "text", "value": "<h2>Earning</h2><p>Every order line earns bonuses.</p>"},
            {"type": "tier_table", "value": {"heading": "Tiers", "intro": ""}},
            {"type": "calculator", "value": {"heading": "How many bonuses will I earn?", "intro": ""}},
        ],
    )
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


def screenshot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"pages_{name}.png"), full_page=True)


def shown_points(locator):
    """The number in "+610 bonuses"."""
    return int(re.sub(r"\D", "", locator.inner_text()))


def test_the_rules_page_shows_the_live_tiers_and_calculates_as_the_product_page(page, script_errors, rules_page):
    gold = Tier.objects.get(code="gold")
    high = MarginGroup.objects.get(code="high")
    product = product_priced(PRICE, margin=high.code)
    customer = customer_at(gold.code)

    # Staff change a tier in the back office: the page shows it, nobody edits the page.
    gold.cashback_percent = Decimal("6")
    gold.save()
    page.goto(rules_page.url)
    row = page.locator('table.loyalty-tier-table tr[data-tier="gold"]')
    expect(row.locator('[data-column="cashback"]')).to_have_text("6%")
    expect(page.locator("table.loyalty-tier-table tbody tr")).to_have_count(Tier.objects.count())

    # The customer's product page: "+N bonuses" at their tier, for the product's margin group.
    shopper.sign_in(page, customer)
    shopper.open_product(page, product)
    on_product_page = shown_points(page.locator("article.product_page .loyalty-bonus").first)
    expected = upcoming_points(Decimal(PRICE), gold.cashback_percent, high.coefficient)
    assert on_product_page == expected

    # The calculator, typed into: the same figure, answered without reloading the page.
    page.goto(rules_page.url)
    calculator = page.locator("[data-loyalty-calculator]")
    calculator.locator("#id_amount").fill("6 100")
    calculator.locator("#id_tier").select_option(gold.code)
    calculator.locator("#id_group").select_option(high.code)
    calculator.locator("button[type=submit]").click()
    result = calculator.locator("[data-result] [data-points]")
    expect(result).to_have_attribute("data-points", str(on_product_page))
    assert shown_points(calculator.locator(".loyalty-calculator-points")) == on_product_page
    assert "amount=" not in page.url  # the script asked the JSON endpoint; the page stayed
    screenshot(page, "rules_calculator")

    # Bad input: a clear message, and no figure.
    calculator.locator("#id_amount").fill("six thousand")
    calculator.locator("button[type=submit]").click()
    expect(calculator.locator("[data-result] [data-errors]")).to_contain_text("Enter the purchase amount as a number")
    expect(calculator.locator("#id_amount")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(calculator.locator("[data-result] [data-points]")).to_have_count(0)
    screenshot(page, "rules_calculator_error")
    assert script_errors == []


def test_without_javascript_the_calculator_still_answers(browser, live_server, rules_page):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, locale="en")
    try:
        page = context.new_page()
        page.goto(rules_page.url)
        calculator = page.locator("[data-loyalty-calculator]")
        calculator.locator("#id_amount").fill(PRICE)
        calculator.locator("#id_tier").select_option("vip")
        calculator.locator("#id_group").select_option("standard")
        calculator.locator("button[type=submit]").click()
        vip = Tier.objects.get(code="vip")
        expected = upcoming_points(Decimal(PRICE), vip.cashback_percent, Decimal(1))
        expect(page.locator("[data-result] [data-points]")).to_have_attribute("data-points", str(expected))
        assert "amount=" in page.url
        screenshot(page, "rules_calculator_without_javascript")
    finally:
        context.close()
