"""Staff see every referral in the loyalty dashboard: who brought whom, its status and the referrer's points."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty.referrals import receivers, services
from tests.dashboard.helpers import user_with
from tests.factories import UserFactory
from tests.referrals.helpers import event_rules

pytestmark = pytest.mark.django_db

Referral = get_model("oscar_loyalty", "Referral")
QualifyingPurchase = get_model("oscar_loyalty", "QualifyingPurchase")

URL = "loyalty-dashboard:loyalty-referral-list"


@pytest.fixture
def pairs():
    event_rules(referred=200, referral=500)
    anna, boris, gleb, dmitry = (
        UserFactory(email=f"{name}@example.com") for name in ("anna", "boris", "gleb", "dmitry")
    )
    services.join(gleb, services.code_for(anna).code, channel=Referral.LINK)
    services.join(dmitry, services.code_for(boris).code, channel=Referral.CODE)
    QualifyingPurchase.objects.create(user=gleb, order_number="9001", amount=Decimal("1000"), placed_at=timezone.now())
    receivers.order_points_accrued(sender=None, order_number="9001", user=gleb)
    return anna, boris, gleb, dmitry


def rows(response):
    return [(r.referrer.email, r.friend.email, r.status, r.referrer_points) for r in response.context["referrals"]]


def test_staff_see_every_referral_with_the_points_it_gave_the_referrer(client, pairs):
    client.force_login(user_with("manage_loyalty"))
    response = client.get(reverse(URL))
    assert response.status_code == 200
    assert sorted(rows(response)) == [
        ("anna@example.com", "gleb@example.com", Referral.REWARDED, 500),
        ("boris@example.com", "dmitry@example.com", Referral.JOINED, 0),
    ]


def test_staff_filter_by_status_and_find_a_customer_or_a_code(client, pairs):
    anna, *_rest = pairs
    client.force_login(user_with("manage_loyalty"))
    assert [row[1] for row in rows(client.get(reverse(URL), {"status": Referral.JOINED}))] == ["dmitry@example.com"]
    assert [row[1] for row in rows(client.get(reverse(URL), {"q": "GLEB@"}))] == ["gleb@example.com"]
    code = services.code_for(anna).code
    assert [row[1] for row in rows(client.get(reverse(URL), {"q": code.lower()}))] == ["gleb@example.com"]


def test_the_list_needs_the_loyalty_managers_permission(client, pairs):
    client.force_login(user_with("view_loyalty_kpis"))
    assert client.get(reverse(URL)).status_code in (302, 403)
