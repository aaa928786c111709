"""Refer a friend and the birthday bonus under concurrency, on PostgreSQL: locks, not luck."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.referrals import receivers, services
from oscar_loyalty.segments import birthdays
from oscar_loyalty.segments import services as segments
from tests.factories import UserFactory
from tests.referrals.helpers import event_rules

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

Referral = get_model("oscar_loyalty", "Referral")
QualifyingPurchase = get_model("oscar_loyalty", "QualifyingPurchase")
Lot = get_model("oscar_loyalty", "Lot")


@pytest.fixture(autouse=True)
def rules():
    return event_rules(referred=200, referral=500, birthday=300)


def run_in_threads(count, target):
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


def test_two_customers_entering_each_others_codes_at_once_never_make_a_loop():
    anna, boris = UserFactory(), UserFactory()
    codes = [services.code_for(anna).code, services.code_for(boris).code]
    people = [boris, anna]  # boris enters anna's code, anna enters boris's

    results = run_in_threads(
        2, lambda i: services.join(people[i], codes[i], channel=Referral.CODE, entered_after_signup=True)
    )

    refused = [r for r in results if isinstance(r, services.ReferralRefused)]
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, services.ReferralRefused)]
    assert unexpected == []
    assert len(refused) == 1
    assert Referral.objects.count() == 1


def test_a_cycle_closed_by_two_joins_far_apart_at_once_is_refused():
    # anna → boris and clara → dmitry exist; at once, clara enters boris's code and anna enters dmitry's:
    # the two joins share no customer, and together would close anna → boris → clara → dmitry → anna.
    anna, boris, clara, dmitry = (UserFactory() for _i in range(4))
    services.join(boris, services.code_for(anna).code, channel=Referral.LINK)
    services.join(dmitry, services.code_for(clara).code, channel=Referral.LINK)
    joins = [(clara, services.code_for(boris).code), (anna, services.code_for(dmitry).code)]

    results = run_in_threads(
        2, lambda i: services.join(joins[i][0], joins[i][1], channel=Referral.CODE, entered_after_signup=True)
    )

    assert sum(isinstance(r, services.ReferralRefused) for r in results) == 1
    assert Referral.objects.count() == 3


def test_the_first_order_reported_by_many_workers_at_once_rewards_the_referrer_once():
    referrer, friend = UserFactory(), UserFactory()
    services.join(friend, services.code_for(referrer).code, channel=Referral.LINK)
    QualifyingPurchase.objects.create(
        user=friend, order_number="9100", amount=Decimal("1000"), placed_at=timezone.now()
    )

    results = run_in_threads(8, lambda i: receivers.order_points_accrued(sender=None, order_number="9100", user=friend))

    assert [r for r in results if isinstance(r, Exception)] == []
    assert ledger.get_balance(referrer).available == 500
    assert Referral.objects.get(friend=friend).status == Referral.REWARDED


def test_birthday_passes_on_several_workers_at_once_give_one_bonus():
    user = UserFactory()
    segments.set_birthday_by_customer(user, date(1990, 5, 10), now=timezone.make_aware(datetime(2026, 1, 1)))
    now = timezone.make_aware(datetime(2026, 5, 5, 10))

    results = run_in_threads(6, lambda i: birthdays.award_birthdays(now))

    assert [r for r in results if isinstance(r, Exception)] == []
    assert Lot.objects.filter(account__user=user, origin=Lot.CAMPAIGN).count() == 1
    assert ledger.get_balance(user, now=now).available == 300
