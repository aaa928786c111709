"""The loyalty program's settings, each read from ``OSCAR_LOYALTY_<NAME>``.

Read at call time, so ``override_settings`` works in tests.
"""

from decimal import Decimal

from django.conf import settings as django_settings

DEFAULTS = {
    # What one point is worth in the shop's currency.
    "POINT_VALUE": Decimal("1.00"),
    # Days an accrual stays pending before it may be spent (returns window).
    "HOLD_DAYS": 14,
    # Days after accrual before a lot expires, unless the accrual says otherwise.
    "EXPIRY_DAYS": 365,
    # The horizon of the "expiring soon" balance.
    "EXPIRING_SOON_DAYS": 30,
    # Minutes a checkout reservation may stay held before the beat task releases it.
    "RESERVATION_TIMEOUT_MINUTES": 30,
    # Days granted to points restored by a reversal into a lot that has expired meanwhile.
    "RESTORE_GRACE_DAYS": 30,
}


class LoyaltySettings:
    def __getattr__(self, name):
        if name not in DEFAULTS:
            raise AttributeError(name)
        return getattr(django_settings, f"OSCAR_LOYALTY_{name}", DEFAULTS[name])


loyalty_settings = LoyaltySettings()
