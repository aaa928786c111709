"""Celery tasks of the SOAP exchange.

Add ``BEAT_SCHEDULE`` to your ``CELERY_BEAT_SCHEDULE``: the sweep delivers
movements whatever wrote them (a trigger fills the outbox, so nothing needs
an ``on_commit`` kick to be sent eventually), and the pull reads the
accounting system's corrections and statuses.

The tasks take ids and keep their state in the database; they are idempotent
by construction (leases, movement keys, change ids), hence ``acks_late``: a
worker killed mid-task leaves its message to be delivered again.
"""

from datetime import timedelta

from celery import current_app, shared_task

# The outbox and the client are imported inside the tasks: this module is
# imported from settings for BEAT_SCHEDULE, before Django's models are loaded.


@shared_task(name="erp_sync.deliver_outbox", acks_late=True, ignore_result=True, reject_on_worker_lost=True)
def deliver_outbox_task(account_id):
    """Send one customer's pending movements; schedules its own retry after a failure."""
    from erp_sync.outbox import deliver_account

    result = deliver_account(account_id)
    # Eagerly run tasks ignore countdowns: retries are left to the sweep then.
    if not current_app.conf.task_always_eager:
        if result.more:
            deliver_outbox_task.apply_async((account_id,))
        elif result.retry_at is not None:
            deliver_outbox_task.apply_async((account_id,), eta=result.retry_at)
    return result.delivered


def deliver_after_commit(account_ids):
    """Queue a delivery for each of ``account_ids`` once the current transaction commits."""
    from django.db import transaction

    accounts = list(account_ids)

    def kick():
        for account_id in accounts:
            deliver_outbox_task.delay(account_id)

    transaction.on_commit(kick)


@shared_task(name="erp_sync.sweep_outbox", acks_late=True, ignore_result=True)
def sweep_outbox_task():
    """Queue a delivery for every customer with movements due; returns how many."""
    from erp_sync.outbox import due_accounts

    accounts = due_accounts()
    for account_id in accounts:
        deliver_outbox_task.delay(account_id)
    return len(accounts)


@shared_task(name="erp_sync.pull_erp_changes", acks_late=True, ignore_result=True)
def pull_erp_changes_task():
    """Apply the accounting system's new corrections and statuses; returns how many."""
    from erp_sync.soap.changes import pull_corrections, pull_statuses
    from erp_sync.soap.client import ErpNotConfigured

    try:
        return pull_corrections() + pull_statuses()
    except ErpNotConfigured:
        return 0


BEAT_SCHEDULE = {
    "erp-sync-sweep-outbox": {
        "task": "erp_sync.sweep_outbox",
        "schedule": timedelta(minutes=1),
    },
    "erp-sync-pull-erp-changes": {
        "task": "erp_sync.pull_erp_changes",
        "schedule": timedelta(minutes=5),
    },
}
