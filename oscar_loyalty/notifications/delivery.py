"""Delivering one queued notification: render it with Oscar's communication framework, then send it.

Texts are ``CommunicationEventType`` messages with the codes
``LOYALTY_WELCOME``, ``LOYALTY_ACCRUED``, ``LOYALTY_AVAILABLE``,
``LOYALTY_TIER_UPGRADED``, ``LOYALTY_TIER_DOWNGRADED``, ``LOYALTY_EXPIRING``
and ``LOYALTY_ADJUSTED``: a
shop overrides them as template files
(``oscar/communication/emails/commtype_loyalty_<event>_{subject,body}.txt``,
``..._body.html``, ``oscar/communication/sms/commtype_loyalty_<event>_body.txt``)
or in the dashboard. E-mail goes through Oscar's ``Dispatcher`` (so the
"Email history" of the customer's account lists it), text messages through
the SMS backend.
"""

import logging
import smtplib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from oscar.core.loading import get_class, get_model

from oscar_loyalty.notifications import sms
from oscar_loyalty.notifications.channels import skip_reason
from oscar_loyalty.notifications.exceptions import TransientDeliveryError
from oscar_loyalty.settings import loyalty_settings

Dispatcher = get_class("communication.utils", "Dispatcher")
Notification = get_model("oscar_loyalty", "Notification")
NotificationPreference = get_model("oscar_loyalty", "NotificationPreference")

logger = logging.getLogger(__name__)


class Skipped(Exception):
    """Nothing to send for this notification, for the reason given."""


def deliver(notification_id, *, now=None):
    """Send one queued notification (the Celery task's body); returns its status afterwards.

    The row is locked while it is sent, and only a pending row is sent, so
    two tasks for the same row never both send it. Every attempt is recorded
    on the row. A failure that trying again may fix raises
    ``TransientDeliveryError`` (after the attempt is committed) until
    ``OSCAR_LOYALTY_NOTIFICATION_MAX_ATTEMPTS`` is reached; any other
    failure marks the row failed. Returns None when another worker holds
    the row, or it no longer exists.
    """
    now = now or timezone.now()
    retry = None
    with transaction.atomic():
        notification = Notification.objects.select_for_update(skip_locked=True).filter(pk=notification_id).first()
        if notification is None:
            return None
        if notification.status != Notification.PENDING:
            return notification.status
        notification.attempts += 1
        notification.last_attempt_at = now
        try:
            # A savepoint: a database error while sending leaves the row's transaction usable.
            with transaction.atomic():
                notification.recipient, notification.reference = _send(notification)
        except Skipped as skipped:
            notification.status = Notification.SKIPPED
            notification.last_error = str(skipped)
        except Exception as exc:
            notification.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if is_transient(exc) and notification.attempts < loyalty_settings.NOTIFICATION_MAX_ATTEMPTS:
                retry = exc
                logger.warning("Notification %s failed, will retry: %s", notification.pk, notification.last_error)
            else:
                notification.status = Notification.FAILED
                logger.error(
                    "Notification %s failed for good: %s",
                    notification.pk,
                    notification.last_error,
                    exc_info=not isinstance(exc, (sms.SMSError, smtplib.SMTPException)),
                )
        else:
            notification.status = Notification.SENT
            notification.sent_at = now
            notification.last_error = ""
        notification.save()
    if retry is not None:
        raise TransientDeliveryError(notification.last_error) from retry
    return notification.status


def is_transient(exc):
    """Whether trying again later may succeed: network trouble and 4xx SMTP replies, not refusals."""
    if isinstance(exc, sms.TransientSMSError):
        return True
    if isinstance(exc, sms.SMSError):
        return False
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(400 <= code < 500 for code, _reply in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return False
    # Refused or dropped connections, timeouts, a failed DNS lookup, a server that hung up.
    return isinstance(exc, OSError)


def render(notification, user=None):
    """The notification's messages (``subject``, ``body``, ``html``, ``sms``) in its language.

    That is the customer's, stored on the row when it was queued, whatever
    language the worker or the staff member who caused the event is using.
    """
    context = _revive(notification.context)
    if isinstance(context.get("points"), int):
        context["points_abs"] = abs(context["points"])
    context.update(user=user, event=notification.event, bonuses_path=_bonuses_path())
    with translation.override(notification.language or settings.LANGUAGE_CODE):
        return Dispatcher(logger=logger).get_messages(notification.event_code, context)


def _send(notification):
    """Send the row's message; returns (recipient, provider reference) or raises ``Skipped``."""
    user = get_user_model().objects.filter(pk=notification.user_id).first()
    if user is None or not user.is_active:
        raise Skipped("The customer's account is closed.")
    preference = NotificationPreference.objects.filter(user=user).first()
    reason = skip_reason(preference, notification.channel)
    if reason:
        raise Skipped(reason)
    if notification.channel == Notification.EMAIL:
        if not user.email:
            raise Skipped("The customer has no e-mail address.")
        messages = render(notification, user)
        if not messages["subject"] or not (messages["body"] or messages["html"]):
            raise Skipped("The e-mail templates are empty.")
        messages["sms"] = ""
        Dispatcher(logger=logger).send_user_email_messages(user, messages)
        return user.email, ""
    if notification.channel == Notification.SMS:
        text = render(notification, user)["sms"].strip()
        if not text:
            raise Skipped("The SMS template is empty.")
        reference = sms.get_backend().send(preference.phone, text)
        return preference.phone, str(reference or "")[:255]
    raise Skipped(f"Unknown channel {notification.channel!r}.")


def _revive(context):
    """The stored context with its dates (keys ending in ``_at``) as datetimes again."""
    revived = dict(context or {})
    for name, value in revived.items():
        if name.endswith("_at") and isinstance(value, str):
            revived[name] = parse_datetime(value)
    return revived


def _bonuses_path():
    try:
        return reverse("loyalty:bonuses")
    except NoReverseMatch:
        return ""
