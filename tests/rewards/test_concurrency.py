"""Customers after the same reward at the same moment, on PostgreSQL: the reward's row lock decides, not luck."""

import pytest
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.rewards import services
from oscar_loyalty.rewards.exceptions import OutOfStock
from tests.rewards.conftest import customer_with_points, make_reward
from tests.test_concurrency import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RewardOrder = get_model("oscar_loyalty", "RewardOrder")
Reservation = get_model("oscar_loyalty", "Reservation")

DELIVERY = services.Delivery(name="Anna Petrova", phone="+79161234567", address="Moscow, Tverskaya 1")


@pytest.fixture(autouse=True, params=["database functions", "python"])
def ledger_path(request, settings):
    """Both paths of the ledger's hot operations."""
    settings.OSCAR_LOYALTY_DATABASE_FUNCTIONS = request.param == "database functions"
    return request.param


def test_two_customers_claim_the_last_item_at_once_and_exactly_one_gets_it():
    reward = make_reward(stock=1, points=500)
    customers = [customer_with_points(1000), customer_with_points(1000)]

    results = run_in_threads(
        2, lambda i: services.redeem(customers[i].pk, reward.pk, key=f"last-item-{i}-key", delivery=DELIVERY)
    )

    won = [r for r in results if isinstance(r, RewardOrder)]
    lost = [r for r in results if isinstance(r, OutOfStock)]
    assert len(won) == 1 and len(lost) == 1, results
    assert "run out" in str(lost[0]) and "not been spent" in str(lost[0])
    reward.refresh_from_db()
    assert reward.stock == 0
    winner = customers[results.index(won[0])]
    loser = customers[results.index(lost[0])]
    assert ledger.get_balance(winner).available == 500
    assert ledger.get_balance(loser).available == 1000
    assert not Reservation.objects.filter(account__user=loser).exists()
    assert ledger.check_accounts() == []


def test_many_customers_after_a_few_items_take_exactly_the_stock():
    reward = make_reward(stock=3, points=100)
    customers = [customer_with_points(300) for _i in range(8)]

    results = run_in_threads(
        8, lambda i: services.redeem(customers[i].pk, reward.pk, key=f"rush-{i}-key-x", delivery=DELIVERY)
    )

    assert sum(isinstance(r, RewardOrder) for r in results) == 3
    assert sum(isinstance(r, OutOfStock) for r in results) == 5
    reward.refresh_from_db()
    assert reward.stock == 0
    assert RewardOrder.objects.count() == 3
    assert ledger.check_accounts() == []


def test_a_form_sent_twice_at_once_redeems_once():
    reward = make_reward(stock=5, points=400)
    customer = customer_with_points(1000)

    results = run_in_threads(
        4, lambda i: services.redeem(customer.pk, reward.pk, key="double-click-key", delivery=DELIVERY)
    )

    assert all(isinstance(r, RewardOrder) for r in results), results
    assert len({r.pk for r in results}) == 1
    reward.refresh_from_db()
    assert reward.stock == 4
    assert ledger.get_balance(customer, now=timezone.now()).available == 600


def test_cancelling_while_the_customer_redeems_again_does_not_deadlock():
    reward = make_reward(stock=2, points=300)
    customer = customer_with_points(1000)
    first = services.redeem(customer, reward, key="first-redeem", delivery=DELIVERY)

    def act(i):
        if i == 0:
            return services.cancel(first.pk, reason="Changed my mind")
        return services.redeem(customer.pk, reward.pk, key="second-redeem", delivery=DELIVERY)

    results = run_in_threads(2, act)

    assert not any(isinstance(r, Exception) for r in results), results
    reward.refresh_from_db()
    assert reward.stock == 1
    assert ledger.get_balance(customer).available == 700
    assert ledger.check_accounts() == []
