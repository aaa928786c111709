"""The loyalty program's Celery tasks.

The beat tasks are idempotent and safe to run twice at once; add
``BEAT_SCHEDULE`` to your ``CELERY_BEAT_SCHEDULE`` (its daily times are in
``CELERY_TIMEZONE``). ``deliver_notification`` sends one queued notification.

No task stores its result: they are sent fire-and-forget, and a stored result
would make every sender subscribe to a result channel it never reads. A
caller that wants the return value asks with ``ignore_result=False``.
"""

from datetime import timedelta

from celery import shared_task
from celery.schedules import crontab

from oscar_loyalty.notifications.exceptions import TransientDeliveryError

# The ledger is imported inside the tasks: this module is imported from
# settings for BEAT_SCHEDULE, before Django's models are loaded.


@shared_task(name="oscar_loyalty.activate_matured_lots", acks_late=True, ignore_result=True)
def activate_matured_lots_task():
    from oscar_loyalty.ledger import activate_matured_lots

    return activate_matured_lots()


@shared_task(name="oscar_loyalty.expire_lots", acks_late=True, ignore_result=True)
def expire_lots_task():
    from oscar_loyalty.ledger import expire_lots

    return expire_lots()


@shared_task(name="oscar_loyalty.release_stale_reservations", acks_late=True, ignore_result=True)
def release_stale_reservations_task():
    from oscar_loyalty.ledger import release_stale_reservations

    return release_stale_reservations()


@shared_task(name="oscar_loyalty.evaluate_tiers", acks_late=True, ignore_result=True)
def evaluate_tiers_task():
    """Let tiers decay over the window or after inactivity, and end the pins whose time is up."""
    from oscar_loyalty.earning.tiers import evaluate_tiers

    return evaluate_tiers()


@shared_task(name="oscar_loyalty.roll_up_journal", acks_late=True, ignore_result=True)
def roll_up_journal_task():
    """Add the journal's newest entries to the KPI report's monthly roll-ups."""
    from oscar_loyalty.reporting.rollups import roll_up

    run = roll_up()
    return None if run is None else run.journal_id


# --- Segments and birthdays ---


@shared_task(name="oscar_loyalty.refresh_segments", acks_late=True, ignore_result=True)
def refresh_segments_task():
    """RFM scores, saved filters and this month's segment sizes."""
    from oscar_loyalty.segments.passes import refresh_segments

    return refresh_segments()


@shared_task(name="oscar_loyalty.award_birthdays", acks_late=True, ignore_result=True)
def award_birthdays_task():
    from oscar_loyalty.segments.birthdays import award_birthdays

    return award_birthdays()


# --- Notifications ---


@shared_task(
    name="oscar_loyalty.deliver_notification",
    ignore_result=True,
    autoretry_for=(TransientDeliveryError,),
    retry_backoff=60,
    retry_backoff_max=1800,
    retry_jitter=True,
    # A backstop: the row's attempts, checked under its lock, end the retries first.
    max_retries=20,
)
def deliver_notification_task(notification_id):
    """Send one notification; never twice, whatever the broker redelivers (see ``deliver``)."""
    from oscar_loyalty.notifications.delivery import deliver

    return deliver(notification_id)


@shared_task(name="oscar_loyalty.notify_activations", acks_late=True, ignore_result=True)
def notify_activations_task():
    from oscar_loyalty.notifications.services import notify_activations

    return notify_activations()


@shared_task(name="oscar_loyalty.warn_expiring_lots", acks_late=True, ignore_result=True)
def warn_expiring_lots_task():
    from oscar_loyalty.notifications.services import warn_expiring_lots

    return warn_expiring_lots()


@shared_task(name="oscar_loyalty.requeue_lost_notifications", acks_late=True, ignore_result=True)
def requeue_lost_notifications_task():
    from oscar_loyalty.notifications.services import requeue_lost

    return requeue_lost()


BEAT_SCHEDULE = {
    "loyalty-activate-matured-lots": {
        "task": "oscar_loyalty.activate_matured_lots",
        "schedule": timedelta(minutes=15),
    },
    "loyalty-expire-lots": {
        "task": "oscar_loyalty.expire_lots",
        "schedule": timedelta(hours=1),
    },
    "loyalty-release-stale-reservations": {
        "task": "oscar_loyalty.release_stale_reservations",
        "schedule": timedelta(minutes=5),
    },
    # The KPI report reads the roll-ups plus the entries since the last run, two index probes for each:
    # a run every five minutes keeps that part to a few minutes' entries, and a run over an hour's
    # entries of a ten-million-entry journal takes about 0.15 s.
    "loyalty-roll-up-journal": {
        "task": "oscar_loyalty.roll_up_journal",
        "schedule": timedelta(minutes=5),
    },
    # Daily, in the daytime: a lowered tier is news the customer hears by e-mail and SMS.
    "loyalty-evaluate-tiers": {
        "task": "oscar_loyalty.evaluate_tiers",
        "schedule": crontab(minute=30, hour=10),
    },
    # At night: the RFM pass reads every paid purchase; the dashboard shows the day before.
    "loyalty-refresh-segments": {
        "task": "oscar_loyalty.refresh_segments",
        "schedule": crontab(minute=15, hour=4),
    },
    # In the morning: the birthday bonus's greeting reaches the customer in the daytime.
    "loyalty-award-birthdays": {
        "task": "oscar_loyalty.award_birthdays",
        "schedule": crontab(minute=0, hour=10),
    },
    # Customers hear about their points in the daytime, not when a pass happens to run.
    "loyalty-notify-activations": {
        "task": "oscar_loyalty.notify_activations",
        "schedule": crontab(minute=5, hour="9-21"),
    },
    "loyalty-warn-expiring-lots": {
        "task": "oscar_loyalty.warn_expiring_lots",
        "schedule": crontab(minute=0, hour=11),
    },
    "loyalty-requeue-lost-notifications": {
        "task": "oscar_loyalty.requeue_lost_notifications",
        "schedule": timedelta(minutes=10),
    },
}
