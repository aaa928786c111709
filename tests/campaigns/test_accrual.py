"""Orders earn campaign points beside their cashback: one lot per rule, recorded with the rule and its version."""

from datetime import datetime, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone
from oscar.core.loading import get_model
from oscar.test.factories import create_product

from oscar_loyalty import ledger
from oscar_loyalty.campaigns import services as campaigns
from oscar_loyalty.earning import services
from tests.campaigns.helpers import edit_rule, make_rule
from tests.earning.factories import order_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Lot = get_model("oscar_loyalty", "Lot")
CampaignAward = get_model("oscar_loyalty", "CampaignAward")
CampaignBudget = get_model("oscar_loyalty", "CampaignBudget")
Category = get_model("catalogue", "Category")
ProductCategory = get_model("catalogue", "ProductCategory")

# The first tier earns 3 %: an order of 10,000 earns 300.
NOW = timezone.make_aware(datetime(2026, 12, 2, 14, 30))


def lots(order):
    return {lot.origin: lot for lot in Lot.objects.filter(order_number=order.number).exclude(origin=Lot.RESTORE)}


def test_a_happy_hour_doubles_the_cashback_into_a_lot_of_its_own_with_the_rule_and_channel_recorded():
    rule = make_rule("Happy hour", hour_from=14, hour_to=15, reward="multiplier", value=2)
    customer = UserFactory()
    order = order_for(customer, "10000.00")

    base = services.accrue_for_order(order, now=NOW)

    campaign = Lot.objects.get(order_number=order.number, origin=Lot.CAMPAIGN)
    assert (base.points, campaign.points) == (300, 300)
    assert base.channel == campaign.channel == "web"
    award = CampaignAward.objects.get(lot=campaign)
    assert (award.rule_id, award.rule_version, award.user_id, award.key) == (
        rule.pk,
        1,
        customer.pk,
        f"order:{order.number}:campaign:{rule.pk}",
    )
    assert campaign.available_at == base.available_at  # the shop's hold, as the cashback
    assert ledger.get_balance(customer).pending == 600


def test_outside_the_happy_hour_only_the_cashback_is_earned():
    make_rule("Happy hour", hour_from=14, hour_to=15, reward="multiplier", value=2)
    order = order_for(UserFactory(), "10000.00")
    services.accrue_for_order(order, now=NOW + timedelta(hours=1))
    assert set(lots(order)) == {Lot.ORDER}


def test_a_sale_in_a_store_records_its_channel_and_earns_only_from_rules_for_stores():
    make_rule("Web only", channels=["web"], reward="fixed", value=50)
    make_rule("Stores", channels=["store"], reward="fixed", value=70)
    order = order_for(UserFactory(), "1000.00")
    services.accrue_for_order(order, now=NOW, channel="store:12")
    campaign = Lot.objects.get(order_number=order.number, origin=Lot.CAMPAIGN)
    assert (campaign.points, campaign.channel) == (70, "store:12")
    assert Lot.objects.get(order_number=order.number, origin=Lot.ORDER).channel == "store:12"


def test_a_double_points_category_earns_double_on_its_lines_only():
    shoes = Category.add_root(name="Shoes")
    product = create_product(price=D("2000.00"), num_in_stock=5)
    ProductCategory.objects.create(product=product, category=shoes)
    make_rule("Double on shoes", basis="lines", categories=[shoes], reward="multiplier", value=2)
    order = order_for(UserFactory(), "2000.00", "1000.00", products=[product, None])

    services.accrue_for_order(order, now=NOW)

    assert lots(order)[Lot.ORDER].points == 90
    assert lots(order)[Lot.CAMPAIGN].points == 60


def test_every_fifth_purchase_over_the_minimum_earns_a_fixed_bonus():
    make_rule("5th purchase", basis="nth", nth_every=5, nth_min_amount=D("500"), reward="fixed", value=100)
    customer = UserFactory()
    earned = []
    for i in range(6):
        order = order_for(customer, "600.00" if i != 2 else "100.00")
        services.accrue_for_order(order, now=NOW + timedelta(minutes=i))
        earned.append(CampaignAward.objects.filter(order_number=order.number).count())
    # The third order (100) does not count: the fifth counting purchase is the sixth order.
    assert earned == [0, 0, 0, 0, 0, 1]


def test_amount_brackets_and_the_best_rule_wins_over_the_stacked_ones():
    make_rule(
        "Brackets",
        basis="brackets",
        stacking="best",
        brackets=[{"from": "1", "percent": "5"}, {"from": "100", "percent": "7"}, {"from": "500", "percent": "10"}],
    )
    make_rule("Small fixed", reward="fixed", value=20)
    order = order_for(UserFactory(), "600.00")
    services.accrue_for_order(order, now=NOW)
    (award,) = CampaignAward.objects.filter(order_number=order.number)
    assert (award.rule.name, award.points) == ("Brackets", 60)


def test_a_return_takes_back_campaign_points_in_the_same_proportion_and_a_cancellation_all_of_them():
    make_rule("Double", reward="multiplier", value=2)
    customer = UserFactory()
    order = order_for(customer, "10000.00")
    services.accrue_for_order(order, now=NOW)

    services.record_return(order, D("2500.00"), key="return:1", now=NOW)
    assert {origin: lot.points - lot.reversed_points for origin, lot in lots(order).items()} == {
        Lot.ORDER: 225,
        Lot.CAMPAIGN: 225,
    }
    services.reverse_for_order(order, reason="cancelled", now=NOW)
    assert {origin: lot.points - lot.reversed_points for origin, lot in lots(order).items()} == {
        Lot.ORDER: 0,
        Lot.CAMPAIGN: 0,
    }
    assert ledger.get_balance(customer).pending == 0


def test_an_order_returned_before_it_earned_earns_its_campaign_points_less_the_returned_share():
    make_rule("Double", reward="multiplier", value=2)
    order = order_for(UserFactory(), "10000.00")
    services.reverse_for_order(order, fraction=D("0.5"), key="early-return", now=NOW)
    services.accrue_for_order(order, now=NOW)
    assert {origin: lot.points - lot.reversed_points for origin, lot in lots(order).items()} == {
        Lot.ORDER: 150,
        Lot.CAMPAIGN: 150,
    }


def test_budgets_clip_the_last_award_and_then_stop_it():
    rule = make_rule("Limited", reward="fixed", value=100, budget_total=250, budget_per_customer=150)
    anna, boris = UserFactory(), UserFactory()
    given = []
    for customer in (anna, anna, boris, boris):
        order = order_for(customer, "100.00")
        services.accrue_for_order(order, now=NOW)
        given.append(sum(CampaignAward.objects.filter(order_number=order.number).values_list("points", flat=True)))
    assert given == [100, 50, 100, 0]
    assert CampaignBudget.objects.get(rule=rule).points == 250


def test_awards_per_customer_limit_the_count():
    make_rule("Once", reward="fixed", value=10, awards_per_customer=1)
    customer = UserFactory()
    for _ in range(3):
        services.accrue_for_order(order_for(customer, "100.00"), now=NOW)
    assert CampaignAward.objects.filter(user=customer).count() == 1


def test_the_award_records_the_version_it_was_computed_with():
    rule = make_rule("Percent", reward="percent", value=1)
    rule = edit_rule(rule, value=2)
    order = order_for(UserFactory(), "1000.00")
    services.accrue_for_order(order, now=NOW)
    award = CampaignAward.objects.get(order_number=order.number)
    assert (award.rule_version, award.points) == (2, 20)


def test_campaign_lots_carry_their_own_expiry_and_spend_restrictions():
    make_rule(
        "Burns at new year",
        reward="fixed",
        value=100,
        hold_days=0,
        expires_on=datetime(2027, 1, 1).date(),
        spend_max_percent=D("20"),
        spend_min_order=D("1000"),
    )
    order = order_for(UserFactory(), "500.00")
    services.accrue_for_order(order, now=NOW)
    lot = lots(order)[Lot.CAMPAIGN]
    assert lot.status == Lot.ACTIVE
    assert timezone.localtime(lot.expires_at).date() == datetime(2027, 1, 1).date()
    assert {name: D(value) for name, value in lot.spend_terms.items()} == {"max_percent": 20, "min_order": 1000}


def test_inactive_rules_and_guest_orders_earn_nothing():
    make_rule("Off", reward="fixed", value=100, is_active=False)
    order = order_for(UserFactory(), "100.00")
    services.accrue_for_order(order, now=NOW)
    assert not CampaignAward.objects.exists()


def test_accruing_twice_awards_once():
    make_rule("Fixed", reward="fixed", value=100)
    order = order_for(UserFactory(), "100.00")
    services.accrue_for_order(order, now=NOW)
    services.accrue_for_order(order, now=NOW)
    assert CampaignAward.objects.count() == 1


def test_an_event_awards_its_rules_once_per_key_with_no_hold():
    make_rule("Welcome", basis="event", event="registration", reward="fixed", value=300)
    make_rule("Code", basis="event", event="code", event_code="SPRING", reward="fixed", value=50)
    customer = UserFactory()

    (award,) = campaigns.award_event(customer, "registration", key=f"welcome:{customer.pk}", now=NOW)
    again = campaigns.award_event(customer, "registration", key=f"welcome:{customer.pk}", now=NOW)

    assert again == [award]
    assert (award.points, award.event, award.lot.status) == (300, "registration", Lot.ACTIVE)
    assert campaigns.award_event(customer, "code", key="code:1", now=NOW, context={"code": "winter"}) == []
    assert [
        a.points for a in campaigns.award_event(customer, "code", key="code:2", now=NOW, context={"code": "spring"})
    ] == [50]
    assert ledger.get_balance(customer).available == 350
    assert [rule.name for rule in campaigns.event_rules("code", code="Spring")] == ["Code"]


def test_an_unknown_event_is_refused():
    with pytest.raises(ledger.InvalidOperation):
        campaigns.award_event(UserFactory(), "anniversary", key="x")


def test_the_earn_calculator_adds_the_rules_running_now():
    from wagtail_pages import calculator

    Tier = get_model("oscar_loyalty", "Tier")
    MarginGroup = get_model("oscar_loyalty", "MarginGroup")
    tier, group = Tier.objects.get(code="gold"), MarginGroup.objects.get(is_default=True)
    assert calculator.estimate(D("6100"), tier, group).points == 305
    make_rule("Double points", reward="multiplier", value=2)
    make_rule("Silver only", audience="tiers", tiers=[Tier.objects.get(code="silver")], reward="fixed", value=1000)
    assert calculator.estimate(D("6100"), tier, group).points == 610
