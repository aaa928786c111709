"""The ledger's beat tasks. Each is set-based, idempotent and safe to run twice at once.

Add ``BEAT_SCHEDULE`` to your ``CELERY_BEAT_SCHEDULE``.
"""

from datetime import timedelta

from celery import shared_task

# The ledger is imported inside the tasks: this module is imported from
# settings for BEAT_SCHEDULE, before Django's models are loaded.


@shared_task(name="oscar_loyalty.activate_matured_lots", acks_late=True)
def activate_matured_lots_task():
    from oscar_loyalty.ledger import activate_matured_lots

    return activate_matured_lots()


@shared_task(name="oscar_loyalty.expire_lots", acks_late=True)
def expire_lots_task():
    from oscar_loyalty.ledger import expire_lots

    return expire_lots()


@shared_task(name="oscar_loyalty.release_stale_reservations", acks_late=True)
def release_stale_reservations_task():
    from oscar_loyalty.ledger import release_stale_reservations

    return release_stale_reservations()


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
}
