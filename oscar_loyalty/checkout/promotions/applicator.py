"""Oscar's offer ``Applicator``, plus the ended promotions a secret code brings back for its basket.

Installed by ``oscar_loyalty.checkout.loading.class_loader`` in place of
``offer.applicator.Applicator``; a shop with its own applicator subclasses
:class:`SecretCodeApplicatorMixin` into it. Imports Oscar's class directly,
not through ``get_class``: the class loader returns this class for that name.
It is loaded while Oscar is still loading its models, so it reads none at import.

A brought-back promotion applies within its :class:`~.reinstated.Allowance`:
as often as the cancelled order it replaces had it, for no more money, and
seeing only the basket lines of the products it discounted there.
"""

import copy
from decimal import ROUND_DOWN, Decimal
from itertools import chain

from oscar.apps.offer import applicator
from oscar.core.loading import get_class, get_classes

from oscar_loyalty.checkout.promotions import reinstated

OfferApplications = get_class("offer.results", "OfferApplications")
BasketDiscount, ZERO_DISCOUNT = get_classes("offer.results", ["BasketDiscount", "ZERO_DISCOUNT"])

CENT = Decimal("0.01")


class SecretCodeApplicatorMixin:
    def get_offers(self, basket, user=None, request=None):
        offers = super().get_offers(basket, user, request)
        brought_back = self.get_reinstated_offers(basket, user)
        if not brought_back:
            return offers
        # An offer that is still running applies as it is; the code only brings back ended ones.
        running = {offer.pk for offer in offers}
        extra = [offer for offer in brought_back if offer.pk not in running]
        return sorted(chain(offers, extra), key=lambda offer: offer.priority, reverse=True)

    def get_reinstated_offers(self, basket, user):
        """The offers the basket's secret code brings back, each marked with its allowance."""
        # Imported here: Oscar loads the applicator while it is still loading the models.
        from oscar_loyalty.checkout.promotions import services

        return services.reinstated_offers(basket, user)

    def get_max_applications(self, offer, basket):
        """How often ``offer`` may apply to ``basket``: Oscar's limits, or a brought-back offer's allowance."""
        allowance = reinstated.allowance_of(offer)
        if allowance is not None:
            return allowance.applications
        return offer.get_max_applications(basket.owner)

    def apply_offers(self, basket, offers):
        applications = OfferApplications()
        for offer in offers:
            allowance = reinstated.allowance_of(offer)
            if allowance is None:
                self.apply_offer(offer, basket, applications)
            else:
                self.apply_reinstated_offer(offer, allowance, basket, applications)
        basket.offer_applications = applications

    def apply_offer(self, offer, basket, applications):
        # Oscar's loop, with the limit taken from get_max_applications().
        for _ in range(self.get_max_applications(offer, basket)):
            result = offer.apply_benefit(basket)
            if not result.is_successful:
                break
            applications.add(offer, result)
            if result.is_final:
                break

    def apply_reinstated_offer(self, offer, allowance, basket, applications):
        """Oscar's loop for a brought-back offer, on the lines it may see and within its amount."""
        lines_seen = LinesOfProducts(basket, allowance.product_ids)
        given = Decimal("0.00")
        for _ in range(self.get_max_applications(offer, basket)):
            before = [(line, _copy_discounts(line)) for line in lines_seen.all_lines()]
            result = offer.apply_benefit(lines_seen)
            if result.affects_basket and result.discount > allowance.amount - given:
                result = _cap(offer, before, allowance.amount - given)
            if not result.is_successful:
                break
            if result.affects_shipping:
                _cap_shipping(offer, allowance.amount)
            applications.add(offer, result)
            given += result.discount
            if result.is_final:
                break


class Applicator(SecretCodeApplicatorMixin, applicator.Applicator):
    """Oscar's applicator with secret codes."""


class LinesOfProducts:
    """A basket as a brought-back promotion sees it: only the lines of ``product_ids``.

    Oscar's conditions and benefits read a basket through ``all_lines()``
    (and its currency); the lines are the basket's own, so the discounts
    given land on them.
    """

    def __init__(self, basket, product_ids):
        self._basket = basket
        self._product_ids = product_ids

    def all_lines(self):
        return [line for line in self._basket.all_lines() if line.product_id in self._product_ids]

    def __getattr__(self, name):
        return getattr(self._basket, name)


def _copy_discounts(line):
    """A copy of the line's discount registry, to put back if an application has to be undone."""
    registry = copy.copy(line.discounts)
    for name, value in vars(registry).items():
        if isinstance(value, (list, dict)):
            setattr(registry, name, copy.copy(value))
    return registry


def _cap(offer, before, amount):
    """Undo the application that gave more than ``amount`` and give ``amount`` on the same items instead.

    Benefits differ in how (and whether) they take a ceiling, so the one
    application is given back and the allowed amount spread over the items
    it had discounted, in proportion.
    """
    given = []
    for line, registry in before:
        given.extend((line, application) for application in line.discounts.all()[len(registry.all()) :])
        line.discounts = registry
    total = sum(application.amount for _line, application in given)
    if amount <= 0 or not total:
        return ZERO_DISCOUNT
    spread = Decimal("0.00")
    for position, (line, application) in enumerate(given, start=1):
        if position == len(given):
            share = amount - spread
        else:
            share = (application.amount * amount / total).quantize(CENT, rounding=ROUND_DOWN)
        line.discount(share, application.quantity, incl_tax=application.incl_tax, offer=offer)
        spread += share
    return BasketDiscount(amount)


def _cap_shipping(offer, amount):
    # Oscar's shipping methods ask the offer in the basket's applications for
    # the discount later on; this instance is that offer.
    uncapped = offer.shipping_discount

    def shipping_discount(charge, currency=None):
        return min(uncapped(charge, currency), amount)

    offer.shipping_discount = shipping_discount
