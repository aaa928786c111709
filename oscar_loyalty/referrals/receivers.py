"""Registration and a customer's first paid order drive the welcome bonus and refer a friend.

Connected before the notifications' receivers, so the welcome message can
say how many points the welcome bonus gave.
"""

import functools
import logging

from django.contrib import messages
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty import signals
from oscar_loyalty.referrals import awards, services
from oscar_loyalty.settings import loyalty_settings

Referral = get_model("oscar_loyalty", "Referral")
QualifyingPurchase = get_model("oscar_loyalty", "QualifyingPurchase")

logger = logging.getLogger(__name__)

#: Where the referral link leaves its code until the visitor signs up.
SESSION_KEY = "loyalty_referral_code"
#: A random id per browser: a friend signing up from the referrer's own browser is refused.
DEVICE_COOKIE = "loyalty_device"


def _logged(receiver):
    @functools.wraps(receiver)
    def wrapper(*args, **kwargs):
        try:
            return receiver(*args, **kwargs)
        except Exception:
            logger.exception("The loyalty receiver %s failed.", receiver.__name__)
            raise

    return wrapper


def client_ip(request):
    return request.META.get("REMOTE_ADDR") or None


def welcome(user, *, now=None):
    """The welcome bonus on registration (unless the shop gives it on the first paid order)."""
    if loyalty_settings.WELCOME_AFTER_FIRST_ORDER:
        return 0
    return awards.award(
        user, awards.REGISTRATION, key=f"welcome:{user.pk}", now=now, context={"trigger": "registration"}
    )


@_logged
def user_registered(sender, user, request=None, **kwargs):
    now = timezone.now()
    code = request.session.pop(SESSION_KEY, None) if request is not None and hasattr(request, "session") else None
    if code:
        try:
            services.join(
                user,
                code,
                channel=Referral.LINK,
                device=request.COOKIES.get(DEVICE_COOKIE, ""),
                ip_address=client_ip(request),
                now=now,
            )
        except services.ReferralRefused as refused:
            messages.warning(request, str(refused))
    welcome(user, now=now)


@_logged
def order_points_accrued(sender, order_number, user, channel=None, **kwargs):
    """A paid order counted: it may reward the referrer; the first one also may give the welcome bonus.

    Each award is made in the sales ``channel`` the order earned in.
    """
    if user is None:
        return
    purchase = QualifyingPurchase.objects.filter(order_number=str(order_number)).values_list("amount", "placed_at")
    purchase = purchase.first()
    if purchase is not None:
        services.reward_friend_purchase(user, order_number, amount=purchase[0], placed_at=purchase[1], channel=channel)
    paid = (
        QualifyingPurchase.objects.filter(user=user).order_by("placed_at", "pk").values_list("order_number", "amount")
    )
    first = paid.first()
    if first is None or first[0] != str(order_number):
        return
    services.reward_referrer(user, order_number, amount=first[1], channel=channel)
    if loyalty_settings.WELCOME_AFTER_FIRST_ORDER:
        awards.award(
            user,
            awards.REGISTRATION,
            key=f"welcome:{user.pk}",
            context={"trigger": "first_order", "order_number": str(order_number), "channel": channel},
        )


def connect():
    from oscar.apps.customer.signals import user_registered as registered

    registered.connect(user_registered, dispatch_uid="oscar_loyalty.referrals.user_registered")
    signals.order_points_accrued.connect(order_points_accrued, dispatch_uid="oscar_loyalty.referrals.first_order")
