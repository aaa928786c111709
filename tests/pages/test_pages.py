"""The program's pages: inside the shop's layout, with a tier table that follows the tiers live."""

from decimal import Decimal as D

import pytest
from django.urls import reverse
from oscar.core.loading import get_model
from wagtail.models import Locale

from tests.factories import UserFactory
from tests.pages.conftest import block, css, text_of, tree
from wagtail_pages import dashboard
from wagtail_pages.models import ProgramLandingPage, ProgramRulesPage, ProgramTexts

pytestmark = pytest.mark.django_db

Tier = get_model("oscar_loyalty", "Tier")


def tier_rows(response):
    """{tier name: [threshold, cashback, share payable with points]} as the table shows them."""
    rows = css(tree(response), "table.loyalty-tier-table tbody tr")
    return {text_of(css(row, "th")[0]): [text_of(cell) for cell in css(row, "td")] for row in rows}


def test_a_rules_page_renders_inside_the_shops_layout(client, landing, make_page):
    rules = make_page(
        [
            block("text", html="<h2>1. Membership</h2><p>Every customer is a member.</p>"),
            block(
                "steps",
                heading="How it works",
                steps=[{"title": "Sign up", "text": "<p>An account.</p>"}, {"title": "Shop", "text": ""}],
            ),
            block(
                "faq", heading="Questions", questions=[{"question": "What does it cost?", "answer": "<p>Nothing.</p>"}]
            ),
        ],
        parent=landing,
    )

    response = client.get("/loyalty/rules/")

    assert rules.url == "/loyalty/rules/"
    page = tree(response)
    # Oscar's layout: the account links, the header with the mini-basket, the primary navigation.
    assert css(page, "nav#top_page")
    assert css(page, "header.header .basket-mini")
    assert css(page, "header.header #navbarSupportedContent")
    assert text_of(css(page, ".page-header h1")[0]) == "Program rules"
    assert [text_of(a) for a in css(page, ".breadcrumb a")] == ["Home", "Bonus program"]
    content = css(page, "#content_inner")[0]
    assert text_of(css(content, "h2")[0]) == "1. Membership"
    assert [text_of(h) for h in css(content, ".loyalty-steps h3")] == ["Sign up", "Shop"]
    assert [text_of(dt) for dt in css(content, ".loyalty-faq dt")] == ["What does it cost?"]
    assert text_of(css(content, ".loyalty-faq dd")[0]) == "Nothing."


def test_wagtail_serves_only_what_oscar_and_the_loyalty_app_leave(client, landing):
    assert client.get("/loyalty/").status_code == 200
    # Oscar's and the loyalty app's own pages keep their URLs.
    assert client.get("/loyalty/my-bonuses/").status_code == 302  # to the login page
    assert client.get(reverse("basket:summary")).status_code == 200
    assert client.get("/no-such-page/").status_code == 404


def test_the_tier_table_shows_the_programs_tiers(client, make_page):
    make_page([block("tier_table", heading="Tiers")])

    rows = tier_rows(client.get("/rules/"))

    assert list(rows) == ["Silver", "Gold", "Platinum", "VIP"]
    assert rows["Silver"][1:] == ["3%", "20% of an order"]
    assert rows["Gold"][1:] == ["5%", "30% of an order"]
    assert rows["VIP"][1:] == ["10%", "50% of an order"]
    assert "30,000.00" in rows["Gold"][0]


def test_a_changed_tier_shows_on_the_page_without_editing_it(client, make_page):
    page = make_page([block("tier_table", heading="Tiers")])
    revisions = page.revisions.count()
    assert tier_rows(client.get("/rules/"))["Gold"][1] == "5%"

    gold = Tier.objects.get(code="gold")
    gold.cashback_percent = D("6.5")
    gold.max_share_percent = D("35")
    gold.threshold = D("25000")
    gold.save()
    Tier.objects.create(
        code="diamond",
        name="Diamond",
        threshold=D("500000"),
        cashback_percent=D("12"),
        max_share_percent=D("60"),
        sort_order=9,
    )

    rows = tier_rows(client.get("/rules/"))
    assert rows["Gold"][1:] == ["6.50%", "35% of an order"]
    assert "25,000.00" in rows["Gold"][0]
    assert list(rows)[-1] == "Diamond"
    assert page.revisions.count() == revisions


def test_the_call_to_action_invites_visitors_and_sends_customers_to_their_bonuses(client, make_page):
    make_page([block("call_to_action", heading="Join", signup_label="", member_label="")])

    visitor = css(tree(client.get("/rules/")), ".loyalty-cta a.btn")[0]
    assert visitor.get("data-cta") == "signup"
    assert visitor.get("href").startswith(reverse("customer:register") + "?next=/rules/")
    assert text_of(visitor) == "Join the program"

    client.force_login(UserFactory())
    member = css(tree(client.get("/rules/")), ".loyalty-cta a.btn")[0]
    assert member.get("data-cta") == "member"
    assert member.get("href") == reverse("loyalty:bonuses")
    assert text_of(member) == "My bonuses"


def test_the_call_to_action_uses_the_editors_labels(client, make_page):
    make_page([block("call_to_action", heading="Join", signup_label="Get bonuses", member_label="See my bonuses")])

    assert text_of(css(tree(client.get("/rules/")), ".loyalty-cta a.btn")[0]) == "Get bonuses"
    client.force_login(UserFactory())
    assert text_of(css(tree(client.get("/rules/")), ".loyalty-cta a.btn")[0]) == "See my bonuses"


def test_the_pages_can_be_created_where_editors_put_them(home):
    assert ProgramLandingPage.can_create_at(home)
    assert ProgramRulesPage.can_create_at(home)


def test_staff_reach_wagtails_admin_from_oscars_dashboard(client, settings):
    settings.OSCAR_DASHBOARD_NAVIGATION = [*settings.OSCAR_DASHBOARD_NAVIGATION, dashboard.NAVIGATION_ENTRY]
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)

    page = tree(client.get(reverse("dashboard:index")))

    links = {text_of(a): a.get("href") for a in css(page, "nav a, .navbar a")}
    assert links["Program pages"] == reverse("wagtailadmin_home")
    assert client.get(reverse("wagtailadmin_home")).status_code == 200


def test_only_staff_who_may_use_wagtail_see_the_link():
    assert not dashboard.can_edit_pages(UserFactory())
    assert not dashboard.can_edit_pages(UserFactory(is_staff=True))
    assert dashboard.can_edit_pages(UserFactory(is_staff=True, is_superuser=True))
    assert not dashboard.can_edit_pages(UserFactory(is_staff=True, is_superuser=True, is_active=False))


def test_program_texts_name_the_points(client, make_page):
    ProgramTexts.objects.create(
        locale=Locale.get_default(),
        program_name="Velo Bonus",
        point_name_one="velo point",
        point_name_many="velo points",
    )
    make_page([block("calculator", heading="Calculator")])

    result = tree(client.get("/rules/", {"amount": "6100", "tier": "gold", "group": "standard"}))

    assert text_of(result.find(".//title")).startswith("Program rules | Velo Bonus |")
    assert text_of(css(result, ".loyalty-calculator-points")[0]) == "305 velo points"


def test_without_program_texts_the_translation_catalogs_name_them(client, make_page):
    make_page([block("calculator", heading="Calculator")])

    result = tree(client.get("/rules/", {"amount": "20", "tier": "vip", "group": "low"}))

    assert text_of(result.find(".//title")).startswith("Program rules | Loyalty program |")
    assert text_of(css(result, ".loyalty-calculator-points")[0]) == "1 bonus"
