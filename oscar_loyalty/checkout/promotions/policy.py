"""Whether points and a promo code (an Oscar voucher) may pay for one order together.

``OSCAR_LOYALTY_COMBINE_WITH_VOUCHERS`` (default True) allows both. When it is
False the customer uses one or the other:

- with a voucher in the basket, the payment step offers no points and says why;
- points posted anyway are refused with a form error;
- a voucher added after points were chosen wins: the customer is told, and
  the points choice is dropped when the checkout is next shown (the voucher is
  the later, explicit action; the points can be chosen again after removing it);
- the order is checked again when it is placed.

A promotion brought back by a secret code counts as a promo code if it was
reached through one in the original order.
"""

from django.contrib import messages
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from oscar_loyalty.checkout import choice
from oscar_loyalty.settings import loyalty_settings


def combine_allowed():
    return bool(loyalty_settings.COMBINE_WITH_VOUCHERS)


def basket_has_promo_code(basket):
    """Whether ``basket`` holds a voucher, or a discount reached through one."""
    if basket is None or basket.id is None:
        return False
    if any(application["voucher"] for application in getattr(basket, "offer_applications", []) or []):
        return True
    return basket.vouchers.exists()


def points_excluded(basket):
    """Whether the shop's policy rules out points for ``basket``."""
    return not combine_allowed() and basket_has_promo_code(basket)


def exclusion_message():
    return _(
        "Bonus points cannot be used together with a promo code in this shop. "
        "To pay with points, remove the promo code from your basket."
    )


def points_dropped_message(points):
    return ngettext(
        "The promo code was added, so the %(points)s point you chose to pay with will not be used: "
        "this shop does not combine points with promo codes.",
        "The promo code was added, so the %(points)s points you chose to pay with will not be used: "
        "this shop does not combine points with promo codes.",
        points,
    ) % {"points": points}


def voucher_added(sender, basket, voucher, **kwargs):
    """On Oscar's ``voucher_addition``: under the exclusive policy, tell a customer who chose points they go."""
    request = getattr(sender, "request", None)
    if request is None or combine_allowed() or not hasattr(request, "COOKIES"):
        return
    points = choice.read(request)
    if points <= 0:
        return
    messages.warning(request, points_dropped_message(points))


def connect():
    from oscar.apps.basket.signals import voucher_addition

    voucher_addition.connect(voucher_added, dispatch_uid="oscar_loyalty.promotions.voucher_added")
