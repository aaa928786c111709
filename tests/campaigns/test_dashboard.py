"""Marketers build rules in the dashboard from templates, without code, and preview what a basket earns."""

from decimal import Decimal as D

import pytest
from django.urls import reverse
from oscar.core.loading import get_model
from oscar.test.factories import create_product

from oscar_loyalty.campaigns import snapshot
from oscar_loyalty.campaigns.forms import TEMPLATES
from tests.campaigns.helpers import make_rule
from tests.dashboard.helpers import user_with
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CampaignRule = get_model("oscar_loyalty", "CampaignRule")
Category = get_model("catalogue", "Category")


@pytest.fixture
def marketer(client):
    client.force_login(user_with("manage_loyalty"))
    return client


FORM = {
    "name": "Rule",
    "audience": "everyone",
    "basis": "order",
    "reward": "percent",
    "value": "5",
    "stacking": "stack",
}


def post_rule(client, url, **fields):
    data = {**FORM, "is_active": "on", **fields}
    return client.post(url, {k: v for k, v in data.items() if v is not None})


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_template_prefills_the_builder(marketer, template):
    response = marketer.get(reverse("loyalty-dashboard:loyalty-campaign-create") + f"?template={template}")
    assert response.status_code == 200
    assert response.context["form"].initial["template"] == template


def test_a_happy_hour_from_its_template_is_saved_published_and_listed(marketer):
    url = reverse("loyalty-dashboard:loyalty-campaign-create")
    response = post_rule(
        marketer,
        url,
        name="Evening",
        reward="multiplier",
        value="2",
        hour_from="18",
        hour_to="21",
        template="happy_hours",
        weekdays=["4", "5"],
        channels="web, store:12",
    )
    assert response.status_code == 302
    rule = CampaignRule.objects.get()
    assert (rule.version, rule.hour_from, rule.hour_to, rule.weekdays, rule.channels) == (
        1,
        18,
        21,
        [4, 5],
        ["store:12", "web"],
    )
    assert rule.spec["reward"] == "multiplier"
    assert [r.name for r in snapshot.cached_rules()] == ["Evening"]
    listing = marketer.get(reverse("loyalty-dashboard:loyalty-campaign-list"))
    assert "Evening" in listing.content.decode()


def test_editing_a_rule_publishes_the_next_version(marketer):
    rule = make_rule("Percent", value=5)
    response = post_rule(
        marketer, reverse("loyalty-dashboard:loyalty-campaign-update", args=[rule.pk]), name="Percent", value="7"
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.version, D(rule.spec["value"])) == (2, 7)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"basis": "lines"}, "basis", "Choose the products"),
        ({"basis": "brackets", "brackets_text": "100 seven"}, "brackets_text", "write an amount"),
        ({"basis": "nth"}, "nth_every", "every how many"),
        ({"basis": "event"}, "event", "Choose the event"),
        ({"basis": "event", "event": "code"}, "event_code", "Give the code"),
        ({"value": "0"}, "value", "above zero"),
        ({"reward": "multiplier", "value": "1"}, "value", "above 1"),
        ({"audience": "tiers"}, "tiers", "Choose the tiers"),
        ({"hour_from": "25"}, "hour_from", "from 0 to 24"),
        ({"basis": "lines", "products_text": "nope-42"}, "products_text", "No product"),
    ],
)
def test_a_rule_that_makes_no_sense_is_refused_with_a_clear_error_and_nothing_saved(marketer, fields, field, message):
    response = post_rule(marketer, reverse("loyalty-dashboard:loyalty-campaign-create"), **fields)
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert not CampaignRule.objects.exists()


def test_brackets_and_products_are_entered_as_text(marketer):
    product = create_product(price=D("100.00"), num_in_stock=3)
    post_rule(
        marketer,
        reverse("loyalty-dashboard:loyalty-campaign-create"),
        basis="brackets",
        brackets_text="500: 10\n1: 5\n100: 7%",
        spend_products_text=str(product.pk),
    )
    rule = CampaignRule.objects.get()
    assert rule.brackets == [
        {"from": "1", "percent": "5"},
        {"from": "100", "percent": "7"},
        {"from": "500", "percent": "10"},
    ]
    assert rule.spec["terms"] == {"product_ids": [product.pk]}


def test_the_preview_itemises_base_and_each_rule(marketer):
    product = create_product(price=D("6100.00"), num_in_stock=3)
    make_rule("Happy hour", reward="multiplier", value=2)
    make_rule("Fifth purchase", basis="nth", nth_every=1, reward="fixed", value=100)
    customer = UserFactory(email="anna@example.com")

    response = marketer.get(
        reverse("loyalty-dashboard:loyalty-campaign-preview"),
        {"lines": f"{product.pk} x 1", "customer": customer.email},
    )

    evaluation = response.context["result"]["evaluation"]
    assert evaluation.base == 183  # the entry tier's 3 %
    assert [(a.rule.name, a.points) for a in evaluation.awards] == [("Happy hour", 183), ("Fifth purchase", 100)]
    text = " ".join(response.content.decode().split())
    assert "base 183" in text and "Happy hour 183" in text and "Fifth purchase 100" in text


def test_the_campaigns_need_the_loyalty_managers_permission(client):
    client.force_login(user_with("view_loyalty_kpis"))
    assert client.get(reverse("loyalty-dashboard:loyalty-campaign-list")).status_code in (302, 403)
