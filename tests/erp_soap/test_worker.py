"""The outbox delivered by real Celery workers over the real Redis broker."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection
from oscar.core.loading import get_model

from erp_sync import tasks
from oscar_loyalty import ledger
from tests.celery_app import app
from tests.erp_soap.conftest import PASSWORD, USERNAME
from tests.factories import UserFactory

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

OutboxMessage = get_model("erp_sync", "OutboxMessage")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker():
    assert "erp_sync.deliver_outbox" in app.tasks and tasks.deliver_outbox_task
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=10):
        yield


def wait_for(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def all_delivered():
    return set(OutboxMessage.objects.values_list("status", flat=True)) == {"delivered"}


def test_beat_schedule_names_registered_tasks():
    for entry in tasks.BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks


def test_erp_down_then_back_every_movement_delivered_once_through_the_broker(erp, erp_settings, worker):
    erp_settings.ERP_SYNC_OUTBOX_BACKOFF = 1
    customers = UserFactory.create_batch(3)
    erp.stop()
    for n, user in enumerate(customers):
        ledger.accrue(user, 100 + n, key=f"acc-{n}", reason="Order", order=str(n), hold_days=0)
        ledger.redeem(user, 30, key=f"pay-{n}", order_number=f"{n}-b")
    # The commits queued deliveries; they fail and back off.
    assert wait_for(lambda: not OutboxMessage.objects.filter(attempts=0).exists())
    assert not OutboxMessage.objects.filter(status="delivered").exists()

    erp.start()
    # The deliveries' own retries, or the beat's sweep, whichever comes first.
    time.sleep(2)
    app.send_task("erp_sync.sweep_outbox", ignore_result=False).get(timeout=30)

    assert wait_for(all_delivered)
    assert erp.store.movement_count() == 6
    for key in OutboxMessage.objects.values_list("key", flat=True):
        assert erp.store.movement_count(key) == 1


# Restarting workers in one process leaves kombu's pooled Redis sockets to the garbage collector.
@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_worker_killed_between_delivery_and_acknowledgement(erp, erp_settings):
    user = UserFactory()
    erp_settings.ERP_SYNC_SOAP_URL = None  # the commit queues nothing: the killed worker gets the task
    ledger.accrue(user, 80, key="acc", reason="Order", order="1", hold_days=0)
    row = OutboxMessage.objects.get()
    erp_settings.ERP_SYNC_SOAP_URL = erp.url
    # The accounting system applies the movement, then the answer never comes back in time.
    erp.control.hang_after_apply = 60
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "tests.erp_soap.worker_settings",
        "ERP_TEST_DATABASE": connection.settings_dict["NAME"],
        "ERP_SYNC_SOAP_URL": erp.url,
        "ERP_SYNC_SOAP_USERNAME": USERNAME,
        "ERP_SYNC_SOAP_PASSWORD": PASSWORD,
    }
    doomed = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.erp_soap.worker_app",
            "worker",
            "--pool",
            "solo",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        app.send_task("erp_sync.deliver_outbox", args=[row.account_id], ignore_result=True)
        assert wait_for(lambda: erp.store.movement_count("acc") == 1, timeout=60)
    finally:
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=10)

    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.locked_until is not None  # the dead worker's lease

    erp.control.hang_after_apply = 0
    time.sleep(3.5)  # the lease runs out
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=10):
        assert app.send_task("erp_sync.sweep_outbox", ignore_result=False).get(timeout=30) == 1
        assert wait_for(all_delivered)

    assert erp.store.movement_count("acc") == 1
    assert erp.store.balances() == {str(user.pk): 80}
