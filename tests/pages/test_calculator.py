"""The earn calculator gives the figure the shop shows next to its prices, and refuses bad input."""

import pytest
from django.utils import translation

from tests.display.conftest import customer_at, product_priced
from tests.display.html import shown_bonuses
from tests.pages.conftest import block, css, text_of, tree

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(make_page):
    return make_page([block("calculator", heading="How many bonuses will I earn?")])


def calculate(client, page, **params):
    return client.get(page.calculator_url(), params)


@pytest.mark.parametrize(
    ("price", "tier", "group"),
    [
        ("6100.00", "silver", "standard"),
        ("6100.00", "gold", "standard"),
        ("6100.00", "gold", "low"),
        ("6100.00", "gold", "high"),
        ("6190.00", "vip", "standard"),
        ("12345.67", "platinum", "low"),
        ("99.99", "silver", "high"),
        ("33.00", "silver", "low"),  # floor(0.495): nothing
    ],
)
def test_the_calculator_gives_the_product_pages_figure(client, rules, price, tier, group):
    product = product_priced(price, margin=group)
    client.force_login(customer_at(tier))
    shown = shown_bonuses(client.get(product.get_absolute_url()))

    answer = calculate(client, rules, amount=price, tier=tier, group=group).json()

    assert shown == ([f"+{answer['points']} bonuses"] if answer["points"] else [])
    assert answer["tier"] == tier and answer["group"] == group and answer["amount"] == price


def test_the_figures_of_the_default_program(client, rules):
    # 6,100 at Gold (5%): 305; at VIP in the high-margin group (10% × 2): 1,220.
    assert calculate(client, rules, amount="6100", tier="gold", group="standard").json()["points"] == 305
    assert calculate(client, rules, amount="6100", tier="vip", group="high").json()["points"] == 1220
    assert calculate(client, rules, amount="6100", tier="gold", group="low").json()["points"] == 152


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"amount": "", "tier": "gold", "group": "standard"}, "amount", "Enter the purchase amount."),
        ({"tier": "gold", "group": "standard"}, "amount", "Enter the purchase amount."),
        ({"amount": "abc", "tier": "gold", "group": "standard"}, "amount", "Enter the purchase amount as a number"),
        ({"amount": "NaN", "tier": "gold", "group": "standard"}, "amount", "Enter the purchase amount as a number"),
        ({"amount": "Infinity", "tier": "gold", "group": "standard"}, "amount", "Enter the purchase amount as a"),
        ({"amount": "0", "tier": "gold", "group": "standard"}, "amount", "greater than or equal to 0.01"),
        ({"amount": "-6100", "tier": "gold", "group": "standard"}, "amount", "greater than or equal to 0.01"),
        ({"amount": "6100.505", "tier": "gold", "group": "standard"}, "amount", "no more than 2 decimal places"),
        ({"amount": "10000000000", "tier": "gold", "group": "standard"}, "amount", "less than or equal to"),
        ({"amount": "6100", "tier": "diamond", "group": "standard"}, "tier", "Choose one of the tiers."),
        ({"amount": "6100", "group": "standard"}, "tier", "This field is required."),
        ({"amount": "6100", "tier": "gold", "group": "luxury"}, "group", "Choose one of the product groups."),
    ],
)
def test_bad_input_gets_a_clear_error(client, rules, params, field, message):
    response = client.get(rules.calculator_url(), params)

    assert response.status_code == 400
    answer = response.json()
    assert "points" not in answer
    assert any(message in error for error in answer["errors"][field])
    assert message in answer["html"]


def test_people_type_amounts_their_way(client, rules):
    assert calculate(client, rules, amount=" 6 100 ", tier="gold", group="standard").json()["points"] == 305
    with translation.override("ru"):
        answer = client.get(
            rules.calculator_url(),
            {"amount": "6\u00a0100,50", "tier": "gold", "group": "standard"},
            HTTP_ACCEPT_LANGUAGE="ru",
        )
    assert answer.json()["points"] == 305
    assert answer.json()["amount"] == "6100.50"


def test_without_javascript_the_page_itself_answers(client, rules):
    page = tree(client.get("/rules/", {"amount": "6100", "tier": "gold", "group": "standard"}))

    result = css(page, ".loyalty-calculator-result [data-points]")[0]
    assert result.get("data-points") == "305"
    assert text_of(css(page, ".loyalty-calculator-points")[0]) == "305 bonuses"
    # The form keeps what was entered.
    assert css(page, "#id_amount")[0].get("value") == "6100"
    assert css(page, "#id_tier option[selected]")[0].get("value") == "gold"


def test_without_javascript_bad_input_shows_the_error_on_the_page(client, rules):
    page = tree(client.get("/rules/", {"amount": "six thousand", "tier": "gold", "group": "standard"}))

    assert "Enter the purchase amount as a number" in text_of(css(page, ".loyalty-calculator-result")[0])
    assert "is-invalid" in css(page, "#id_amount")[0].get("class")
    assert not css(page, "[data-points]")


def test_the_form_starts_at_the_visitors_tier(client, rules):
    # A visitor sees the best tier, as next to the shop's prices ("up to"); a customer their own.
    page = tree(client.get("/rules/"))
    assert css(page, "#id_tier option[selected]")[0].get("value") == "vip"
    assert css(page, "#id_group option[selected]")[0].get("value") == "standard"
    assert not css(page, ".loyalty-calculator-result *")

    client.force_login(customer_at("platinum"))
    assert css(tree(client.get("/rules/")), "#id_tier option[selected]")[0].get("value") == "platinum"


def test_the_calculator_follows_a_changed_tier(client, rules):
    from oscar.core.loading import get_model

    gold = get_model("oscar_loyalty", "Tier").objects.get(code="gold")
    gold.cashback_percent = 6
    gold.save()

    assert calculate(client, rules, amount="6100", tier="gold", group="standard").json()["points"] == 366
