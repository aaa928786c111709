from datetime import timedelta

import pytest
from django.utils import timezone

from oscar_loyalty import ledger
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_full_life_of_points():
    user = UserFactory()
    now = timezone.now()
    ledger.accrue(user, 100, key="a1", reason="order", order="100001", now=now)
    b = ledger.get_balance(user, now=now)
    assert (b.available, b.pending) == (0, 100)
    later = now + timedelta(days=15)
    res = ledger.reserve(user, 60, key="r1", order_number="100002", now=later)
    ledger.capture(res, now=later)
    b = ledger.get_balance(user, now=later)
    assert (b.available, b.pending, b.reserved) == (40, 0, 0)
    ledger.reverse_order("100001", now=later)
    b = ledger.get_balance(user, now=later)
    assert (b.available, b.debt) == (0, 60)
    assert ledger.check_accounts() == []
