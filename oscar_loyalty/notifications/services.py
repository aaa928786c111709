"""Queueing notifications: the one way rows get into the outbox.

Every function here writes ``Notification`` rows in a transaction and
enqueues their delivery with ``transaction.on_commit``, so a rolled-back
transaction sends nothing. A row's key is unique: the same event queued
twice (a signal sent again, a beat task run twice, two workers at once) is
still one row per channel, and delivery sends a row at most once.

A channel the customer turned off, or SMS without a phone number, gets a
row too, marked skipped with the reason, so staff can see why nothing was
sent.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from oscar.core.loading import get_model

# shop_channels and skip_reason live in ``channels`` (the delivery needs them too) and stay importable from here.
from oscar_loyalty.notifications.channels import message_language, shop_channels, skip_reason, supported_language
from oscar_loyalty.notifications.signals import notifications_queued
from oscar_loyalty.settings import loyalty_settings

Notification = get_model("oscar_loyalty", "Notification")
NotificationPreference = get_model("oscar_loyalty", "NotificationPreference")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")
Lot = get_model("oscar_loyalty", "Lot")
CampaignAward = get_model("oscar_loyalty", "CampaignAward")
CampaignRule = get_model("oscar_loyalty", "CampaignRule")

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# A row never tried this long after it was queued, or not tried again this
# long after its last attempt, has lost its task (the broker was down at
# commit, a worker died): the sweeper enqueues it again. Longer than the
# task's longest retry countdown.
LOST_AFTER_QUEUED = timedelta(minutes=10)
LOST_AFTER_ATTEMPT = timedelta(hours=1)


__all__ = [
    "enqueue",
    "message_language",
    "notify",
    "notify_accrued",
    "notify_activations",
    "notify_adjusted",
    "notify_tier_downgraded",
    "notify_tier_upgraded",
    "notify_welcome",
    "remember_language",
    "requeue_lost",
    "shop_channels",
    "skip_reason",
    "warn_expiring_lots",
]


def remember_language(user, code):
    """Keep the language a customer uses the site in: the messages sent to them later are written in it.

    One query when it has not changed (the usual case), a write only when it
    has; a language the shop does not offer is ignored.
    """
    language = supported_language(code)
    if not language or user is None or not getattr(user, "is_authenticated", False):
        return
    stored = NotificationPreference.objects.filter(user=user).values_list("language", flat=True)
    current = stored.first()
    if current == language:
        return
    if current is None:
        NotificationPreference.objects.get_or_create(user=user, defaults={"language": language})
    else:
        NotificationPreference.objects.filter(user=user).update(language=language)


# --- One event ---------------------------------------------------------------


def notify(user, event, *, key, context=None, occurred_at=None, now=None):
    """Queue ``event`` for ``user`` on each of the shop's channels; returns the rows.

    ``key`` names the event (``accrued:<lot id>``); each channel's row is
    keyed ``<key>:<channel>``. Call it inside the transaction that causes the
    event, or on its own (it opens its own). A row already queued under the
    key is returned as it is, and not sent again. An event that
    ``occurred_at`` longer than ``OSCAR_LOYALTY_NOTICE_MAX_AGE_DAYS`` ago
    (recorded with a date in the past) queues nothing. The rows are written
    in the customer's language (see ``message_language``).
    """
    user_id = getattr(user, "pk", user)
    now = now or timezone.now()
    if not shop_channels() or (occurred_at is not None and occurred_at < _oldest_news(now)):
        return []
    preference = NotificationPreference.objects.filter(user_id=user_id).first()
    rows, queued = [], []
    with transaction.atomic():
        for channel in shop_channels():
            reason = skip_reason(preference, channel)
            row, created = Notification.objects.get_or_create(
                key=f"{key}:{channel}",
                defaults={
                    "user_id": user_id,
                    "event": event,
                    "channel": channel,
                    "context": context or {},
                    "language": message_language(preference),
                    "status": Notification.SKIPPED if reason else Notification.PENDING,
                    "last_error": reason,
                    "created_at": now,
                },
            )
            rows.append(row)
            if created and row.status == Notification.PENDING:
                queued.append(row.pk)
        _enqueue_on_commit(queued)
    return rows


def notify_welcome(user):
    """Welcome to the program, naming the welcome bonus if one was credited on registration."""
    return notify(user, Notification.WELCOME, key=f"welcome:{user.pk}", context={"points": welcome_points(user)})


def welcome_points(user):
    """Points the welcome bonus credited, under ``welcome:<customer>`` (a campaign rule's lot adds ``:rule:<id>``)."""
    keys = Q(key=f"welcome:{user.pk}") | Q(key__startswith=f"welcome:{user.pk}:")
    entries = JournalEntry.objects.filter(keys, account__user=user, kind=JournalEntry.ACCRUAL)
    return sum(entries.values_list("points", flat=True))


def notify_accrued(lot):
    """Points credited as ``lot``: how many, for what, and from when they can be spent."""
    if not shop_channels():
        return []
    user_id = lot.account.user_id
    if user_id is None or named_by_the_welcome(lot):
        return []
    # What the lot holds for the customer once the transaction that wrote it
    # ends: an order returned in part before it earned gives back that share
    # at once, and one returned in full has nothing to announce.
    points = Lot.objects.filter(pk=lot.pk).values_list("points", "reversed_points").first()
    points = points[0] - points[1] if points else lot.points
    if points <= 0:
        return []
    context = {
        "points": points,
        "order_number": lot.order_number,
        "pending": lot.status == Lot.PENDING,
        "available_at": lot.available_at,
        "expires_at": lot.expires_at,
    }
    return notify(user_id, Notification.ACCRUED, key=f"accrued:{lot.pk}", context=context, occurred_at=lot.created_at)


def named_by_the_welcome(lot):
    """Whether ``lot`` is a welcome bonus credited on registration: the welcome message names it, once is enough."""
    return (
        lot.origin == Lot.CAMPAIGN
        and not loyalty_settings.WELCOME_AFTER_FIRST_ORDER
        and CampaignAward.objects.filter(lot_id=lot.pk, event=CampaignRule.REGISTRATION).exists()
    )


def notify_tier_upgraded(change, user, old_tier, new_tier):
    if user is None or new_tier is None:
        return []
    context = {
        "tier": new_tier.name,
        "old_tier": old_tier.name if old_tier is not None else "",
        "cashback_percent": new_tier.cashback_percent,
        "max_share_percent": new_tier.max_share_percent,
    }
    return notify(
        user, Notification.TIER_UPGRADED, key=f"tier:{change.pk}", context=context, occurred_at=change.created_at
    )


def notify_tier_downgraded(change, user, old_tier, new_tier):
    """The tier in effect went down: it decayed, or a pin ended. ``new_tier`` may be None (no tier at all)."""
    if user is None or old_tier is None:
        return []
    context = {
        "tier": new_tier.name if new_tier is not None else "",
        "old_tier": old_tier.name,
        "cashback_percent": new_tier.cashback_percent if new_tier is not None else None,
        "max_share_percent": new_tier.max_share_percent if new_tier is not None else None,
    }
    return notify(
        user, Notification.TIER_DOWNGRADED, key=f"tier:{change.pk}", context=context, occurred_at=change.created_at
    )


def notify_adjusted(entry):
    """A manual adjustment by staff (not a correction from the accounting system), unless turned off."""
    if not loyalty_settings.NOTIFY_ADJUSTMENTS or entry.kind != JournalEntry.ADJUSTMENT:
        return []
    user_id = entry.account.user_id
    if user_id is None:
        return []
    context = {"points": entry.points, "reason": entry.reason}
    if entry.points > 0 and entry.lot is not None:
        context.update(
            pending=entry.lot.status == Lot.PENDING,
            available_at=entry.lot.available_at,
            expires_at=entry.lot.expires_at,
        )
    return notify(
        user_id, Notification.ADJUSTED, key=f"adjusted:{entry.pk}", context=context, occurred_at=entry.created_at
    )


# --- Beat passes: set-based ------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """A notification to queue, unless one with its key exists; ``skip`` queues it as skipped."""

    user_id: int
    key: str
    context: dict = field(default_factory=dict)
    skip: str = ""


def notify_activations(now=None):
    """Announce points that became available since the last run. Returns the number of lots announced.

    Activations are written set-based by the ledger's beat pass (and by each
    account's settlement), so they are found here afterwards: activation
    entries of the last ``OSCAR_LOYALTY_NOTICE_MAX_AGE_DAYS`` whose lot is
    still spendable and has no notification yet.
    """
    now = now or timezone.now()
    channels = shop_channels()
    if not channels:
        return 0
    since = _oldest_news(now)
    entries = (
        JournalEntry.objects.filter(
            kind=JournalEntry.ACTIVATION,
            created_at__gt=since,
            created_at__lte=now,
            account__user__isnull=False,
            lot__status=Lot.ACTIVE,
            lot__remaining__gt=0,
        )
        .exclude(_queued_already("available:", "lot_id", f":{channels[0]}"))
        .order_by("pk")
        .values_list("account__user_id", "lot_id", "available_change", "order_number", "lot__expires_at")
    )
    drafts = [
        Draft(
            user_id,
            f"available:{lot_id}",
            {"points": points, "order_number": order_number, "expires_at": expires_at},
        )
        for user_id, lot_id, points, order_number, expires_at in entries
    ]
    _queue(Notification.AVAILABLE, drafts, now)
    return len(drafts)


def warn_expiring_lots(now=None):
    """Warn customers of points about to expire: one message per customer, threshold and day. Returns how many.

    For each threshold of ``OSCAR_LOYALTY_EXPIRY_WARNING_DAYS`` (30 and 10
    days) a customer is warned when one of their live lots has entered the
    threshold's window and no earlier warning for that threshold covered it.
    The message adds up all their live points expiring within the threshold
    and names the first date ("1,250 bonus points expire within 30 days, the
    first of them on 12 January"); it records the lots it covered, so each lot
    is warned once per threshold.

    A message is keyed ``expiring:<customer>:<days>:<date>`` (the shop's
    local date), so a second run the same day sends nothing more: a lot that
    enters the window after that day's message waits for the next day's,
    which counts it with the others. A lot first seen inside a smaller window
    (accrued with a short life, or the task did not run) gets only that
    window's warning: each threshold looks only at the lots beyond the
    smaller ones.
    """
    now = now or timezone.now()
    channels = shop_channels()
    thresholds = sorted({int(days) for days in loyalty_settings.EXPIRY_WARNING_DAYS if int(days) > 0})
    if not channels or not thresholds:
        return 0
    today = timezone.localdate(now).isoformat()
    live = Lot.objects.filter(
        status__in=[Lot.PENDING, Lot.ACTIVE], remaining__gt=0, expires_at__gt=now, account__user__isnull=False
    )
    warned = 0
    lower = now
    for days in thresholds:
        upper = now + timedelta(days=days)
        entered = defaultdict(set)
        band = live.filter(expires_at__gt=lower, expires_at__lte=upper).values_list("account__user_id", "pk")
        for user_id, lot_id in band.iterator(chunk_size=2000):
            entered[user_id].add(lot_id)
        lower = upper
        users = sorted(entered)
        for start in range(0, len(users), BATCH_SIZE):
            batch = users[start : start + BATCH_SIZE]
            covered, warned_today = _expiry_warnings(batch, days, today, since=now - timedelta(days=days))
            due = [user_id for user_id in batch if user_id not in warned_today and entered[user_id] - covered[user_id]]
            drafts = _expiry_drafts(live.filter(expires_at__lte=upper), due, days, today)
            _queue(Notification.EXPIRING, drafts, now)
            warned += len(drafts)
    return warned


def _expiry_warnings(user_ids, days, today, *, since):
    """The lots the customers' warnings for ``days`` since ``since`` covered, and who was warned ``today``."""
    covered, warned_today = defaultdict(set), set()
    rows = Notification.objects.filter(
        user_id__in=user_ids, event=Notification.EXPIRING, created_at__gte=since
    ).values_list("user_id", "key", "context")
    for user_id, key, context in rows:
        context = context or {}
        if context.get("days") != days:
            continue
        parts = key.split(":")
        if "lots" in context:
            covered[user_id].update(context["lots"])
            if parts[3] == today:
                warned_today.add(user_id)
        elif len(parts) == 4 and parts[1].isdigit():
            # A warning from before the digest: ``expiring:<lot>:<days>:<channel>``.
            covered[user_id].add(int(parts[1]))
    return covered, warned_today


def _expiry_drafts(lots, user_ids, days, today):
    """One draft per customer: the sum of their ``lots`` and the first and last of their dates."""
    by_user = defaultdict(list)
    rows = lots.filter(account__user_id__in=user_ids).order_by("expires_at", "pk")
    for user_id, lot_id, remaining, expires_at in rows.values_list("account__user_id", "pk", "remaining", "expires_at"):
        by_user[user_id].append((lot_id, remaining, expires_at))
    drafts = []
    for user_id in user_ids:
        own = by_user[user_id]
        first, last = own[0][2], own[-1][2]
        context = {
            "points": sum(remaining for _lot, remaining, _at in own),
            "days": days,
            "expires_at": first,
            "last_expires_at": last,
            "one_day": timezone.localdate(first) == timezone.localdate(last),
            "lots": [lot_id for lot_id, _remaining, _at in own],
        }
        drafts.append(Draft(user_id, f"expiring:{user_id}:{days}:{today}", context))
    return drafts


def requeue_lost(now=None, *, limit=1000):
    """Enqueue again the pending notifications whose delivery task was lost. Returns how many."""
    now = now or timezone.now()
    lost = (
        Notification.objects.filter(status=Notification.PENDING)
        .filter(
            Q(last_attempt_at__isnull=True, created_at__lte=now - LOST_AFTER_QUEUED)
            | Q(last_attempt_at__lte=now - LOST_AFTER_ATTEMPT)
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    ids = list(lost)
    enqueue(ids)
    return len(ids)


# --- Internals ---------------------------------------------------------------------


def enqueue(ids):
    """Announce the rows ready to be sent; the receiver in ``receivers`` hands them to Celery.

    A row the broker refuses stays pending for the sweeper (``requeue_lost``).
    """
    if ids:
        notifications_queued.send(sender=Notification, ids=list(ids))


def _enqueue_on_commit(ids):
    if ids:
        ids = list(ids)
        transaction.on_commit(lambda: enqueue(ids))


def _queue(event, drafts, now):
    """Insert the drafts' rows in batches (existing keys are left alone) and enqueue the new pending ones."""
    channels = shop_channels()
    for start in range(0, len(drafts), BATCH_SIZE):
        batch = drafts[start : start + BATCH_SIZE]
        preferences = {
            preference.user_id: preference
            for preference in NotificationPreference.objects.filter(user_id__in={draft.user_id for draft in batch})
        }
        rows = []
        for draft in batch:
            for channel in channels:
                reason = draft.skip or skip_reason(preferences.get(draft.user_id), channel)
                rows.append(
                    Notification(
                        user_id=draft.user_id,
                        event=event,
                        channel=channel,
                        key=f"{draft.key}:{channel}",
                        context=draft.context,
                        language=message_language(preferences.get(draft.user_id)),
                        status=Notification.SKIPPED if reason else Notification.PENDING,
                        last_error=reason,
                        created_at=now,
                    )
                )
        with transaction.atomic():
            Notification.objects.bulk_create(rows, ignore_conflicts=True)
            # The rows this run inserted: a concurrent run's rows carry its own ``now``.
            pending_keys = [row.key for row in rows if row.status == Notification.PENDING]
            inserted = Notification.objects.filter(
                key__in=pending_keys, status=Notification.PENDING, attempts=0, created_at=now
            ).values_list("pk", flat=True)
            _enqueue_on_commit(list(inserted))


def _queued_already(prefix, outer_field, suffix):
    """A subquery: does the row keyed ``<prefix><outer id><suffix>`` exist? (One index lookup.)"""
    key = Concat(Value(prefix), Cast(OuterRef(outer_field), CharField()), Value(suffix), output_field=CharField())
    return Exists(Notification.objects.filter(key=key))


def _oldest_news(now):
    return now - timedelta(days=loyalty_settings.NOTICE_MAX_AGE_DAYS)
