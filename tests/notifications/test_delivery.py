"""Delivery: after commit only, per the customer's choices, retried when it may help, never twice."""

import smtplib
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.notifications import services
from oscar_loyalty.notifications.delivery import deliver, is_transient
from oscar_loyalty.notifications.sms import PermanentSMSError, TransientSMSError
from oscar_loyalty.tasks import deliver_notification_task
from tests.factories import UserFactory
from tests.notifications.backends import FlakyEmailBackend, FlakySMSBackend

pytestmark = pytest.mark.django_db

Notification = get_model("oscar_loyalty", "Notification")
NotificationPreference = get_model("oscar_loyalty", "NotificationPreference")

FLAKY_SMS = "tests.notifications.backends.FlakySMSBackend"
FLAKY_EMAIL = "tests.notifications.backends.FlakyEmailBackend"


@pytest.fixture(autouse=True)
def no_failures_left_behind():
    yield
    FlakySMSBackend.failures = []
    FlakyEmailBackend.failures = []


def accrue(user, key="order-100123"):
    return ledger.accrue(user, 305, key=key, reason="Order 100123", order="100123")


def statuses(user):
    return dict(Notification.objects.filter(user=user).values_list("channel", "status"))


# --- The customer's choices ------------------------------------------------------


def test_a_customer_who_turned_e_mail_off_gets_only_the_sms(
    customer, django_capture_on_commit_callbacks, mailoutbox, sms_outbox
):
    NotificationPreference.objects.filter(user=customer).update(email_enabled=False)

    with django_capture_on_commit_callbacks(execute=True):
        accrue(customer)

    assert mailoutbox == []
    assert len(sms_outbox) == 1
    assert statuses(customer) == {"email": "skipped", "sms": "sent"}
    assert Notification.objects.get(channel="email").last_error == "The customer turned e-mail off."


def test_a_customer_who_turned_sms_off_gets_only_the_e_mail(
    customer, django_capture_on_commit_callbacks, mailoutbox, sms_outbox
):
    NotificationPreference.objects.filter(user=customer).update(sms_enabled=False)

    with django_capture_on_commit_callbacks(execute=True):
        accrue(customer)

    assert len(mailoutbox) == 1
    assert sms_outbox == []
    assert statuses(customer) == {"email": "sent", "sms": "skipped"}


def test_no_sms_without_a_phone_number(django_capture_on_commit_callbacks, mailoutbox, sms_outbox):
    user = UserFactory()  # no preferences saved: e-mail on, SMS on but no number

    with django_capture_on_commit_callbacks(execute=True):
        accrue(user)

    assert len(mailoutbox) == 1
    assert sms_outbox == []
    assert Notification.objects.get(channel="sms").last_error == "The customer has given no phone number."


def test_turning_a_channel_off_after_the_event_still_stops_its_message(
    customer, django_capture_on_commit_callbacks, mailoutbox, sms_outbox
):
    with django_capture_on_commit_callbacks() as callbacks:
        accrue(customer)
    for callback in callbacks:  # the ledger's signal: the notifications are queued
        callback()
    NotificationPreference.objects.filter(user=customer).update(email_enabled=False, sms_enabled=False)

    for row in Notification.objects.all():
        deliver(row.pk)

    assert (mailoutbox, sms_outbox) == ([], [])
    assert statuses(customer) == {"email": "skipped", "sms": "skipped"}


# --- Transactions ---------------------------------------------------------------


def test_nothing_is_sent_when_the_transaction_rolls_back(
    customer, django_capture_on_commit_callbacks, mailoutbox, sms_outbox
):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            accrue(customer)
            raise RuntimeError("the order could not be saved")
        with pytest.raises(RuntimeError), transaction.atomic():
            services.notify(customer, Notification.WELCOME, key=f"welcome:{customer.pk}")
            raise RuntimeError("the registration failed")

    assert (mailoutbox, sms_outbox) == ([], [])
    assert not Notification.objects.exists()


def test_rows_are_queued_in_the_callers_transaction_and_sent_after_its_commit(
    customer, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks() as callbacks:
        with transaction.atomic():
            services.notify(customer, Notification.WELCOME, key=f"welcome:{customer.pk}")
            assert Notification.objects.filter(status="pending").count() == 2
        assert mailoutbox == []  # not before the commit

    for callback in callbacks:
        callback()
    assert len(mailoutbox) == 1


# --- Never twice -------------------------------------------------------------------


def test_delivering_a_row_again_sends_nothing_more(
    customer, django_capture_on_commit_callbacks, mailoutbox, sms_outbox
):
    with django_capture_on_commit_callbacks(execute=True):
        accrue(customer)
    email = Notification.objects.get(channel="email")

    assert deliver(email.pk) == "sent"
    deliver_notification_task.delay(email.pk)  # the broker redelivers the task

    assert len(mailoutbox) == 1
    assert len(sms_outbox) == 1
    assert Notification.objects.get(pk=email.pk).attempts == 1


def test_a_lost_task_is_requeued_by_the_sweeper(customer, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks() as callbacks:
        with transaction.atomic():
            services.notify(customer, Notification.WELCOME, key=f"welcome:{customer.pk}")
    # The commit's callbacks never ran: the broker was down.
    assert callbacks and mailoutbox == []
    now = timezone.now()

    assert services.requeue_lost(now=now) == 0  # too fresh: its task may still be on its way
    assert services.requeue_lost(now=now + timedelta(minutes=11)) == 2
    assert services.requeue_lost(now=now + timedelta(minutes=12)) == 0

    assert len(mailoutbox) == 1


# --- Failures --------------------------------------------------------------------------


@override_settings(OSCAR_LOYALTY_SMS_BACKEND=FLAKY_SMS)
def test_a_transient_sms_failure_is_retried_until_it_succeeds(customer, django_capture_on_commit_callbacks, sms_outbox):
    FlakySMSBackend.failures = [TransientSMSError("timeout"), TransientSMSError("HTTP 503")]

    with django_capture_on_commit_callbacks(execute=True):
        accrue(customer)

    sms = Notification.objects.get(channel="sms")
    assert (sms.status, sms.attempts, sms.last_error) == ("sent", 3, "")
    assert sms.reference == sms_outbox[0].id
    assert len(sms_outbox) == 1


@override_settings(OSCAR_LOYALTY_SMS_BACKEND=FLAKY_SMS)
def test_a_permanent_sms_failure_is_marked_failed_at_once(
    customer, django_capture_on_commit_callbacks, mailoutbox, sms_outbox
):
    FlakySMSBackend.failures = [PermanentSMSError("invalid number")]

    with django_capture_on_commit_callbacks(execute=True):
        accrue(customer)

    sms = Notification.objects.get(channel="sms")
    assert (sms.status, sms.attempts) == ("failed", 1)
    assert sms.last_error == "PermanentSMSError: invalid number"
    assert sms_outbox == []
    assert len(mailoutbox) == 1  # the other channel is unaffected


@override_settings(OSCAR_LOYALTY_SMS_BACKEND=FLAKY_SMS, OSCAR_LOYALTY_NOTIFICATION_MAX_ATTEMPTS=3)
def test_a_failure_that_never_clears_ends_as_failed_after_the_last_attempt(
    customer, django_capture_on_commit_callbacks, sms_outbox
):
    FlakySMSBackend.failures = [TransientSMSError("timeout")] * 5

    with django_capture_on_commit_callbacks(execute=True):
        accrue(customer)

    sms = Notification.objects.get(channel="sms")
    assert (sms.status, sms.attempts) == ("failed", 3)
    assert len(FlakySMSBackend.failures) == 2
    assert sms_outbox == []


@override_settings(EMAIL_BACKEND=FLAKY_EMAIL)
def test_a_dropped_smtp_connection_is_retried(customer, django_capture_on_commit_callbacks, mailoutbox):
    FlakyEmailBackend.failures = [smtplib.SMTPServerDisconnected("Connection unexpectedly closed")]

    with django_capture_on_commit_callbacks(execute=True):
        accrue(customer)

    email = Notification.objects.get(channel="email")
    assert (email.status, email.attempts, email.recipient) == ("sent", 2, customer.email)
    assert len(mailoutbox) == 1


@override_settings(EMAIL_BACKEND=FLAKY_EMAIL)
def test_a_refused_recipient_is_not_retried(customer, django_capture_on_commit_callbacks, mailoutbox):
    FlakyEmailBackend.failures = [smtplib.SMTPRecipientsRefused({customer.email: (550, b"No such user")})]

    with django_capture_on_commit_callbacks(execute=True):
        accrue(customer)

    email = Notification.objects.get(channel="email")
    assert (email.status, email.attempts) == ("failed", 1)
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (TransientSMSError("rate limited"), True),
        (PermanentSMSError("invalid number"), False),
        (ConnectionRefusedError(), True),
        (TimeoutError(), True),
        (smtplib.SMTPServerDisconnected(), True),
        (smtplib.SMTPResponseException(421, b"Try again later"), True),
        (smtplib.SMTPResponseException(554, b"Rejected"), False),
        (smtplib.SMTPAuthenticationError(535, b"Bad credentials"), False),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (450, b"Mailbox busy")}), True),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"No such user")}), False),
        (smtplib.SMTPNotSupportedError(), False),
        (ValueError("a bug"), False),
    ],
)
def test_which_failures_are_worth_retrying(error, transient):
    assert is_transient(error) is transient
