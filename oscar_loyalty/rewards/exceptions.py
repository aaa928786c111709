"""What the rewards catalogue refuses. Each refusal writes nothing: no points, no stock, no status."""

from django.utils.translation import gettext_lazy as _

from oscar_loyalty.ledger.exceptions import LoyaltyError


class RewardError(LoyaltyError):
    """Base class: the reward operation was refused and nothing was written."""

    default_message = _("The reward operation was refused.")


class RewardUnavailable(RewardError):
    default_message = _("This reward is no longer offered.")


class OutOfStock(RewardError):
    default_message = _("Sorry, this reward has just run out. Your points have not been spent.")


class DetailsMissing(RewardError):
    default_message = _("Please fill in the details this reward needs.")


class OrderNotEligible(RewardError):
    default_message = _("An extended warranty can only cover one of your own orders.")


class AlreadyCovered(RewardError):
    default_message = _("This order already has this extended warranty.")


class InvalidTransition(RewardError):
    default_message = _("This status change is not allowed.")


class ReturnNotConfirmed(RewardError):
    default_message = _(
        "This reward has been delivered: cancel it only if it has come back, and confirm the return to do so."
    )


class VoucherUsed(RewardError):
    default_message = _("The voucher has already been used for an order: this reward can no longer be cancelled.")
