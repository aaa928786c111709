"""Ledger, tier, registration and sign-in events queue notifications; queued rows go to Celery.

The ledger and tiers send their signals with ``send_robust`` after their
transaction commits; each receiver queues its rows in a transaction of its
own, and the delivery is enqueued once that commits. This module is the top
of the notifications: it alone imports the tasks (which import the
delivery), answering the queue's ``notifications_queued`` signal.
"""

import functools
import logging

from kombu.exceptions import OperationalError
from oscar.core.loading import get_model

from oscar_loyalty import signals
from oscar_loyalty.notifications import services
from oscar_loyalty.notifications.signals import notifications_queued

TierChange = get_model("oscar_loyalty", "TierChange")

logger = logging.getLogger(__name__)


def _logged(receiver):
    # ``send_robust`` swallows exceptions silently: leave a trace of them.
    @functools.wraps(receiver)
    def wrapper(*args, **kwargs):
        try:
            return receiver(*args, **kwargs)
        except Exception:
            logger.exception("The loyalty notification receiver %s failed.", receiver.__name__)
            raise

    return wrapper


@_logged
def user_registered(sender, user, **kwargs):
    services.notify_welcome(user)


@_logged
def points_accrued(sender, lot, **kwargs):
    services.notify_accrued(lot)


@_logged
def tier_changed(sender, change, user, old_tier, new_tier, upgrade, **kwargs):
    if upgrade:
        services.notify_tier_upgraded(change, user, old_tier, new_tier)
    elif change.source == TierChange.DOWNGRADE:
        # The beat's pass lowered it (decay, inactivity, an ended pin): news to the customer. Staff
        # who lower a tier, and cancelled orders that undo it, tell the customer their own way.
        services.notify_tier_downgraded(change, user, old_tier, new_tier)


@_logged
def points_adjusted(sender, entry, **kwargs):
    services.notify_adjusted(entry)


def user_logged_in(sender, request, user, **kwargs):
    # Signing in is rare enough to cost a query: keep the language for the messages sent later.
    services.remember_language(user, getattr(request, "LANGUAGE_CODE", ""))


def notifications_ready(sender, ids, **kwargs):
    """Hand queued rows to Celery; a row the broker refuses stays pending for the sweeper."""
    # The tasks import the delivery: imported here, at the top, so nothing below imports upwards.
    from oscar_loyalty.tasks import deliver_notification_task

    for pk in ids:
        try:
            deliver_notification_task.delay(pk)
        except OperationalError:
            logger.exception("Could not enqueue notification %s; it stays pending until requeued.", pk)


def connect():
    from django.contrib.auth.signals import user_logged_in as logged_in
    from oscar.apps.customer.signals import user_registered as registered

    registered.connect(user_registered, dispatch_uid="oscar_loyalty.notifications.user_registered")
    logged_in.connect(user_logged_in, dispatch_uid="oscar_loyalty.notifications.user_logged_in")
    notifications_queued.connect(notifications_ready, dispatch_uid="oscar_loyalty.notifications.enqueue")
    signals.points_accrued.connect(points_accrued, dispatch_uid="oscar_loyalty.notifications.points_accrued")
    signals.tier_changed.connect(tier_changed, dispatch_uid="oscar_loyalty.notifications.tier_changed")
    signals.points_adjusted.connect(points_adjusted, dispatch_uid="oscar_loyalty.notifications.points_adjusted")
