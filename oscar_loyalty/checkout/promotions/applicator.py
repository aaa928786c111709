"""Oscar's offer ``Applicator``, plus the ended promotions a secret code brings back for its basket.

Installed by ``oscar_loyalty.checkout.loading.class_loader`` in place of
``offer.applicator.Applicator``; a shop with its own applicator subclasses
:class:`SecretCodeApplicatorMixin` into it. Imports Oscar's class directly,
not through ``get_class``: the class loader returns this class for that name.
It is loaded while Oscar is still loading its models, so it reads none at import.
"""

from itertools import chain

from oscar.apps.offer import applicator
from oscar.core.loading import get_class

OfferApplications = get_class("offer.results", "OfferApplications")

# Set by services.reinstated_offers on an offer a secret code brought back.
OFFER_MARK = "_loyalty_secret_code"
# Oscar's own ceiling when an offer sets no limit.
UNLIMITED = 10000


class SecretCodeApplicatorMixin:
    def get_offers(self, basket, user=None, request=None):
        offers = super().get_offers(basket, user, request)
        reinstated = self.get_reinstated_offers(basket, user)
        if not reinstated:
            return offers
        # An offer that is still running applies as it is; the code only brings back ended ones.
        running = {offer.pk for offer in offers}
        extra = [offer for offer in reinstated if offer.pk not in running]
        return sorted(chain(offers, extra), key=lambda offer: offer.priority, reverse=True)

    def get_reinstated_offers(self, basket, user):
        # Imported here: Oscar loads the applicator while it is still loading the models.
        from oscar_loyalty.checkout.promotions import services

        return services.reinstated_offers(basket, user)

    def get_max_applications(self, offer, basket):
        """How often ``offer`` may apply to ``basket``.

        A brought-back promotion is capped per basket only: its global and
        per-customer counters already count the cancelled original order the
        code replaces.
        """
        if getattr(offer, OFFER_MARK, None) is not None:
            return offer.max_basket_applications or UNLIMITED
        return offer.get_max_applications(basket.owner)

    def apply_offers(self, basket, offers):
        # Oscar's loop, with the limit taken from get_max_applications().
        applications = OfferApplications()
        for offer in offers:
            num_applications = 0
            limit = self.get_max_applications(offer, basket)
            while num_applications < limit:
                result = offer.apply_benefit(basket)
                num_applications += 1
                if not result.is_successful:
                    break
                applications.add(offer, result)
                if result.is_final:
                    break
        basket.offer_applications = applications


class Applicator(SecretCodeApplicatorMixin, applicator.Applicator):
    """Oscar's applicator with secret codes."""
