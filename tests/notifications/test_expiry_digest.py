"""Expiry warnings: one message per customer, threshold and day, adding up the lots it covers."""

from datetime import timedelta

import pytest
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.notifications.services import warn_expiring_lots

pytestmark = pytest.mark.django_db

Notification = get_model("oscar_loyalty", "Notification")


def accrue(customer, points, key, *, expires_in_days, now):
    return ledger.accrue(
        customer, points, key=key, reason="Order", order=key, hold_days=0, expires_in_days=expires_in_days, now=now
    )


def test_two_lots_expiring_within_thirty_days_give_one_message_with_their_sum(
    customer, django_capture_on_commit_callbacks, mailoutbox, sms_outbox
):
    now = timezone.now()
    first = accrue(customer, 500, "100001", expires_in_days=20, now=now)
    accrue(customer, 750, "100002", expires_in_days=25, now=now)

    with django_capture_on_commit_callbacks(execute=True):
        assert warn_expiring_lots(now=now) == 1

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    first_day = timezone.localtime(first.expires_at).day
    assert mail.subject == "1250 bonus points expire within 30 days"
    assert f"expire within 30 days, the first of them on {first_day} " in " ".join(mail.body.split())
    assert len(sms_outbox) == 1
    assert "1250 bonus points expire within 30 days" in sms_outbox[0].text
    today = timezone.localdate(now).isoformat()
    assert sorted(Notification.objects.values_list("key", flat=True)) == [
        f"expiring:{customer.pk}:30:{today}:email",
        f"expiring:{customer.pk}:30:{today}:sms",
    ]


def midday():
    """Today at noon, shop time: the tests that move minutes or hours stay within one day whenever they run."""
    return timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)


def test_a_second_run_the_same_day_sends_nothing_more_and_a_new_lot_waits_for_the_next_day(
    customer, django_capture_on_commit_callbacks, mailoutbox
):
    now = midday()  # five minutes later is still the same day
    accrue(customer, 500, "100001", expires_in_days=20, now=now)
    with django_capture_on_commit_callbacks(execute=True):
        assert warn_expiring_lots(now=now) == 1
        assert warn_expiring_lots(now=now) == 0

    later_today = now + timedelta(minutes=5)
    accrue(customer, 300, "100002", expires_in_days=25, now=later_today)
    with django_capture_on_commit_callbacks(execute=True):
        assert warn_expiring_lots(now=later_today) == 0  # today's message is gone already
        assert warn_expiring_lots(now=now + timedelta(days=1)) == 1  # the new lot, with the one warned before
        assert warn_expiring_lots(now=now + timedelta(days=2)) == 0  # both are covered now

    assert [mail.subject for mail in mailoutbox] == [
        "500 bonus points expire within 30 days",
        "800 bonus points expire within 30 days",
    ]


def test_each_threshold_warns_once_and_a_lot_first_seen_within_ten_days_gets_only_that_warning(
    customer, django_capture_on_commit_callbacks, mailoutbox
):
    now = timezone.now()
    accrue(customer, 200, "100001", expires_in_days=25, now=now)
    accrue(customer, 50, "100002", expires_in_days=5, now=now)

    with django_capture_on_commit_callbacks(execute=True):
        assert warn_expiring_lots(now=now) == 2  # the 30-day and the 10-day message
        assert warn_expiring_lots(now=now + timedelta(days=1)) == 0
        assert warn_expiring_lots(now=now + timedelta(days=16)) == 1  # the first lot's 10 days
        assert warn_expiring_lots(now=now + timedelta(days=17)) == 0

    assert sorted(mail.subject for mail in mailoutbox) == [
        "200 bonus points expire within 10 days",
        "250 bonus points expire within 30 days",
        "50 bonus points expire within 10 days",
    ]


def test_an_old_per_lot_warning_still_counts_as_given(customer, django_capture_on_commit_callbacks, mailoutbox):
    # Rows written before the digest: keyed by lot, not by customer and day.
    now = midday()  # an hour earlier is still the same day
    lot = accrue(customer, 200, "100001", expires_in_days=25, now=now)
    Notification.objects.create(
        user=customer, event=Notification.EXPIRING, channel="email", key=f"expiring:{lot.pk}:30:email",
        context={"points": 200, "days": 30}, status=Notification.SENT, created_at=now - timedelta(hours=1),
    )  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        assert warn_expiring_lots(now=now) == 0

    assert mailoutbox == []
