"""Staff edit the program's data in the admin; the ledger and tier history stay read-only."""

import pytest
from django.urls import reverse
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Tier = get_model("oscar_loyalty", "Tier")
CustomerTier = get_model("oscar_loyalty", "CustomerTier")
TierChange = get_model("oscar_loyalty", "TierChange")

MODELS = [
    "account",
    "journalentry",
    "lot",
    "reservation",
    "reversal",
    "tier",
    "margingroup",
    "customertier",
    "tierchange",
    "qualifyingpurchase",
    "notification",
]


@pytest.fixture
def staff(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    return admin


@pytest.mark.parametrize("model", MODELS)
def test_every_loyalty_changelist_renders_for_staff(client, staff, model):
    customer = UserFactory()
    ledger.accrue(customer, 100, key="k", reason="order", order="1")
    response = client.get(reverse(f"admin:oscar_loyalty_{model}_changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", ["account", "journalentry", "lot", "reservation", "reversal", "tierchange"])
def test_ledger_records_cannot_be_added_in_the_admin(client, staff, model):
    assert client.get(reverse(f"admin:oscar_loyalty_{model}_add")).status_code == 403


def test_staff_edit_a_tier(client, staff):
    gold = Tier.objects.get(code="gold")
    response = client.post(
        reverse("admin:oscar_loyalty_tier_change", args=[gold.pk]),
        {
            "code": "gold",
            "name": "Gold",
            "threshold": "25000",
            "cashback_percent": "6",
            "max_share_percent": "30",
            "sort_order": "1",
        },
    )
    assert response.status_code == 302
    gold.refresh_from_db()
    assert (gold.threshold, gold.cashback_percent) == (25000, 6)


def test_pinning_a_tier_in_the_admin_goes_through_the_tier_history(client, staff):
    from oscar_loyalty.earning import tiers

    customer = UserFactory()
    tiers.recompute_tier(customer, reason="first look")
    state = CustomerTier.objects.get(user=customer)
    vip = Tier.objects.get(code="vip")

    response = client.post(
        reverse("admin:oscar_loyalty_customertier_change", args=[state.pk]),
        {"pinned_tier": vip.pk, "pinned_until_0": "", "pinned_until_1": "", "reason": "Card issued in store"},
    )

    assert response.status_code == 302
    assert tiers.tier_for(customer).code == "vip"
    change = TierChange.objects.get(new_tier=vip)
    assert (change.source, change.reason) == ("staff", "Card issued in store")
    assert change.actor_name
