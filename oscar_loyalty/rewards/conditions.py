"""The condition of a reward voucher's offer: the customer who redeemed it, and at least one item.

Oscar's vouchers have no owner: a single-use voucher can be used once by
anyone who knows its code. A reward voucher is bought with one customer's
points, so its offer's condition also checks the basket is theirs; in
anyone else's basket Oscar says it does not qualify and takes it out.
"""

from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_class, get_model

# The offer models first: they import Oscar's conditions module, which must not start from here.
get_model("offer", "Condition")
CountCondition = get_class("offer.conditions", "CountCondition")


class RewardVoucherCondition(CountCondition):
    _description = _("A basket of the customer who redeemed the reward, with %(count)d item(s) from %(range)s")

    class Meta:
        app_label = "oscar_loyalty"
        proxy = True
        verbose_name = _("Reward voucher condition")
        verbose_name_plural = _("Reward voucher conditions")

    def is_satisfied(self, offer, basket):
        owner_id = getattr(basket, "owner_id", None)
        if owner_id is None:
            return False
        owned = offer.vouchers.filter(loyalty_reward_orders__user_id=owner_id).exclude(
            loyalty_reward_orders__status="cancelled"
        )
        return owned.exists() and super().is_satisfied(offer, basket)

    def is_partially_satisfied(self, offer, basket):
        return False
