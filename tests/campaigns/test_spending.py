"""Campaign lots pay only the baskets their spend restrictions allow, in the ledger and at checkout."""

from datetime import datetime, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.ledger.terms import SpendBasket, SpendLine, allowance, check_terms
from tests.checkout.flow import choose_points, customer_with_points, place_order, product_priced, reach_payment_details
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Lot = get_model("oscar_loyalty", "Lot")
Reservation = get_model("oscar_loyalty", "Reservation")
Order = get_model("order", "Order")

NOW = timezone.make_aware(datetime(2026, 12, 2, 14, 30))
BASKET = SpendBasket(
    lines=(SpendLine(D("800.00"), product_id=1, category_paths=("0001",)), SpendLine(D("200.00"), product_id=2)),
    at=NOW,
)


@pytest.fixture(autouse=True, params=["database functions", "python"])
def ledger_path(request, settings):
    settings.OSCAR_LOYALTY_DATABASE_FUNCTIONS = request.param == "database functions"


@pytest.mark.parametrize(
    ("terms", "points"),
    [
        (None, None),
        ({"max_percent": "20"}, 200),
        ({"min_order": "1000"}, 1000),
        ({"min_order": "1000.01"}, 0),
        ({"product_ids": [2]}, 200),
        ({"category_paths": ["0001"]}, 800),
        ({"category_paths": ["0001"], "max_percent": "10"}, 100),
        ({"from": NOW + timedelta(hours=1)}, 0),
        ({"until": NOW + timedelta(hours=1)}, 1000),
        ({"until": NOW}, 0),
    ],
)
def test_what_terms_allow_a_basket(terms, points):
    assert allowance(check_terms(terms), BASKET, D("1.00")) == points


def test_terms_that_make_no_sense_are_refused():
    for terms in ({"max_percent": "120"}, {"colour": "red"}, {"from": "not a date"}, {"min_order": "-1"}):
        with pytest.raises(ledger.InvalidOperation):
            check_terms(terms)


def restricted(user, points, terms, key="campaign"):
    return ledger.accrue(
        user, points, key=f"{key}:{user.pk}", reason="Campaign", hold_days=0, spend_terms=terms, now=NOW
    )


def test_a_restricted_lot_pays_only_its_share_and_the_rest_comes_from_plain_lots():
    user = UserFactory()
    capped = restricted(user, 500, {"max_percent": "20"})
    ledger.accrue(user, 100, key="plain", reason="Gift", hold_days=0, expires_in_days=400, now=NOW)

    reservation = ledger.reserve(user, 300, key="r1", order_number="100001", basket=BASKET, now=NOW)

    taken = dict(reservation.allocations.values_list("lot_id", "points"))
    assert taken[capped.pk] == 200
    assert sum(taken.values()) == 300
    assert ledger.check_accounts() == []


def test_lots_with_the_same_terms_share_one_cap():
    user = UserFactory()
    restricted(user, 150, {"max_percent": "20"}, key="first")
    restricted(user, 150, {"max_percent": "20"}, key="second")
    with pytest.raises(ledger.InsufficientPoints) as refused:
        ledger.reserve(user, 201, key="r1", order_number="100001", basket=BASKET, now=NOW)
    assert refused.value.available == 200
    assert ledger.reserve(user, 200, key="r2", order_number="100002", basket=BASKET, now=NOW).points == 200


def test_without_a_basket_a_restricted_lot_pays_nothing_and_refusing_changes_nothing():
    user = UserFactory()
    restricted(user, 500, {"min_order": "100"})
    with pytest.raises(ledger.InsufficientPoints):
        ledger.redeem(user, 10, key="r1", order_number="100001", now=NOW)
    assert ledger.get_balance(user, now=NOW).available == 500
    assert not Reservation.objects.exists()


def test_a_lot_restricted_to_other_goods_is_skipped():
    user = UserFactory()
    restricted(user, 500, {"product_ids": [99]})
    with pytest.raises(ledger.InsufficientPoints):
        ledger.reserve(user, 10, key="r1", order_number="100001", basket=BASKET, now=NOW)


def test_plain_accounts_spend_as_before():
    user = UserFactory()
    ledger.accrue(user, 100, key="plain", reason="Gift", hold_days=0, now=NOW)
    assert ledger.reserve(user, 100, key="r1", order_number="100001", basket=BASKET, now=NOW).points == 100


def test_checkout_offers_only_what_the_campaign_lot_may_pay_and_takes_it(client):
    user = customer_with_points(0)
    ledger.accrue(user, 500, key="campaign", reason="Campaign", hold_days=0, spend_terms={"max_percent": "10"})
    page = reach_payment_details(client, user, product_priced("1000.00"))

    assert page.context["loyalty"]["max_points"] == 100  # 10 % of 1,000 of the 500 available
    refused = choose_points(client, "150")
    assert "You can use at most 100 points on this order." in refused.content.decode()

    choose_points(client, "100")
    placed = place_order(client)

    assert placed.status_code == 302
    assert Reservation.objects.get(status=Reservation.CAPTURED).points == 100
    assert ledger.get_balance(user).available == 400


def test_plain_points_beside_a_campaign_lot_count_in_full(client):
    user = customer_with_points(300)
    ledger.accrue(user, 500, key="campaign", reason="Campaign", hold_days=0, spend_terms={"product_ids": [0]})
    page = reach_payment_details(client, user, product_priced("10000.00"))
    assert page.context["loyalty"]["available"] == 800
    assert page.context["loyalty"]["max_points"] == 300  # the campaign lot pays only for another product


def test_what_the_campaign_lot_allowed_when_chosen_is_checked_again_when_the_order_is_placed(client):
    user = customer_with_points(0)
    ledger.accrue(user, 500, key="campaign", reason="Campaign", hold_days=0, spend_terms={"max_percent": "10"})
    reach_payment_details(client, user, product_priced("1000.00"))
    choose_points(client, "100")
    # Meanwhile most of the lot pays for another order, elsewhere.
    elsewhere = SpendBasket(lines=(SpendLine(D("4500.00"), product_id=9),), at=timezone.now())
    ledger.redeem(user, 450, key="elsewhere", order_number="ELSEWHERE-1", basket=elsewhere)

    refused = place_order(client)

    assert refused.status_code == 200
    assert "You have only 50 points available." in refused.content.decode()
    assert not Order.objects.exists()
    assert not Reservation.objects.filter(status=Reservation.HELD).exists()
