"""The loyalty program's settings, each read from ``OSCAR_LOYALTY_<NAME>``.

Read at call time, so ``override_settings`` works in tests.
"""

from decimal import Decimal

from django.apps import apps
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
    # --- Earning ---
    # Order statuses at which an order's points are accrued (as pending lots).
    "ACCRUAL_STATUSES": ("Complete",),
    # Order statuses that undo an order's points and purchase volume in full.
    "CANCEL_STATUSES": ("Cancelled", "Returned"),
    # Spread points paid on an order over its lines, so they earn nothing.
    "SPREAD_REDUCTIONS": True,
    # Whether lines discounted by a special offer earn points.
    "OFFERS_EARN": False,
    # The name of Oscar's payment source type for points paid at checkout.
    "POINTS_SOURCE_TYPE": "Bonus points",
    # Codes of Oscar's payment event types that record a refund in the dashboard and give points back.
    "REFUND_EVENT_TYPES": ("refund",),
    # --- Spending at checkout ---
    # What an order paid partly with points must still cost in money (0: points may pay it all).
    "MIN_TO_PAY": Decimal("1.00"),
    # Whether points may pay for shipping too, or only for the goods.
    "POINTS_PAY_SHIPPING": False,
    # Dotted path of the class loader the shop had in OSCAR_DYNAMIC_CLASS_LOADER before the
    # loyalty one: the loyalty loader asks it first (None: Oscar's default_class_loader).
    "WRAPPED_CLASS_LOADER": None,
    # --- Promo codes and secret codes ---
    # Whether an order may use points and an Oscar voucher (promo code) together; False: one or the other.
    "COMBINE_WITH_VOUCHERS": True,
    # Days a secret code stays valid unless staff choose otherwise, and the most they may choose.
    "SECRET_CODE_DAYS": 7,
    "SECRET_CODE_MAX_DAYS": 90,
    # Failed secret code attempts allowed per signed-in user and per IP address in each throttle window.
    "SECRET_CODE_ATTEMPTS_PER_USER": 5,
    "SECRET_CODE_ATTEMPTS_PER_IP": 20,
    "SECRET_CODE_THROTTLE_MINUTES": 15,
    # Dotted path of a function(request) returning the staff user acting for the signed-in
    # customer (an impersonation session), or None. The default understands django-hijack.
    "ACTING_STAFF_RESOLVER": "oscar_loyalty.checkout.promotions.acting.hijacking_staff",
    # Tier qualification: purchase volume over this many days, or lifetime if None.
    "TIER_WINDOW_DAYS": None,
    # Whether the beat task may lower a tier whose volume fell below its threshold.
    "TIER_DOWNGRADE": False,
    # Days without a purchase after which the beat task drops a customer to the first tier (None: never).
    "TIER_INACTIVITY_DAYS": None,
    # Where "up to N bonuses" links to: the program's public page (a path, a URL or a URL name).
    # None: the program pages' landing page (/loyalty/) when ``wagtail_pages`` is installed,
    # else the customer's "My bonuses" page.
    "PROGRAM_URL": None,
    # Show "+N bonuses" next to prices: product cards and pages, the basket and checkout.
    "SHOW_BONUS": True,
    # --- Notifications ---
    # The channels the shop uses; an empty tuple turns notifications off.
    "NOTIFICATION_CHANNELS": ("email", "sms"),
    # Dotted path of the SMS backend class (see ``oscar_loyalty.notifications.sms``).
    "SMS_BACKEND": "oscar_loyalty.notifications.sms.ConsoleBackend",
    # The file ``FileBackend`` appends one JSON line per SMS to.
    "SMS_FILE_PATH": None,
    # Days before a lot expires when its customer is warned, once per threshold.
    "EXPIRY_WARNING_DAYS": (30, 10),
    # Whether customers hear about manual adjustments made by staff.
    "NOTIFY_ADJUSTMENTS": True,
    # Events dated more than this many days ago are history, not news: not announced
    # (an import of past orders, points that became available while the beat was down).
    "NOTICE_MAX_AGE_DAYS": 2,
    # Attempts at delivering one notification before it is marked failed.
    "NOTIFICATION_MAX_ATTEMPTS": 6,
    # --- Segments and event mechanics (welcome, birthday, refer a friend) ---
    # Give the welcome bonus on the customer's first paid order instead of on registration.
    "WELCOME_AFTER_FIRST_ORDER": False,
    # Days before the birthday the birthday bonus is given.
    "BIRTHDAY_DAYS_BEFORE": 7,
    # Days after signing up a customer may still enter a friend's referral code (before a first order).
    "REFERRAL_CLAIM_DAYS": 14,
    # --- Manufacturer programs (point codes) ---
    # The key of the codes' stored HMAC-SHA256 (None: derived from SECRET_KEY). Changing it
    # makes every code already printed unknown.
    "POINT_CODE_HASH_KEY": None,
    # Wrong point codes allowed per signed-in customer and per IP address in each throttle window.
    "POINT_CODE_ATTEMPTS_PER_USER": 10,
    "POINT_CODE_ATTEMPTS_PER_IP": 30,
    "POINT_CODE_THROTTLE_MINUTES": 15,
    # Days the points of a registered code stay pending (0: available at once, so staff can reverse them).
    "POINT_CODE_HOLD_DAYS": 0,
    # The most codes one batch may have.
    "POINT_CODE_MAX_BATCH_SIZE": 10000,
    # --- Campaigns ---
    # The sales channel recorded on accruals that name none (the web shop's orders).
    "DEFAULT_CHANNEL": "web",
    # --- The ledger ---
    # On PostgreSQL, run the hot ledger operations as the database functions the
    # migrations create (one round trip each); False runs them in Python.
    "DATABASE_FUNCTIONS": True,
    # Accounts the beat passes (activation, expiry) settle per transaction: a customer in a
    # chunk waits for that chunk, never for the whole pass.
    "BATCH_CHUNK_ACCOUNTS": 150,
    # --- The KPI report ---
    # Seconds the roll-up of the journal (every five minutes) waits for the transactions writing it to end
    # before it leaves the newest entries to its next run.
    "ROLLUP_WAIT_SECONDS": 10,
}


class LoyaltySettings:
    def __getattr__(self, name):
        if name not in DEFAULTS:
            raise AttributeError(name)
        value = getattr(django_settings, f"OSCAR_LOYALTY_{name}", DEFAULTS[name])
        if name == "PROGRAM_URL" and value is None:
            return default_program_url()
        return value


def default_program_url():
    """The program pages' landing page if the shop has them, else "My bonuses" (never a 404).

    Asks the app registry, not the module: the core never imports ``wagtail_pages``.
    """
    if apps.is_installed("wagtail_pages"):
        return "/loyalty/"
    return "loyalty:bonuses"


loyalty_settings = LoyaltySettings()
