"""Registrations at the same moment on PostgreSQL: row locks, not luck, decide who wins."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.codes import exceptions, services
from tests.codes import customer_request, make_batch, make_program
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PointCode = get_model("oscar_loyalty", "PointCode")
PointCodeAttempt = get_model("oscar_loyalty", "PointCodeAttempt")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")
VolumeBonus = get_model("oscar_loyalty", "VolumeBonus")


@pytest.fixture(autouse=True, params=["database functions", "python"])
def ledger_path(request, settings):
    """Both paths of the ledger's accrual."""
    settings.OSCAR_LOYALTY_DATABASE_FUNCTIONS = request.param == "database functions"


def run_in_threads(count, target):
    """Run ``target(i)`` in ``count`` threads released at the same moment; return results or exceptions."""
    barrier = threading.Barrier(count)

    def worker(i):
        try:
            barrier.wait()
            return target(i)
        except Exception as exc:  # collected and asserted on by the caller
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(worker, range(count)))


def test_the_same_code_from_two_customers_at_once_is_registered_once():
    first, second = UserFactory(), UserFactory()
    _batch, codes = make_batch(points=250)
    buyers = [first, second]

    results = run_in_threads(2, lambda i: services.register(customer_request(buyers[i]), codes[0]))

    won = [r for r in results if isinstance(r, services.Registration)]
    lost = [r for r in results if isinstance(r, exceptions.CodeAlreadyRegistered)]
    assert (len(won), len(lost)) == (1, 1), results
    winner = won[0].point_code.customer
    loser = second if winner == first else first
    assert ledger.get_balance(winner).available == 250
    assert ledger.get_balance(loser).available == 0
    assert JournalEntry.objects.filter(points=250).count() == 1
    assert sorted(PointCodeAttempt.objects.values_list("outcome", flat=True)) == sorted(
        [PointCodeAttempt.REGISTERED, PointCodeAttempt.ALREADY_REGISTERED]
    )
    assert ledger.check_accounts() == []


def test_the_same_code_from_two_sessions_of_one_customer_pays_once():
    buyer = UserFactory()
    _batch, codes = make_batch(points=250)

    results = run_in_threads(4, lambda i: services.register(customer_request(buyer, ip=f"192.0.2.{i}"), codes[0]))

    assert sum(isinstance(r, services.Registration) for r in results) == 1, results
    assert sum(isinstance(r, exceptions.CodeAlreadyRegistered) for r in results) == 3, results
    assert ledger.get_balance(buyer).available == 250


def test_codes_reaching_a_threshold_together_pay_the_bonus_once():
    buyer = UserFactory()
    program = make_program(bonus_every=3, bonus_points=1000)
    _batch, codes = make_batch(program, size=6, points=10)

    results = run_in_threads(6, lambda i: services.register(customer_request(buyer, ip=f"192.0.2.{i}"), codes[i]))

    assert all(isinstance(r, services.Registration) for r in results), results
    assert sum(r.bonus is not None for r in results) == 2
    assert sorted(VolumeBonus.objects.values_list("threshold", flat=True)) == [1, 2]
    assert ledger.get_balance(buyer).available == 6 * 10 + 2 * 1000
    assert ledger.check_accounts() == []


def test_two_customers_crossing_their_thresholds_together_each_get_theirs():
    buyers = [UserFactory(), UserFactory()]
    program = make_program(bonus_every=2, bonus_points=500)
    _batch, codes = make_batch(program, size=4, points=10)

    results = run_in_threads(4, lambda i: services.register(customer_request(buyers[i % 2]), codes[i]))

    assert all(isinstance(r, services.Registration) for r in results), results
    for buyer in buyers:
        assert ledger.get_balance(buyer).available == 2 * 10 + 500
