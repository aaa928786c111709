"""Everything the ledger refuses, under one base class.

Checkout translates these into Oscar's ``UnableToTakePayment`` at its
boundary; the ledger itself knows nothing of checkout.
"""

from django.utils.translation import gettext_lazy as _


class LoyaltyError(Exception):
    """Base class: the operation was refused and nothing was written."""

    default_message = _("The points operation was refused.")

    def __init__(self, message=None, **details):
        self.details = details
        super().__init__(str(message or self.default_message))


class InvalidAmount(LoyaltyError, ValueError):
    default_message = _("Points must be a positive whole number.")


class InvalidOperation(LoyaltyError, ValueError):
    default_message = _("This points operation is not valid.")


class UnknownCustomer(LoyaltyError):
    default_message = _("There is no such customer.")


class AccountBlocked(LoyaltyError):
    default_message = _("This points account is blocked.")


class InsufficientPoints(LoyaltyError):
    default_message = _("Not enough points available.")

    @classmethod
    def of(cls, available, requested):
        """The refusal of ``requested`` points when ``available`` are, saying both."""
        return cls(
            _("Only %(available)s points are available, %(requested)s were asked for.")
            % {"available": available, "requested": requested},
            available=available,
            requested=requested,
        )

    @property
    def available(self):
        return self.details.get("available")

    @property
    def requested(self):
        return self.details.get("requested")


class ReservationReleased(LoyaltyError):
    default_message = _("This reservation has already been released.")


class ReservationCaptured(LoyaltyError):
    default_message = _("This reservation has already been captured; reverse the order instead.")


class IdempotencyConflict(LoyaltyError):
    default_message = _("This idempotency key was already used for a different operation.")
