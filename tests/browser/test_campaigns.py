"""A marketer starts a happy hour in the dashboard; a shopper sees the higher "+N bonuses" at once."""

from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty.templatetags.loyalty_tags import points_label
from tests.browser import shopper
from tests.browser.conftest import ARTIFACTS, TIMEOUT
from tests.browser.shopper import expect
from tests.checkout.flow import customer_with_points, product_priced
from tests.dashboard.helpers import user_with

pytestmark = pytest.mark.browser

CampaignRule = get_model("oscar_loyalty", "CampaignRule")


@pytest.fixture
def marketer_page(server, browser):
    """A second browser context, for the marketer, beside the shopper's page."""
    context = browser.new_context(base_url=server, locale="en", viewport={"width": 1280, "height": 1400})
    context.set_default_timeout(TIMEOUT)
    origin = urlsplit(server).netloc
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if urlsplit(route.request.url).netloc == origin else route.abort("blockedbyclient")
        ),
    )
    page = context.new_page()
    yield page
    context.close()


def test_a_marketer_creates_a_happy_hour_and_the_shopper_sees_double_bonuses(page, marketer_page, script_errors):
    customer = customer_with_points(0)  # the entry tier: 3 %
    product = product_priced("6100.00")
    marketer = user_with("manage_loyalty", first_name="Maria", last_name="Marketer")
    shopper.sign_in(page, customer)
    shopper.open_product(page, product)
    bonus = page.locator(".product_main .loyalty-bonus")
    expect(bonus).to_have_text(points_label(183))

    # The marketer: dashboard → Campaigns → the "Happy hours" template, this hour and the next.
    marketer_page.goto(reverse("loyalty-dashboard:loyalty-campaign-list"))
    marketer_page.locator("#dashboard_login_form #id_username").fill(marketer.email)
    marketer_page.locator("#dashboard_login_form #id_password").fill(shopper.PASSWORD)
    marketer_page.locator("#dashboard_login_form input[type=submit]").click()
    marketer_page.locator('#loyalty_campaign_templates a[data-template="happy_hours"]').click()
    form = marketer_page.locator("#loyalty_campaign_form")
    expect(form.locator("#id_reward")).to_have_value("multiplier")
    hour = timezone.localtime().hour
    form.locator("#id_name").fill("Lunch happy hour")
    form.locator("#id_hour_from").fill(str(hour))
    form.locator("#id_hour_to").fill(str((hour + 2) % 24))
    form.locator("button[type=submit]").click()
    expect(marketer_page.locator("#loyalty_campaign_rules")).to_contain_text("Lunch happy hour")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    marketer_page.screenshot(path=str(ARTIFACTS / "campaigns_rule_list.png"), full_page=True)
    rule = CampaignRule.objects.get()
    assert (rule.version, rule.reward, rule.value, rule.hour_from) == (1, "multiplier", 2, hour)

    # The shopper's next page view shows the doubled bonus.
    page.reload()
    expect(bonus).to_have_text(points_label(366))
    page.screenshot(path=str(ARTIFACTS / "campaigns_product_page.png"), full_page=True)
    assert script_errors == []
