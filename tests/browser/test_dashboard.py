"""The loyalty dashboard in a real Chromium: the KPI charts draw, and a manual accrual reaches the customer's page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from oscar_loyalty import ledger
from tests.browser import shopper
from tests.browser.conftest import ARTIFACTS
from tests.browser.shopper import expect
from tests.dashboard.helpers import place_order, user_with
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

REASON = "Compensation for a delayed delivery"
# Oscar's layout asks a CDN for jQuery first; the test's browser refuses every request off the shop.
REFUSED_CDN = "net::ERR_BLOCKED_BY_CLIENT"


@pytest.fixture
def program():
    """A customer with some months of points and orders, and a loyalty manager."""
    now = timezone.now()
    customer = UserFactory(first_name="Vera", last_name="Kuznetsova")
    for months_ago in range(5, 0, -1):
        when = now - timedelta(days=30 * months_ago)
        ledger.accrue(customer, 300, key=f"accrual-{months_ago}", reason="Order", order=f"V-{months_ago}", now=when)
        place_order(f"V-{months_ago}", customer, "6000.00", when)
    ledger.redeem(customer, 200, key="spend", order_number="V-SPEND", now=now - timedelta(days=10))
    manager = user_with("manage_loyalty", first_name="Maria", last_name="Manager")
    return customer, manager


@pytest.fixture
def console_errors(page):
    errors = []
    page.on(
        "console",
        lambda message: (
            errors.append(message.text) if message.type == "error" and REFUSED_CDN not in message.text else None
        ),
    )
    return errors


def screenshot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dashboard_{name}.png"), full_page=True)


def sign_in_to_the_dashboard(page, user):
    page.goto(reverse("loyalty-dashboard:loyalty-kpis"))
    # Not signed in: the dashboard's login page, which comes back to the KPIs.
    page.locator("#dashboard_login_form #id_username").fill(user.email)
    page.locator("#dashboard_login_form #id_password").fill(shopper.PASSWORD)
    page.locator("#dashboard_login_form input[type=submit]").click()
    expect(page.locator("#loyalty_kpi_table")).to_be_visible()


def test_staff_read_the_charts_and_a_manual_accrual_reaches_the_customers_page(
    page, program, script_errors, console_errors
):
    customer, manager = program
    sign_in_to_the_dashboard(page, manager)

    canvases = page.locator("canvas")
    expect(canvases).to_have_count(6)
    # Chart.js has drawn on every canvas (the scripts at the end of the page may still be loading).
    page.wait_for_function(
        "() => window.Chart && Array.from(document.querySelectorAll('canvas'))"
        ".every(c => Chart.getChart(c) && c.width > 0 && c.height > 0)"
    )
    expect(page.locator("#loyalty_kpi_cards")).to_contain_text("1500")  # points accrued in the last 12 months
    screenshot(page, "kpis")

    accounts = reverse("loyalty-dashboard:loyalty-account-list")
    expect(page.locator(f'.dropdown-menu a[href="{accounts}"]')).to_have_count(1)  # in the dashboard's menu
    page.goto(accounts)
    page.locator("#loyalty_account_search input[name=q]").fill(customer.email)
    page.locator("#loyalty_account_search button[type=submit]").click()
    page.locator("#loyalty_accounts tbody a").first.click()
    expect(page.locator("#loyalty_account_balance")).to_contain_text("1300")

    form = page.locator("#loyalty_adjustment")
    form.locator("input[name=action][value=accrue]").check()
    form.locator("input[name=points]").fill("250")
    form.locator("input[name=reason]").fill(REASON)
    form.locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("250 points accrued")
    expect(page.locator("#loyalty_account_journal")).to_contain_text(REASON)
    screenshot(page, "account_after_adjustment")

    assert ledger.get_balance(customer).available == 1550
    assert script_errors == [] and console_errors == []

    # The customer signs in and finds the points and the reason on "My bonuses".
    page.context.clear_cookies()
    shopper.sign_in(page, customer)
    page.goto(reverse("loyalty:bonuses"))
    expect(page.locator("#loyalty-available")).to_have_text("1550")
    expect(page.locator("#loyalty-history")).to_contain_text(REASON)
    screenshot(page, "customer_bonuses")
