"""Progress to the next tier: a pure function of the tiers, the current one and the volume."""

from decimal import Decimal as D
from types import SimpleNamespace

import pytest

from oscar_loyalty.customer.progress import tier_progress


def tier(code, threshold, order):
    return SimpleNamespace(code=code, threshold=D(threshold), sort_order=order)


SILVER, GOLD, PLATINUM, VIP = (
    tier("silver", 0, 0),
    tier("gold", 30000, 1),
    tier("platinum", 100000, 2),
    tier("vip", 300000, 3),
)
TIERS = [VIP, SILVER, PLATINUM, GOLD]  # in no particular order


@pytest.mark.parametrize(
    ("current", "volume", "next_code", "remaining", "percent"),
    [
        (SILVER, "0", "gold", "30000", 0),
        (SILVER, "12000", "gold", "18000", 40),
        (SILVER, "29999.99", "gold", "0.01", 99),
        (GOLD, "30000", "platinum", "70000", 0),
        (GOLD, "65000", "platinum", "35000", 50),
        # A pinned tier above what the purchases earn: the way up starts at the pin.
        (PLATINUM, "5000", "vip", "295000", 0),
        (VIP, "450000", None, None, 100),
        # No tier at all (none configured at zero): measured from nothing.
        (None, "15000", "silver", "0", 100),
    ],
)
def test_progress_to_the_next_tier(current, volume, next_code, remaining, percent):
    progress = tier_progress(TIERS, current, D(volume))

    assert (progress.next_tier.code if progress.next_tier else None) == next_code
    assert progress.remaining == (D(remaining) if remaining is not None else None)
    assert progress.percent == percent
    assert progress.tier is current
