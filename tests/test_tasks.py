"""The beat tasks run by a real Celery worker over the real Redis broker."""

from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.earning import tiers
from oscar_loyalty.tasks import BEAT_SCHEDULE
from tests.celery_app import app
from tests.factories import UserFactory

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

JournalEntry = get_model("oscar_loyalty", "JournalEntry")
Tier = get_model("oscar_loyalty", "Tier")
TierChange = get_model("oscar_loyalty", "TierChange")


@pytest.fixture
def worker():
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=10):
        yield


def test_beat_schedule_names_registered_tasks():
    for entry in BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks


def test_the_tier_pass_is_on_the_beat_schedule():
    tasks = {entry["task"] for entry in BEAT_SCHEDULE.values()}
    assert {"oscar_loyalty.evaluate_tiers", "oscar_loyalty.warn_expiring_lots"} <= tasks


def test_no_task_stores_its_result():
    # A stored result makes every sender listen on a Redis result channel it never reads.
    import erp_sync.tasks  # noqa: F401  (registers the exchange's tasks)

    ours = [task for name, task in app.tasks.items() if name.startswith(("oscar_loyalty.", "erp_sync."))]
    assert len(ours) >= 10
    assert [task.name for task in ours if not task.ignore_result] == []


def test_worker_activates_expires_and_releases_through_the_broker(worker):
    # Untouched since: only the beat tasks can move these lots.
    dormant = UserFactory()
    long_ago = timezone.now() - timedelta(days=400)
    ledger.accrue(dormant, 50, key="matured", reason="order", order="2", now=timezone.now() - timedelta(days=20))
    ledger.accrue(dormant, 100, key="old", reason="order", order="1", now=long_ago)
    shopper = UserFactory()
    ledger.accrue(shopper, 70, key="spendable", reason="order", order="3", hold_days=0)
    ledger.reserve(shopper, 30, key="abandoned", order_number="4", now=timezone.now() - timedelta(hours=2))

    activated = app.send_task("oscar_loyalty.activate_matured_lots", ignore_result=False).get(timeout=30)
    expired = app.send_task("oscar_loyalty.expire_lots", ignore_result=False).get(timeout=30)
    released = app.send_task("oscar_loyalty.release_stale_reservations", ignore_result=False).get(timeout=30)
    again = app.send_task("oscar_loyalty.expire_lots", ignore_result=False).get(timeout=30)

    assert (activated, expired, released, again) == (2, 1, 1, 0)
    balance = ledger.get_balance(dormant)
    assert (balance.available, balance.pending) == (50, 0)
    balance = ledger.get_balance(shopper)
    assert (balance.available, balance.reserved) == (70, 0)
    assert JournalEntry.objects.filter(kind="expiry").count() == 1
    assert ledger.check_accounts() == []


def test_worker_ends_a_pin_whose_time_is_up(worker):
    # A transactional test starts without the migrations' tiers.
    Tier.objects.create(code="silver", name="Silver", threshold=0, cashback_percent=3, max_share_percent=20)
    vip = Tier.objects.create(code="vip", name="VIP", threshold=300000, cashback_percent=10, max_share_percent=50)
    customer = UserFactory()
    now = timezone.now()
    tiers.pin_tier(
        customer, vip, actor="1C", reason="Card", until=now - timedelta(minutes=1), now=now - timedelta(days=1)
    )

    written = app.send_task("oscar_loyalty.evaluate_tiers", ignore_result=False).get(timeout=30)
    again = app.send_task("oscar_loyalty.evaluate_tiers", ignore_result=False).get(timeout=30)

    assert (written, again) == (1, 0)
    change = TierChange.objects.filter(user=customer).first()
    assert (change.old_tier.code, change.new_tier.code, change.reason) == ("vip", "silver", "The pinned tier ended.")
