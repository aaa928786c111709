"""Customer tiers: qualification by purchase volume, pins, downgrades, and their history."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from oscar_loyalty import signals
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
        entry = qualifying_tier(all_tiers(), Decimal(0))
        state, _created = CustomerTier.objects.select_for_update().get_or_create(
            user_id=user_id, defaults={"tier": entry}
        )
    return state


def recompute_tier(user, *, reason, now=None, allow_downgrade=True, source=None):
    """Re-read the customer's purchase volume and move their computed tier to match.

    An upgrade always happens; a lower tier only with ``allow_downgrade``
    (purchases undone by cancellations and returns always allow it; decay
    over time depends on ``OSCAR_LOYALTY_TIER_DOWNGRADE``). Returns the
    ``TierChange`` written, or None.
    """
    now = now or timezone.now()
    user_id = user_id_of(user)
    with transaction.atomic():
        state = _lock_state(user_id)
        state.volume = purchase_volume(user_id, now=now)
        last = QualifyingPurchase.objects.filter(user_id=user_id, returned__lt=F("amount")).order_by("-placed_at")
        state.last_purchase_at = last.values_list("placed_at", flat=True).first()
        tiers = all_tiers()
        new = qualifying_tier(tiers, state.volume)
        inactivity = loyalty_settings.TIER_INACTIVITY_DAYS
        if inactivity and (
            state.last_purchase_at is None or state.last_purchase_at <= now - timedelta(days=inactivity)
        ):
            new = qualifying_tier(tiers, Decimal(0))
        old = state.tier
        change = None
        if new != old and (rank(new) > rank(old) or allow_downgrade):
            before = state.effective_tier(now)
            state.tier = new
            change = _record(state, old, new, source or TierChange.PURCHASES, "", reason, now, before=before)
        state.save()
    return change


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


def evaluate_tiers(*, now=None):
    """The beat task's pass: let tiers decay over the window or after inactivity, and end expired pins.

    Returns the number of tier changes written.
    """
    now = now or timezone.now()
    changes = 0
    decays = loyalty_settings.TIER_DOWNGRADE or loyalty_settings.TIER_INACTIVITY_DAYS
    states = CustomerTier.objects.all()
    if not decays:
        states = states.filter(pinned_until__lte=now)
    for user_id in states.values_list("user_id", flat=True).order_by("user_id"):
        with transaction.atomic():
            state = _lock_state(user_id)
            if state.pinned_tier_id and state.pinned_until and state.pinned_until <= now:
                before = state.pinned_tier
                state.pinned_tier, state.pinned_until, state.pinned_by = None, None, ""
                state.save()
                if before != state.tier:
                    _record(
                        state,
                        before,
                        state.tier,
                        TierChange.DOWNGRADE,
                        "",
                        _("The pinned tier ended."),
                        now,
                        before=before,
                    )
                    changes += 1
            if decays:
                changes += bool(
                    recompute_tier(
                        user_id,
                        reason=_("Purchase volume re-evaluated."),
                        now=now,
                        allow_downgrade=True,
                        source=TierChange.DOWNGRADE,
                    )
                )
    return changes


def _record(state, old, new, source, actor_name, reason, now, *, before=None):
    """Write the tier change, and tell listeners once the transaction commits."""
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
    effective = state.effective_tier(now)
    before = old if before is None else before
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
    return change
