"""How far a customer is from their next tier."""

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.utils import timezone

from oscar_loyalty.earning import tiers


@dataclass(frozen=True)
class TierProgress:
    """The tier in effect, the next one up, and the way there in purchase volume."""

    tier: object
    next_tier: object
    volume: Decimal
    # Purchases still needed for the next tier; None at the top.
    remaining: Decimal | None
    # From the current tier's threshold to the next one's, 0–100.
    percent: int


def tier_progress(all_tiers, current, volume):
    """Pure: the progress of a customer with ``volume`` in tier ``current`` among ``all_tiers``.

    The next tier is the lowest one ranked above the current tier (which may
    be pinned above what the volume earns).
    """
    above = [tier for tier in all_tiers if tiers.rank(tier) > tiers.rank(current)]
    next_tier = min(above, key=tiers.rank, default=None)
    if next_tier is None:
        return TierProgress(current, None, volume, None, 100)
    remaining = max(Decimal(0), next_tier.threshold - volume)
    start = current.threshold if current is not None else Decimal(0)
    span = next_tier.threshold - start
    done = (volume - start) / span if span > 0 else Decimal(1)
    percent = int((min(Decimal(1), max(Decimal(0), done)) * 100).to_integral_value(rounding=ROUND_DOWN))
    return TierProgress(current, next_tier, volume, remaining, percent)


def progress_for(user, *, now=None):
    """The customer's ``TierProgress``, read from their tier and purchases."""
    now = now or timezone.now()
    return tier_progress(tiers.all_tiers(), tiers.tier_for(user, now=now), tiers.purchase_volume(user.pk, now=now))
