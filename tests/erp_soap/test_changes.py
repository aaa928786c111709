"""Corrections and statuses made in the accounting system reach the shop once each."""

from datetime import UTC, datetime, timedelta

import pytest
from oscar.core.loading import get_model

from erp_sync.soap.changes import pull_corrections, pull_statuses
from oscar_loyalty import ledger
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ErpChange = get_model("erp_sync", "ErpChange")
ErpCursor = get_model("erp_sync", "ErpCursor")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")
OutboxMessage = get_model("erp_sync", "OutboxMessage")
CustomerTier = get_model("oscar_loyalty", "CustomerTier")


def test_corrections_become_erp_corrections_once_and_never_echo_back(erp, erp_settings):
    anna, boris = UserFactory(), UserFactory()
    ledger.accrue(boris, 10, key="small", reason="Order", order="1", hold_days=0)
    erp.store.add_correction(str(anna.pk), 50, reason="Lost receipt", accountant="I. Ivanova")
    erp.store.add_correction(str(boris.pk), -1000, reason="Too much")
    erp.store.add_correction("999999", 5, reason="Nobody")

    assert pull_corrections() == 3
    assert pull_corrections() == 0

    entry = JournalEntry.objects.get(kind="erp_correction")
    assert (entry.account.user_id, entry.points, entry.actor_name, entry.reason) == (
        anna.pk,
        50,
        "I. Ivanova",
        "Lost receipt",
    )
    assert entry.key == "erp-correction:1"
    assert ledger.get_balance(anna).available == 50
    states = dict(ErpChange.objects.values_list("erp_id", "state"))
    assert states == {"1": "applied", "2": "failed", "3": "failed"}
    assert "available" in ErpChange.objects.get(erp_id="2").error
    assert ledger.get_balance(boris).available == 10  # nothing partial
    assert ErpCursor.objects.get(name="corrections").value == "3"
    # The accounting system made these: nothing goes back to it.
    assert not OutboxMessage.objects.filter(kind="erp_correction").exists()


def test_reading_in_pages_moves_the_cursor_and_misses_nothing(erp, erp_settings, settings):
    settings.ERP_SYNC_PULL_LIMIT = 2
    user = UserFactory()
    for n in range(5):
        erp.store.add_correction(str(user.pk), n + 1, reason=f"Correction {n}")

    assert pull_corrections() == 5
    assert ledger.get_balance(user).available == 15
    erp.store.add_correction(str(user.pk), 100, reason="Late")
    assert pull_corrections() == 1
    assert ErpCursor.objects.get(name="corrections").value == "6"


def test_statuses_pin_and_unpin_tiers(erp, erp_settings):
    user = UserFactory()
    until = datetime.now(UTC) + timedelta(days=30)
    erp.store.add_status(str(user.pk), "gold", reason="Partner", accountant="I. Ivanova", until=until)
    erp.store.add_status(str(user.pk), "no-such-tier", reason="Typo")

    assert pull_statuses() == 2
    assert pull_statuses() == 0

    state = CustomerTier.objects.get(user=user)
    assert state.pinned_tier.code == "gold" and state.pinned_by == "I. Ivanova"
    assert dict(ErpChange.objects.values_list("erp_id", "state")) == {"1": "applied", "2": "failed"}

    erp.store.add_status(str(user.pk), "", reason="Partnership ended")
    assert pull_statuses() == 1
    state.refresh_from_db()
    assert state.pinned_tier is None
