"""What a promotion brought back by a secret code may give: plain values, no database.

A secret code replaces a cancelled order. Its promotions may give the new
basket no more than they gave that order (Oscar's ``OrderDiscount`` rows:
``frequency`` and ``amount``), only on the products they discounted there,
and never past the promotion's own limits (per customer, global,
``max_discount``) as the shop's orders that still stand have used them.

:mod:`.services` works the :class:`Allowance` out and marks the offer with it;
:mod:`.applicator` applies the offer within it. This module imports neither.
"""

from dataclasses import dataclass
from decimal import Decimal

# The attribute of an offer instance that a secret code brought back: its Allowance.
OFFER_MARK = "_loyalty_reinstated"
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Usage:
    """How much of one promotion some orders took: applications (Oscar's ``frequency``) and money."""

    applications: int = 0
    amount: Decimal = ZERO
    # Of those, the applications in the code's customer's orders (for ``max_user_applications``).
    customer_applications: int = 0


@dataclass(frozen=True)
class Allowance:
    """What one brought-back promotion may still give one basket."""

    secret_code: object
    applications: int
    amount: Decimal
    # The products whose lines it may see; the rest of the basket does not exist for it.
    product_ids: frozenset


def allowance(offer, *, secret_code, original, standing, product_ids):
    """The :class:`Allowance` of ``offer`` brought back for the order whose use of it was ``original``.

    ``standing`` is the promotion's use by the shop's orders that still stand
    (not cancelled; the original order is not among them). Oscar's limits
    are counted on those: the cancelled order's share is free again, and the
    code may use no more than that share.
    """
    applications = [original.applications]
    if offer.max_basket_applications:
        applications.append(offer.max_basket_applications)
    if offer.max_user_applications:
        applications.append(offer.max_user_applications - standing.customer_applications)
    if offer.max_global_applications:
        applications.append(offer.max_global_applications - standing.applications)
    amount = original.amount
    if offer.max_discount:
        amount = min(amount, offer.max_discount - standing.amount)
    return Allowance(
        secret_code=secret_code,
        applications=max(0, min(applications)),
        amount=max(ZERO, amount),
        product_ids=frozenset(product_ids),
    )


def mark(offer, offer_allowance):
    setattr(offer, OFFER_MARK, offer_allowance)
    return offer


def allowance_of(offer):
    """The :class:`Allowance` of an offer a secret code brought back; None for any other offer."""
    return getattr(offer, OFFER_MARK, None)
