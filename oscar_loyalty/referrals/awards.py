"""The one seam through which the event mechanics (welcome, birthday, refer a friend) give points.

How much, for how long and for whom is the campaign engine's to say: staff
configure event rules (basis "event") in the dashboard, and
``campaigns.services.award_event`` applies them with their budgets and lot
terms. No active rule for an event gives nothing. The caller's key makes an
award happen at most once, however often it is asked for.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oscar_loyalty.campaigns import services as campaigns

REGISTRATION = "registration"
BIRTHDAY = "birthday"
#: The referrer, on the friend's first paid order.
REFERRAL = "referral"
#: The referrer, on every paid order of the friend (rules may limit it to a period after the friend joined).
FRIEND_PURCHASE = "friend_purchase"
#: The friend, on signing up through a referral.
REFERRED = "referred"

REASONS = {
    REGISTRATION: _("Welcome bonus"),
    BIRTHDAY: _("Birthday bonus"),
    REFERRAL: _("A friend you invited made their first order"),
    FRIEND_PURCHASE: _("A friend you invited made a purchase"),
    REFERRED: _("Bonus for joining through a friend's invitation"),
}


def award(user, event, *, key, now=None, context=None):
    """Give ``user`` the points the active rules for ``event`` say; returns the points this key has given."""
    context = dict(context or {})
    context.setdefault("reason", str(REASONS[event]))
    made = campaigns.award_event(user, event, key=key, now=now or timezone.now(), context=context)
    return sum(award.points for award in made)
