"""The beat's tier pass: decay, inactivity and ended pins each leave a TierChange, and a downgrade is announced."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty.earning import tiers
from oscar_loyalty.ledger.people import display_name
from tests.earning.factories import order_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Tier = get_model("oscar_loyalty", "Tier")
TierChange = get_model("oscar_loyalty", "TierChange")
Notification = get_model("oscar_loyalty", "Notification")


def gold_customer():
    user = UserFactory()
    order_for(user, "35000.00").set_status("Complete")
    assert tiers.tier_for(user).code == "gold"
    return user


@override_settings(OSCAR_LOYALTY_TIER_WINDOW_DAYS=365, OSCAR_LOYALTY_TIER_DOWNGRADE=True)
def test_a_downgrade_by_the_pass_writes_a_tier_change_and_queues_one_downgrade_message(
    django_capture_on_commit_callbacks,
):
    user = gold_customer()
    later = timezone.now() + timedelta(days=400)

    with django_capture_on_commit_callbacks(execute=True):
        assert tiers.evaluate_tiers(now=later) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert tiers.evaluate_tiers(now=later) == 0  # run again: nothing more

    change = TierChange.objects.filter(user=user).first()
    assert (change.old_tier.code, change.new_tier.code, change.source) == ("gold", "silver", TierChange.DOWNGRADE)
    downgrades = Notification.objects.filter(user=user, event=Notification.TIER_DOWNGRADED)
    assert sorted(downgrades.values_list("key", flat=True)) == [f"tier:{change.pk}:email", f"tier:{change.pk}:sms"]
    assert downgrades.get(channel="email").context["tier"] == "Silver"
    assert downgrades.get(channel="email").context["old_tier"] == "Gold"


def test_an_ended_pin_writes_a_tier_change_even_when_the_earned_tier_is_the_same(django_capture_on_commit_callbacks):
    user = gold_customer()
    now = timezone.now()
    gold = Tier.objects.get(code="gold")
    tiers.pin_tier(user, gold, actor="1C", reason="Card issued in store", until=now + timedelta(days=30), now=now)

    with django_capture_on_commit_callbacks(execute=True):
        assert tiers.evaluate_tiers(now=now + timedelta(days=31)) == 1
        assert tiers.evaluate_tiers(now=now + timedelta(days=32)) == 0

    change = TierChange.objects.filter(user=user).first()
    assert (change.old_tier.code, change.new_tier.code, change.reason) == ("gold", "gold", "The pinned tier ended.")
    # The tier in effect did not change: nothing to tell the customer.
    assert not Notification.objects.filter(user=user, event=Notification.TIER_DOWNGRADED).exists()


def test_an_ended_pin_above_the_earned_tier_is_announced_as_a_downgrade(django_capture_on_commit_callbacks):
    user = UserFactory()
    now = timezone.now()
    vip = Tier.objects.get(code="vip")
    tiers.pin_tier(user, vip, actor="1C", reason="Card issued in store", until=now + timedelta(days=30), now=now)

    with django_capture_on_commit_callbacks(execute=True):
        assert tiers.evaluate_tiers(now=now + timedelta(days=31)) == 1

    notice = Notification.objects.get(user=user, event=Notification.TIER_DOWNGRADED, channel="email")
    assert (notice.context["old_tier"], notice.context["tier"]) == ("VIP", "Silver")


@override_settings(OSCAR_LOYALTY_TIER_WINDOW_DAYS=365, OSCAR_LOYALTY_TIER_INACTIVITY_DAYS=500)
def test_inactivity_alone_does_not_let_the_window_lower_a_tier():
    # Downgrades by volume are off: only 500 days without a purchase may lower the tier.
    user = gold_customer()

    assert tiers.evaluate_tiers(now=timezone.now() + timedelta(days=400)) == 0
    assert tiers.tier_for(user, now=timezone.now() + timedelta(days=400)).code == "gold"
    assert tiers.evaluate_tiers(now=timezone.now() + timedelta(days=510)) == 1
    assert tiers.tier_for(user, now=timezone.now() + timedelta(days=510)).code == "silver"


@override_settings(OSCAR_LOYALTY_TIER_WINDOW_DAYS=365, OSCAR_LOYALTY_TIER_DOWNGRADE=True)
def test_the_pass_leaves_customers_whose_tier_holds_alone():
    user = gold_customer()
    changes = TierChange.objects.count()

    assert tiers.evaluate_tiers(now=timezone.now() + timedelta(days=10)) == 0

    assert TierChange.objects.count() == changes
    assert tiers.tier_for(user).code == "gold"


@override_settings(OSCAR_LOYALTY_TIER_WINDOW_DAYS=365, OSCAR_LOYALTY_TIER_DOWNGRADE=True)
def test_the_command_dry_run_prints_the_changes_and_writes_nothing(django_capture_on_commit_callbacks):
    user = gold_customer()
    changes = TierChange.objects.count()
    out = StringIO()
    later = (timezone.now() + timedelta(days=400)).isoformat()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("loyalty_evaluate_tiers", "--dry-run", "--now", later, stdout=out)

    printed = out.getvalue()
    assert f"{display_name(user)}: Gold -> Silver (Purchase volume re-evaluated.)" in printed
    assert "Dry run: 1 tier change(s) would be written." in printed
    assert TierChange.objects.count() == changes
    assert tiers.tier_for(user).code == "gold"
    assert not Notification.objects.filter(event=Notification.TIER_DOWNGRADED).exists()


@override_settings(OSCAR_LOYALTY_TIER_WINDOW_DAYS=365, OSCAR_LOYALTY_TIER_DOWNGRADE=True)
def test_the_command_applies_the_changes_and_sums_them_up(django_capture_on_commit_callbacks):
    user = gold_customer()
    out = StringIO()
    later = timezone.now() + timedelta(days=400)

    with django_capture_on_commit_callbacks(execute=True):
        call_command("loyalty_evaluate_tiers", "--now", later.isoformat(), stdout=out)

    assert "1 tier change(s) written." in out.getvalue()
    assert tiers.tier_for(user, now=later).code == "silver"
    assert Notification.objects.filter(user=user, event=Notification.TIER_DOWNGRADED).count() == 2


@override_settings(OSCAR_LOYALTY_TIER_WINDOW_DAYS=365, OSCAR_LOYALTY_TIER_DOWNGRADE=True)
def test_a_pin_ending_as_the_tier_decays_writes_both_changes_and_sends_one_message(django_capture_on_commit_callbacks):
    user = gold_customer()
    now = timezone.now()
    vip = Tier.objects.get(code="vip")
    tiers.pin_tier(user, vip, actor="1C", reason="Card issued in store", until=now + timedelta(days=30), now=now)

    with django_capture_on_commit_callbacks(execute=True):
        assert tiers.evaluate_tiers(now=now + timedelta(days=400)) == 2

    changes = TierChange.objects.filter(user=user, source=TierChange.DOWNGRADE).order_by("pk")
    assert [(change.old_tier.code, change.new_tier.code) for change in changes] == [("vip", "gold"), ("gold", "silver")]
    notice = Notification.objects.get(user=user, event=Notification.TIER_DOWNGRADED, channel="email")
    assert (notice.context["old_tier"], notice.context["tier"]) == ("VIP", "Silver")


@pytest.mark.parametrize(
    ("current", "volume", "days_since_purchase", "lower_by_volume", "expected"),
    [
        ("silver", "35000", 1, False, "gold"),  # an upgrade always happens
        ("gold", "1000", 1, False, "gold"),  # a lower volume keeps the tier without downgrades
        ("gold", "1000", 1, True, "silver"),  # ... and lowers it with them
        ("gold", "35000", 200, False, "silver"),  # 180 days without a purchase: the entry tier
        ("gold", "35000", 179, False, "gold"),
        ("gold", "35000", None, False, "silver"),  # never bought anything
    ],
)
def test_next_tier_table(current, volume, days_since_purchase, lower_by_volume, expected):
    table = list(Tier.objects.all())
    by_code = {tier.code: tier for tier in table}
    now = timezone.now()
    last = None if days_since_purchase is None else now - timedelta(days=days_since_purchase)

    new = tiers.next_tier(
        table,
        by_code[current],
        Decimal(volume),
        last,
        now=now,
        inactivity_days=180,
        lower_by_volume=lower_by_volume,
        lower_by_inactivity=True,
    )

    assert new.code == expected
