"""Budgets hold and rules stay whole while many orders accrue at once (PostgreSQL, real transactions)."""

import threading
from datetime import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Sum
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty.campaigns import snapshot
from oscar_loyalty.earning import services
from tests.campaigns.helpers import edit_rule, make_rule
from tests.earning.factories import order_for
from tests.factories import UserFactory
from tests.test_concurrency import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CampaignAward = get_model("oscar_loyalty", "CampaignAward")
CampaignBudget = get_model("oscar_loyalty", "CampaignBudget")
Lot = get_model("oscar_loyalty", "Lot")
Tier = get_model("oscar_loyalty", "Tier")

NOW = timezone.make_aware(datetime(2026, 12, 2, 14, 30))


@pytest.fixture(autouse=True, params=["database functions", "python"])
def ledger_path(request, settings):
    settings.OSCAR_LOYALTY_DATABASE_FUNCTIONS = request.param == "database functions"


@pytest.fixture(autouse=True)
def first_tier():
    # A transactional test's flush takes the migrations' tiers with it.
    Tier.objects.get_or_create(
        code="silver", defaults={"name": "Silver", "threshold": 0, "cashback_percent": 3, "max_share_percent": 30}
    )
    cache.clear()


def test_twenty_orders_at_once_never_give_more_than_the_total_budget():
    rule = make_rule("Limited", reward="fixed", value=70, budget_total=500)
    orders = [order_for(UserFactory(), "100.00") for _ in range(20)]

    results = run_in_threads(20, lambda i: services.accrue_for_order(orders[i], now=NOW))

    assert [r for r in results if isinstance(r, Exception)] == []
    given = CampaignAward.objects.filter(rule=rule).aggregate(points=Sum("points"))["points"]
    assert given == 500  # seven awards of 70 and one clipped to 10
    assert CampaignBudget.objects.get(rule=rule).points == 500
    assert Lot.objects.filter(origin=Lot.CAMPAIGN).aggregate(points=Sum("points"))["points"] == 500


def test_one_customers_orders_at_once_never_exceed_the_per_customer_budget():
    rule = make_rule("Per customer", reward="fixed", value=40, budget_per_customer=100)
    customer = UserFactory()
    orders = [order_for(customer, "100.00") for _ in range(8)]

    results = run_in_threads(8, lambda i: services.accrue_for_order(orders[i], now=NOW))

    assert [r for r in results if isinstance(r, Exception)] == []
    assert CampaignAward.objects.filter(rule=rule, user=customer).aggregate(points=Sum("points"))["points"] == 100


def test_a_rule_edited_while_an_order_accrues_is_used_in_the_version_the_accrual_read(monkeypatch):
    rule = make_rule("Percent", reward="percent", value=1)
    first, second = order_for(UserFactory(), "1000.00"), order_for(UserFactory(), "1000.00")
    read, edited = threading.Event(), threading.Event()
    original = snapshot.current_rules

    def read_then_wait():
        rules = original()
        if threading.current_thread() is not threading.main_thread() and not read.is_set():
            read.set()
            assert edited.wait(30)
        return rules

    monkeypatch.setattr(snapshot, "current_rules", read_then_wait)

    def accrue_first():
        try:
            return services.accrue_for_order(first, now=NOW)
        finally:
            connection.close()

    worker = threading.Thread(target=accrue_first)
    worker.start()
    assert read.wait(30)
    edit_rule(rule, value=5)  # committed while the first accrual holds version 1
    edited.set()
    worker.join(30)
    services.accrue_for_order(second, now=NOW)

    assert CampaignAward.objects.get(order_number=first.number).rule_version == 1
    assert CampaignAward.objects.get(order_number=first.number).points == 10
    assert CampaignAward.objects.get(order_number=second.number).rule_version == 2
    assert CampaignAward.objects.get(order_number=second.number).points == 50
