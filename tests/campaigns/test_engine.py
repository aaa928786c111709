"""The rule engine as a table: plain occasions, customers and rules in, points out (no database)."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from oscar_loyalty.campaigns.engine import Customer, Line, Occasion, Rule, days_from_birthday, evaluate, rule_points

# A Wednesday, 14:30.
NOON = datetime(2026, 12, 2, 14, 30, tzinfo=UTC)


def line(amount, base, **facts):
    return Line(reference=str(amount), amount=D(amount), base_points=base, **facts)


def rule(**fields):
    fields.setdefault("id", 1)
    fields.setdefault("version", 1)
    fields.setdefault("name", "rule")
    fields["value"] = D(str(fields.get("value", 0)))
    return Rule(**fields)


BASKET = (
    line("1000.00", 30, product_id=1, class_id=7, category_paths=("0001", "00020001"), margin_group_id=3),
    line("500.00", 15, product_id=2, class_id=8, category_paths=("0003",)),
)


@pytest.mark.parametrize(
    ("description", "given", "points"),
    [
        ("5 % of the whole order", rule(reward="percent", value=5), 75),
        ("double points adds the base once more", rule(reward="multiplier", value=2), 45),
        ("x1.5 adds half the base", rule(reward="multiplier", value="1.5"), 22),
        ("a fixed 100 points per order", rule(reward="fixed", value=100), 100),
        ("lines of a product", rule(basis="lines", product_ids=frozenset({2}), value=10), 50),
        (
            "lines of a category, its subcategories included",
            rule(basis="lines", category_paths=("0002",), value=10),
            100,
        ),
        ("lines of a product class", rule(basis="lines", class_ids=frozenset({8}), value=10), 50),
        ("lines of a margin group", rule(basis="lines", margin_group_ids=frozenset({3}), value=10), 100),
        ("lines matching nothing", rule(basis="lines", product_ids=frozenset({99}), value=10), 0),
        (
            "the 1,500 order falls in the 500+ bracket",
            rule(basis="brackets", brackets=((D(0), D(5)), (D(100), D(7)), (D(500), D(10)))),
            150,
        ),
        ("only on Mondays", rule(weekdays=frozenset({0}), value=5), 0),
        ("on Wednesdays", rule(weekdays=frozenset({2}), value=5), 75),
        ("happy hours 14-16", rule(hour_from=14, hour_to=16, value=5), 75),
        ("hours 15-16 have not begun", rule(hour_from=15, hour_to=16, value=5), 0),
        ("a night window wrapping midnight", rule(hour_from=22, hour_to=3, value=5), 0),
        ("before it starts", rule(starts_at=datetime(2026, 12, 3, tzinfo=UTC), value=5), 0),
        ("after it ends", rule(ends_at=datetime(2026, 12, 2, 14, 0, tzinfo=UTC), value=5), 0),
        ("in the web shop only", rule(channels=frozenset({"web"}), value=5), 75),
        ("in stores only", rule(channels=frozenset({"store"}), value=5), 0),
        ("an event rule ignores orders", rule(basis="event", event="registration", reward="fixed", value=100), 0),
    ],
)
def test_a_rule_gives_what_its_conditions_and_basis_say(description, given, points):
    occasion = Occasion(at=NOON, lines=BASKET, channel="web")
    assert rule_points(given, occasion, Customer(user_id=1)) == points, description


def test_brackets_pick_the_highest_bracket_reached():
    brackets = ((D(1), D(5)), (D(100), D(7)), (D(500), D(10)))
    bracketed = rule(basis="brackets", brackets=brackets)
    for amount, points in [("50.00", 2), ("100.00", 7), ("499.99", 34), ("500.00", 50), ("0.50", 0)]:
        occasion = Occasion(at=NOON, lines=(line(amount, 0),))
        assert rule_points(bracketed, occasion) == points, amount


def test_every_fifth_purchase_over_the_minimum_earns_and_smaller_ones_do_not_count():
    fifth = rule(basis="nth", nth_every=5, nth_min_amount=D("1000"), reward="fixed", value=100)
    big, small = (date(2026, 1, 1), D("1500")), (date(2026, 1, 2), D("300"))
    order = Occasion(at=NOON, lines=BASKET)  # 1,500

    assert rule_points(fifth, order, Customer(user_id=1, purchases=(big,) * 4)) == 100
    assert rule_points(fifth, order, Customer(user_id=1, purchases=(big,) * 3 + (small,) * 5)) == 0
    assert rule_points(fifth, order, Customer(user_id=1, purchases=(big,) * 9)) == 100
    too_small = Occasion(at=NOON, lines=(line("999.99", 29),))
    assert rule_points(fifth, too_small, Customer(user_id=1, purchases=(big,) * 4)) == 0


@pytest.mark.parametrize(
    ("audience", "extra", "customer", "applies"),
    [
        ("tiers", {"tier_ids": frozenset({2})}, Customer(user_id=1, tier_id=2), True),
        ("tiers", {"tier_ids": frozenset({2})}, Customer(user_id=1, tier_id=1), False),
        ("tiers", {"tier_ids": frozenset({2})}, Customer(), False),
        ("segments", {"segment_ids": frozenset({5, 6})}, Customer(user_id=1, segment_ids=frozenset({6})), True),
        ("segments", {"segment_ids": frozenset({5})}, Customer(user_id=1, segment_ids=frozenset({6})), False),
        (
            "registered",
            {"audience_from": date(2026, 11, 1)},
            Customer(user_id=1, registered_on=date(2026, 11, 5)),
            True,
        ),
        (
            "registered",
            {"audience_from": date(2026, 11, 1)},
            Customer(user_id=1, registered_on=date(2026, 10, 5)),
            False,
        ),
        (
            "purchased",
            {"audience_from": date(2026, 6, 1), "audience_to": date(2026, 6, 30)},
            Customer(user_id=1, purchases=((date(2026, 6, 30), D("10")),)),
            True,
        ),
        (
            "purchased",
            {"audience_from": date(2026, 6, 1), "audience_to": date(2026, 6, 30)},
            Customer(user_id=1, purchases=((date(2026, 7, 1), D("10")),)),
            False,
        ),
    ],
)
def test_who_may_earn(audience, extra, customer, applies):
    given = rule(audience=audience, value=5, **extra)
    assert (rule_points(given, Occasion(at=NOON, lines=BASKET), customer) > 0) is applies


def test_birthday_rules_count_days_to_the_nearest_anniversary_across_the_new_year():
    around = rule(birthday_days=3, reward="multiplier", value=2)
    occasion = Occasion(at=NOON, lines=BASKET)
    assert rule_points(around, occasion, Customer(user_id=1, birthday=date(1990, 12, 5))) == 45
    assert rule_points(around, occasion, Customer(user_id=1, birthday=date(1990, 12, 6))) == 0
    assert rule_points(around, occasion, Customer(user_id=1)) == 0
    assert days_from_birthday(date(1990, 1, 1), date(2026, 12, 30)) == 2
    assert days_from_birthday(date(2000, 2, 29), date(2027, 2, 28)) == 0


def test_stacking_rules_add_up_and_the_best_rule_wins_only_over_their_sum():
    happy = rule(id=1, hour_from=14, hour_to=15, reward="multiplier", value=2)  # +45
    fixed = rule(id=2, reward="fixed", value=10)  # +10
    occasion = Occasion(at=NOON, lines=BASKET)

    stacked = evaluate([happy, fixed], occasion)
    assert (stacked.base, stacked.bonus, stacked.total) == (45, 55, 100)

    best_small = rule(id=3, stacking="best", reward="fixed", value=50)
    assert [a.rule.id for a in evaluate([happy, fixed, best_small], occasion).awards] == [1, 2]
    best_big = rule(id=4, stacking="best", reward="percent", value=10)  # 150
    assert [(a.rule.id, a.points) for a in evaluate([happy, fixed, best_small, best_big], occasion).awards] == [
        (4, 150)
    ]


def test_promo_lines_earn_no_campaign_points_and_product_cards_show_only_per_product_rules():
    promo = Occasion(at=NOON, lines=(line("1000.00", 0, earns=False),))
    assert rule_points(rule(value=5), promo) == 0
    card = Occasion(at=NOON, lines=(line("1000.00", 30),), per_product=True)
    assert rule_points(rule(reward="multiplier", value=2), card) == 30
    assert rule_points(rule(reward="fixed", value=100), card) == 0
    assert rule_points(rule(basis="nth", nth_every=1, reward="percent", value=5), card) == 0


def test_event_rules_match_their_event_and_code_case_insensitively():
    welcome = rule(basis="event", event="registration", reward="fixed", value=300)
    code = rule(basis="event", event="code", event_code="SPRING", reward="fixed", value=50)
    assert rule_points(welcome, Occasion(at=NOON, event="registration")) == 300
    assert rule_points(welcome, Occasion(at=NOON, event="birthday")) == 0
    assert rule_points(code, Occasion(at=NOON, event="code", code=" spring ")) == 50
    assert rule_points(code, Occasion(at=NOON, event="code", code="summer")) == 0


@pytest.mark.parametrize(("age", "points"), [(None, 0), (-1, 0), (0, 50), (30, 50), (31, 0)])
def test_a_friends_purchase_pays_a_share_only_within_the_days_after_the_friend_joined(age, points):
    share = rule(basis="event", event="friend_purchase", event_days=30, reward="percent", value=5)
    order = (line("1000.00", 0),)
    occasion = Occasion(at=NOON, event="friend_purchase", lines=order, event_age_days=age)
    assert rule_points(share, occasion) == points


def test_a_friends_purchase_rule_without_a_period_pays_on_every_order():
    share = rule(basis="event", event="friend_purchase", reward="percent", value=5)
    occasion = Occasion(at=NOON, event="friend_purchase", lines=(line("1000.00", 0),), event_age_days=400)
    assert rule_points(share, occasion) == 50
