"""Send movements as soon as their transaction commits, rather than at the next sweep.

Only a shortcut: the outbox rows exist whether or not these run (a trigger
writes them), and the beat sweep delivers whatever these miss, such as the
movements of database-side ledger functions that send no signal.

``deliveries_held()`` turns the shortcut off for a bulk load.
"""

import contextvars
import logging
from contextlib import contextmanager

from django.dispatch import receiver
from oscar.core.loading import get_model

from erp_sync.soap.settings import soap_settings
from oscar_loyalty import signals

logger = logging.getLogger("erp_sync.soap")

JournalEntry = get_model("oscar_loyalty", "JournalEntry")

_held = contextvars.ContextVar("erp_sync_deliveries_held", default=False)


@contextmanager
def deliveries_held():
    """Movements committed inside wait in the outbox rather than being sent as each transaction commits.

    For bulk loads, such as a demo's data loaded before the accounting system
    is up: no delivery is attempted, so none fails. The rows are in the outbox
    all the same (the journal's trigger writes them); the beat's sweep, staff's
    "Send waiting movements now" or the customer's next movement sends them.
    """
    token = _held.set(True)
    try:
        yield
    finally:
        _held.reset(token)


def _kick(account_ids):
    if not soap_settings.SOAP_URL or _held.get():
        return
    from erp_sync.tasks import deliver_outbox_task

    for account_id in sorted(set(account_ids)):
        try:
            deliver_outbox_task.delay(account_id)
        except Exception:
            # The broker is down: the sweep sends the movements later.
            logger.warning("Could not queue the delivery of account %s", account_id, exc_info=True)


def _sweep():
    if not soap_settings.SOAP_URL or _held.get():
        return
    from erp_sync.tasks import sweep_outbox_task

    try:
        sweep_outbox_task.delay()
    except Exception:
        logger.warning("Could not queue an outbox sweep", exc_info=True)


@receiver(signals.points_accrued, dispatch_uid="erp_sync_accrued")
def on_accrued(sender, lot, **kwargs):
    _kick([lot.account_id])


@receiver(signals.points_captured, dispatch_uid="erp_sync_captured")
@receiver(signals.points_released, dispatch_uid="erp_sync_released")
def on_reservation(sender, reservation, **kwargs):
    _kick([reservation.account_id])


@receiver(signals.points_adjusted, dispatch_uid="erp_sync_adjusted")
def on_adjusted(sender, entry, **kwargs):
    if entry.kind != JournalEntry.ERP_CORRECTION:
        _kick([entry.account_id])


@receiver(signals.order_reversed, dispatch_uid="erp_sync_reversed")
def on_reversed(sender, reversal, **kwargs):
    if soap_settings.SOAP_URL:
        _kick(JournalEntry.objects.filter(reversal=reversal).values_list("account_id", flat=True))


@receiver(signals.lots_expired, dispatch_uid="erp_sync_expired")
@receiver(signals.reservations_released, dispatch_uid="erp_sync_stale_released")
def on_batch(sender, **kwargs):
    _sweep()
