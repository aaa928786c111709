"""Delivering the outbox: every movement reaches the accounting system once, in order.

The rows are written by a database trigger with the journal entry (migration
``0002_outbox``). Delivery works one customer at a time:

1. *claim* (a short transaction): lock the customer's undelivered rows, oldest
   first; stop if the oldest is parked, backing off, or leased by another
   delivery; otherwise lease a batch (up to the first parked row) and count
   the attempt;
2. *send* the batch outside any transaction (no lock is held over the network);
3. *record* the answer under the lease: delivered rows are done, a refused
   row is parked, a failure backs the batch off exponentially and parks it
   after ``ERP_SYNC_OUTBOX_MAX_ATTEMPTS``; a row answered outside the
   contract fails the same way, alone.

A customer's later movement never goes before an earlier undelivered one: a
batch stops at the first parked row, the service stops at the first movement
it refuses, and a parked row holds back the customer's later rows until staff
retry it. A worker killed between sending and recording leaves a lease that
runs out; the next delivery sends the same keys again and the accounting
system, which applies a key once, answers "duplicate".
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from oscar.core.loading import get_model

from erp_sync.soap.client import ErpError, ErpNotConfigured, Movement, MovementResult, get_service
from erp_sync.soap.settings import soap_settings

logger = logging.getLogger("erp_sync.outbox")

OutboxMessage = get_model("erp_sync", "OutboxMessage")


@dataclass(frozen=True)
class Delivery:
    """What one call of ``deliver_account`` did."""

    delivered: int = 0
    parked: int = 0
    failed: bool = False
    retry_at: object = None  # when to try again after a failure, or None
    more: bool = False  # undelivered rows remain that could go now


def customer_code(row):
    """How the accounting system knows the customer: the user id, or the points account for a deleted user."""
    return str(row.customer_id) if row.customer_id is not None else f"account-{row.account_id}"


def backoff(attempts):
    """Seconds to wait after the ``attempts``-th failure: doubling, capped."""
    base = soap_settings.OUTBOX_BACKOFF
    return min(base * 2 ** max(attempts - 1, 0), soap_settings.OUTBOX_BACKOFF_MAX)


def claim(account_id, *, now=None):
    """Lease the customer's next batch; returns (token, rows) or (None, [])."""
    now = now or timezone.now()
    with transaction.atomic():
        queue = list(
            OutboxMessage.objects.select_for_update()
            .filter(account_id=account_id)
            .exclude(status=OutboxMessage.DELIVERED)
            .order_by("id")[: soap_settings.OUTBOX_BATCH_SIZE]
        )
        if not queue:
            return None, []
        first = queue[0]
        if first.status == OutboxMessage.PARKED:
            return None, []
        if first.locked_until is not None and first.locked_until > now:
            return None, []
        if first.next_attempt_at is not None and first.next_attempt_at > now:
            return None, []
        batch = []
        for row in queue:
            if row.status != OutboxMessage.PENDING:
                break
            batch.append(row)
        token = uuid.uuid4().hex
        OutboxMessage.objects.filter(pk__in=[row.pk for row in batch]).update(
            locked_until=now + timedelta(seconds=soap_settings.lease_seconds),
            lease_token=token,
            attempts=F("attempts") + 1,
        )
        for row in batch:
            row.attempts += 1
            row.lease_token = token
    return token, batch


def deliver_account(account_id, *, service=None, now=None, max_batches=20):
    """Send the customer's undelivered movements, batch after batch, until done or failing."""
    delivered = parked = 0
    for _batch in range(max_batches):
        token, rows = claim(account_id, now=now)
        if not rows:
            return Delivery(delivered, parked)
        try:
            client = service or get_service()
            results = client.push_movements([_movement(row) for row in rows])
        except ErpNotConfigured:
            _give_back(rows, token)
            return Delivery(delivered, parked)
        except ErpError as exc:
            logger.warning("Delivering %s movement(s) of account %s failed: %s", len(rows), account_id, exc)
            retry_at, newly_parked = _record_failure(rows, token, exc)
            return Delivery(delivered, parked + newly_parked, failed=True, retry_at=retry_at)
        recorded = _record_results(rows, token, results)
        delivered += recorded.delivered
        parked += recorded.parked
        if recorded.failed:
            return Delivery(delivered, parked, failed=True, retry_at=recorded.retry_at)
        if recorded.parked or len(rows) < soap_settings.OUTBOX_BATCH_SIZE:
            return Delivery(delivered, parked)
    return Delivery(delivered, parked, more=True)


def due_accounts(*, now=None, limit=None):
    """Accounts with movements that may be sent now (the sweep's work list)."""
    now = now or timezone.now()
    limit = limit or soap_settings.OUTBOX_SWEEP_LIMIT
    return list(
        OutboxMessage.objects.filter(status=OutboxMessage.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .order_by("account_id")
        .values_list("account_id", flat=True)
        .distinct()[:limit]
    )


def retry_parked(queryset, *, now=None):
    """Staff's retry: parked rows wait for delivery again with a fresh count; returns their accounts."""
    with transaction.atomic():
        rows = list(queryset.select_for_update().filter(status=OutboxMessage.PARKED).values_list("pk", "account_id"))
        OutboxMessage.objects.filter(pk__in=[pk for pk, _account in rows]).update(
            status=OutboxMessage.PENDING, attempts=0, next_attempt_at=None, locked_until=None, lease_token=""
        )
    return sorted({account for _pk, account in rows})


def retried_message(count):
    """What staff are told after a retry that queued the movements of ``count`` customers."""
    return ngettext(
        "Movements of %(count)d customer will be sent again.",
        "Movements of %(count)d customers will be sent again.",
        count,
    ) % {"count": count}


def redeliver_customer(account_id):
    """Send every movement of the account again (the accounting system skips the keys it has).

    Used by reconciliation: a movement the service lost, or one applied to
    another customer there, reaches it again under its key.
    """
    with transaction.atomic():
        count = (
            OutboxMessage.objects.select_for_update()
            .filter(account_id=account_id)
            .update(status=OutboxMessage.PENDING, attempts=0, next_attempt_at=None, locked_until=None, lease_token="")
        )
    return count


def stats():
    """Counts per status, for the dashboard."""
    counts = dict.fromkeys((OutboxMessage.PENDING, OutboxMessage.DELIVERED, OutboxMessage.PARKED), 0)
    for row in OutboxMessage.objects.order_by().values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


# --- Internals ---------------------------------------------------------------------


def _movement(row):
    return Movement(
        key=row.key,
        customer=customer_code(row),
        card=str(row.account_id),
        points=row.points,
        kind=row.kind,
        order=row.order_number,
        date=row.created_at,
    )


def _leased(rows, token):
    return OutboxMessage.objects.filter(pk__in=[row.pk for row in rows], lease_token=token)


def _give_back(rows, token):
    """Undo a claim that sent nothing (no service configured): the attempt does not count."""
    _leased(rows, token).update(locked_until=None, lease_token="", attempts=F("attempts") - 1)


def _fail(rows, attempts, error, *, retryable=True):
    """Record the ``attempts``-th failed delivery of ``rows`` (a queryset): back off, or park after the last.

    Returns (when to try again, how many rows were parked).
    """
    give_up = not retryable or attempts >= soap_settings.OUTBOX_MAX_ATTEMPTS
    retry_at = None if give_up else timezone.now() + timedelta(seconds=backoff(attempts))
    updated = rows.update(
        status=OutboxMessage.PARKED if give_up else OutboxMessage.PENDING,
        next_attempt_at=retry_at,
        locked_until=None,
        lease_token="",
        last_error=_("Attempt %(attempt)s: %(error)s") % {"attempt": attempts, "error": error},
    )
    return retry_at, updated if give_up else 0


def _record_failure(rows, token, exc):
    with transaction.atomic():
        return _fail(_leased(rows, token), max(row.attempts for row in rows), exc.message, retryable=exc.retryable)


def _record_results(rows, token, results):
    """Record the service's answer for a leased batch; returns a ``Delivery`` of this batch.

    The contract has four statuses, and ``skipped`` only after a movement of
    the batch was rejected. Any other answer for a movement cannot be read: it
    fails that movement's delivery (the attempt counts, it backs off, and is
    parked after the last attempt), while the movements answered within the
    contract are recorded as answered: what the service says it holds, it holds.
    """
    now = timezone.now()
    by_key = {result.key: result for result in results}
    delivered, refused, skipped, unreadable = [], [], [], []
    for row in rows:
        result = by_key[row.key]
        if result.delivered:
            delivered.append(row.pk)
        elif result.status == MovementResult.REJECTED:
            refused.append((row.pk, result.message))
        elif result.status == MovementResult.SKIPPED and refused:
            skipped.append(row.pk)
        elif result.status == MovementResult.SKIPPED:
            error = _("The accounting system skipped movement %(key)s, though no earlier movement was rejected.")
            unreadable.append((row, error % {"key": row.key}))
        else:
            error = _('The accounting system answered "%(status)s" for movement %(key)s, not a status of the contract.')
            unreadable.append((row, error % {"status": result.status, "key": row.key}))
    retry_at, failed_parked = None, 0
    with transaction.atomic():
        OutboxMessage.objects.filter(pk__in=delivered, lease_token=token).update(
            status=OutboxMessage.DELIVERED, delivered_at=now, locked_until=None, lease_token="", last_error=""
        )
        for pk, message in refused:
            OutboxMessage.objects.filter(pk=pk, lease_token=token).update(
                status=OutboxMessage.PARKED,
                locked_until=None,
                lease_token="",
                last_error=_("Refused by the accounting system: %(reason)s") % {"reason": message or "-"},
            )
        # Held back behind a refused movement: not their failure. The refused one is parked and holds
        # them back, so they are not sent again until staff retry it.
        OutboxMessage.objects.filter(pk__in=skipped, lease_token=token).update(
            locked_until=None, lease_token="", attempts=F("attempts") - 1
        )
        # Newest first, so the pause returned is the oldest's: that row holds back the customer's delivery.
        for row, error in reversed(unreadable):
            logger.warning("Delivering movement %s of account %s failed: %s", row.key, row.account_id, error)
            retry_at, parked = _fail(OutboxMessage.objects.filter(pk=row.pk, lease_token=token), row.attempts, error)
            failed_parked += parked
    return Delivery(len(delivered), len(refused) + failed_parked, failed=bool(unreadable), retry_at=retry_at)
