"""Ledger, tier and registration events queue notifications.

The ledger and tiers send their signals with ``send_robust`` after their
transaction commits; each receiver queues its rows in a transaction of its
own, and the delivery is enqueued once that commits.
"""

import functools
import logging

from oscar_loyalty import signals
from oscar_loyalty.notifications import services

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


@_logged
def points_adjusted(sender, entry, **kwargs):
    services.notify_adjusted(entry)


def connect():
    from oscar.apps.customer.signals import user_registered as registered

    registered.connect(user_registered, dispatch_uid="oscar_loyalty.notifications.user_registered")
    signals.points_accrued.connect(points_accrued, dispatch_uid="oscar_loyalty.notifications.points_accrued")
    signals.tier_changed.connect(tier_changed, dispatch_uid="oscar_loyalty.notifications.tier_changed")
    signals.points_adjusted.connect(points_adjusted, dispatch_uid="oscar_loyalty.notifications.points_adjusted")
