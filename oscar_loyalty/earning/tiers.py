"""Customer tiers: qualification by purchase volume, pins, downgrades, and their history."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from oscar_loyalty import signals
from oscar_loyalty.ledger.accounts import open_account
from oscar_loyalty.ledger.exceptions import InvalidOperation
from oscar_loyalty.ledger.people import actor_of, clip, display_name, user_id_of
from oscar_loyalty.settings import loyalty_settings

Tier = get_model("oscar_loyalty", "Tier")
CustomerTier = get_model("oscar_loyalty", "CustomerTier")
TierChange = get_model("oscar_loyalty", "TierChange")
QualifyingPurchase = get_model("oscar_loyalty", "QualifyingPurchase")


def qualifying_tier(tiers, volume):
    """The highest tier whose threshold ``volume`` reaches (tiers in any order), or None."""
    reached = [tier for tier in tiers if tier.threshold <= volume]
    return max(reached, key=lambda tier: (tier.threshold, tier.sort_order), default=None)


def rank(tier):
    return (-1, 0) if tier is None else (tier.threshold, tier.sort_order)


def all_tiers():
    return list(Tier.objects.all())


def top_tier(tiers=None):
    tiers = all_tiers() if tiers is None else tiers
    return max(tiers, key=rank, default=None)


def tier_for(user, *, now=None, tier_list=None):
    """The tier in effect for a customer (a pinned one wins); the entry tier for one without a record.

    One query with ``tier_list`` (e.g. tiers cached for a page), two at most without.
    """
    now = now or timezone.now()
    if user is None or not getattr(user, "is_authenticated", True):
        return None
    state = CustomerTier.objects.select_related("tier", "pinned_tier").filter(user_id=user_id_of(user)).first()
    if state is not None and state.effective_tier(now) is not None:
        return state.effective_tier(now)
    return qualifying_tier(all_tiers() if tier_list is None else tier_list, Decimal(0))


def purchase_volume(user_id, *, now):
    """Paid purchases less returns, over the qualification window (lifetime if none is set)."""
    purchases = QualifyingPurchase.objects.filter(user_id=user_id)
    window = loyalty_settings.TIER_WINDOW_DAYS
    if window:
        purchases = purchases.filter(placed_at__gt=now - timedelta(days=window))
    total = purchases.aggregate(volume=Sum(F("amount") - F("returned")))["volume"]
    return total or Decimal("0.00")


def _lock_state(user_id):
    """The customer's tier row, locked; a new customer starts in the entry tier."""
    state = CustomerTier.objects.select_for_update().filter(user_id=user_id).first()
    if state is None:
        # A customer with a tier record has a points account: the KPI page's tier counts rest on it.
        open_account(user_id)
        entry = qualifying_tier(all_tiers(), Decimal(0))
        state, _created = CustomerTier.objects.select_for_update().get_or_create(
            user_id=user_id, defaults={"tier": entry}
        )
    return state


def next_tier(tiers, current, volume, last_purchase_at, *, now, inactivity_days, lower_by_volume, lower_by_inactivity):
    """Pure: the tier a customer's purchases earn them now, starting from ``current``.

    A higher tier is always given. After ``inactivity_days`` (None: never)
    without a purchase the customer drops to the entry tier if
    ``lower_by_inactivity``; otherwise a volume below the current tier's
    threshold lowers it only if ``lower_by_volume``.
    """
    inactive = bool(inactivity_days) and (
        last_purchase_at is None or last_purchase_at <= now - timedelta(days=inactivity_days)
    )
    new = qualifying_tier(tiers, Decimal(0) if inactive else volume)
    if rank(new) > rank(current) or (lower_by_inactivity if inactive else lower_by_volume):
        return new
    return current


def recompute_tier(user, *, reason, now=None, allow_downgrade=True, source=None):
    """Re-read the customer's purchase volume and move their computed tier to match.

    An upgrade always happens; a lower tier only with ``allow_downgrade``
    (purchases undone by cancellations and returns always allow it; decay
    over time depends on ``OSCAR_LOYALTY_TIER_DOWNGRADE``). Returns the
    ``TierChange`` written, or None.
    """
    now = now or timezone.now()
    with transaction.atomic():
        state = _lock_state(user_id_of(user))
        change = _recompute_locked(
            state,
            now=now,
            lower_by_volume=allow_downgrade,
            lower_by_inactivity=allow_downgrade,
            source=source or TierChange.PURCHASES,
            reason=reason,
        )
        state.save()
    return change


def _recompute_locked(state, *, now, lower_by_volume, lower_by_inactivity, source, reason, announce=True):
    """Refresh the locked ``state``'s volume and move its computed tier; returns the ``TierChange`` or None."""
    state.volume = purchase_volume(state.user_id, now=now)
    state.last_purchase_at = _last_purchases([state.user_id]).get(state.user_id)
    old = state.tier
    new = next_tier(
        all_tiers(),
        old,
        state.volume,
        state.last_purchase_at,
        now=now,
        inactivity_days=loyalty_settings.TIER_INACTIVITY_DAYS,
        lower_by_volume=lower_by_volume,
        lower_by_inactivity=lower_by_inactivity,
    )
    if new == old:
        return None
    before = state.effective_tier(now)
    state.tier = new
    return _record(state, old, new, source, "", reason, now, before=before, announce=announce)


def pin_tier(user, tier, *, actor, reason, until=None, source=None, now=None):
    """Pin a tier (staff or the accounting system); it wins over the computed one until ``until``."""
    now = now or timezone.now()
    if until is not None and until <= now:
        raise InvalidOperation(_("A pin must end in the future."))
    if not (reason or "").strip():
        raise InvalidOperation(_("Pinning a tier needs a reason."))
    _actor_user, actor_name = actor_of(actor)
    with transaction.atomic():
        state = _lock_state(user_id_of(user))
        before = state.effective_tier(now)
        state.pinned_tier = tier
        state.pinned_until = until
        state.pinned_by = actor_name
        state.save()
        return _record(state, before, tier, source or TierChange.STAFF, actor_name, reason, now, before=before)


def unpin_tier(user, *, actor, reason, now=None, source=None):
    now = now or timezone.now()
    _actor_user, actor_name = actor_of(actor)
    with transaction.atomic():
        state = _lock_state(user_id_of(user))
        before = state.effective_tier(now)
        state.pinned_tier = None
        state.pinned_until = None
        state.pinned_by = ""
        state.save()
        return _record(state, before, state.tier, source or TierChange.STAFF, actor_name, reason, now, before=before)


@dataclass(frozen=True)
class TierReview:
    """What the beat's pass finds for one customer; ``changes`` is the number of ``TierChange`` rows it writes."""

    user_id: int
    customer_name: str
    old_tier: object  # the tier their purchases earned so far
    new_tier: object  # the tier their purchases earn now
    ended_pin: object = None  # the pinned tier whose time is up, if any

    @property
    def changes(self):
        return int(self.ended_pin is not None) + int(self.new_tier != self.old_tier)

    def lines(self):
        """The changes as the command prints them, the same for a dry run and a real one."""
        if self.ended_pin is not None:
            yield describe(self.customer_name, self.ended_pin, self.old_tier, pin_ended_reason())
        if self.new_tier != self.old_tier:
            yield describe(self.customer_name, self.old_tier, self.new_tier, decay_reason())


def describe(customer_name, old, new, reason):
    return f"{customer_name}: {old.name if old else '-'} -> {new.name if new else '-'} ({reason})"


def pin_ended_reason():
    return _("The pinned tier ended.")


def decay_reason():
    return _("Purchase volume re-evaluated.")


def review_tiers(*, now=None, batch_size=1000):
    """The changes the beat's pass would make, read without a lock or a write: a list of ``TierReview``.

    Only customers with a change are listed: a pin whose time is up, or a
    computed tier that rises, or falls by decay (``OSCAR_LOYALTY_TIER_DOWNGRADE``
    over ``OSCAR_LOYALTY_TIER_WINDOW_DAYS``) or by inactivity
    (``OSCAR_LOYALTY_TIER_INACTIVITY_DAYS``). A few queries per
    ``batch_size`` customers.
    """
    now = now or timezone.now()
    return [review for review in _reviews(now, batch_size) if review.changes]


def evaluate_tiers(*, now=None):
    """The beat task's pass: let tiers decay over the window or after inactivity, and end expired pins.

    Every change is recorded as a ``TierChange`` (an ended pin too, even when
    the tier it leaves is the same), and a lower tier in effect is announced
    to the customer once per customer and pass. Each customer found by
    ``review_tiers`` is re-read under their row's lock before anything is
    written, so the pass is safe to run twice at once. Returns the number of
    tier changes written.
    """
    return len(apply_tier_changes(now=now))


def apply_tier_changes(*, now=None):
    """``evaluate_tiers``, returning the ``TierChange`` rows written."""
    now = now or timezone.now()
    written = []
    decays = _decays()
    for review in _reviews(now, 1000):
        with transaction.atomic():
            state = _lock_state(review.user_id)
            changes = []
            before = state.effective_tier(now)
            ended = _ended_pin(state, now)
            if ended is not None:
                before = ended
                state.pinned_tier, state.pinned_until, state.pinned_by = None, None, ""
                changes.append(
                    _record(state, ended, state.tier, TierChange.DOWNGRADE, "", pin_ended_reason(), now, announce=False)
                )
            if decays:
                change = _recompute_locked(
                    state,
                    now=now,
                    lower_by_volume=loyalty_settings.TIER_DOWNGRADE,
                    lower_by_inactivity=True,
                    source=TierChange.DOWNGRADE,
                    reason=decay_reason(),
                    announce=False,
                )
                if change is not None:
                    changes.append(change)
            state.save()
            if changes:
                # One message for the pass, from the tier the customer had to the one they have now.
                _announce(changes[-1], state.user, before, state.effective_tier(now))
            written.extend(changes)
    return written


def _ended_pin(state, now):
    """The pinned tier whose time is up (the pass clears it), or None."""
    if state.pinned_tier_id and state.pinned_until and state.pinned_until <= now:
        return state.pinned_tier
    return None


def _decays():
    return bool(loyalty_settings.TIER_DOWNGRADE or loyalty_settings.TIER_INACTIVITY_DAYS)


def _reviews(now, batch_size):
    """A ``TierReview`` per customer the pass must look at under a lock (changes, or a stale stored volume)."""
    decays = _decays()
    tiers = all_tiers()
    states = CustomerTier.objects.select_related("tier", "pinned_tier", "user").order_by("user_id")
    if not decays:
        states = states.filter(pinned_until__lte=now)
    last_id = 0
    while True:
        batch = list(states.filter(user_id__gt=last_id)[:batch_size])
        if not batch:
            return
        last_id = batch[-1].user_id
        ids = [state.user_id for state in batch]
        volumes = _volumes(ids, now) if decays else {}
        last_purchases = _last_purchases(ids) if decays else {}
        for state in batch:
            ended = _ended_pin(state, now)
            new = state.tier
            stale = False
            if decays:
                volume = volumes.get(state.user_id, Decimal("0.00"))
                last_purchase_at = last_purchases.get(state.user_id)
                new = next_tier(
                    tiers,
                    state.tier,
                    volume,
                    last_purchase_at,
                    now=now,
                    inactivity_days=loyalty_settings.TIER_INACTIVITY_DAYS,
                    lower_by_volume=loyalty_settings.TIER_DOWNGRADE,
                    lower_by_inactivity=True,
                )
                stale = volume != state.volume or last_purchase_at != state.last_purchase_at
            review = TierReview(state.user_id, display_name(state.user), state.tier, new, ended)
            if review.changes or stale:
                yield review


def _volumes(user_ids, now):
    """Each customer's ``purchase_volume``, in one query."""
    purchases = QualifyingPurchase.objects.filter(user_id__in=user_ids)
    window = loyalty_settings.TIER_WINDOW_DAYS
    if window:
        purchases = purchases.filter(placed_at__gt=now - timedelta(days=window))
    totals = purchases.order_by().values("user_id").annotate(volume=Sum(F("amount") - F("returned")))
    return {row["user_id"]: row["volume"] for row in totals}


def _last_purchases(user_ids):
    """When each customer last bought something they kept, in one query."""
    kept = QualifyingPurchase.objects.filter(user_id__in=user_ids, returned__lt=F("amount"))
    return dict(kept.order_by().values("user_id").annotate(last=Max("placed_at")).values_list("user_id", "last"))


def _record(state, old, new, source, actor_name, reason, now, *, before=None, announce=True):
    """Write the tier change, and (with ``announce``) tell listeners once the transaction commits."""
    user = state.user
    change = TierChange.objects.create(
        user=user,
        customer_name=display_name(user),
        old_tier=old,
        new_tier=new,
        source=source,
        actor_name=actor_name,
        reason=clip(reason),
        created_at=now,
    )
    if announce:
        _announce(change, user, old if before is None else before, state.effective_tier(now))
    return change


def _announce(change, user, before, effective):
    """Send ``tier_changed`` after the commit if the tier in effect moved from ``before`` to ``effective``."""
    if effective != before:
        transaction.on_commit(
            lambda: signals.tier_changed.send_robust(
                sender=TierChange,
                change=change,
                user=user,
                old_tier=before,
                new_tier=effective,
                upgrade=rank(effective) > rank(before),
            )
        )
