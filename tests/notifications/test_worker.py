"""A notification delivered end to end by a real Celery worker over the real Redis broker."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from tests.celery_app import app
from tests.factories import UserFactory

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

Notification = get_model("oscar_loyalty", "Notification")
NotificationPreference = get_model("oscar_loyalty", "NotificationPreference")


@pytest.fixture
def worker():
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=10):
        yield


def wait_until_delivered(user, timeout=30):
    deadline = time.monotonic() + timeout
    while Notification.objects.filter(user=user, status="pending").exists():
        assert time.monotonic() < deadline, "the worker did not deliver the notifications in time"
        time.sleep(0.2)


def test_a_worker_delivers_an_accrual_notice_once(worker, mailoutbox, sms_outbox):
    user = UserFactory()
    NotificationPreference.objects.create(user=user, phone="+79161234567")

    # Commits: the ledger's signal queues the rows, their commit enqueues the deliveries.
    lot = ledger.accrue(user, 305, key="order-100123", reason="Order 100123", order="100123")
    wait_until_delivered(user)
    email = Notification.objects.get(key=f"accrued:{lot.pk}:email")
    # The broker delivering the same task again changes nothing.
    again = app.send_task("oscar_loyalty.deliver_notification", args=[email.pk], ignore_result=False).get(timeout=30)

    assert again == "sent"
    assert dict(Notification.objects.filter(user=user).values_list("channel", "status")) == {
        "email": "sent",
        "sms": "sent",
    }
    assert [message.subject for message in mail.outbox if message.to == [user.email]] == ["305 bonus points credited"]
    assert [sms.phone for sms in sms_outbox] == ["+79161234567"]
