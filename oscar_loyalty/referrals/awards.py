"""The one seam through which the event mechanics (welcome, birthday, refer a friend) give points.

The campaign engine's event rules decide how much, for how long and for
whom (``campaigns.services.award_event``). An event the engine does not know
falls back to a fixed number of points from ``OSCAR_LOYALTY_EVENT_POINTS``
credited through the ledger (0, the default, gives nothing). Either way the
caller's key makes the award happen at most once.
"""

from __future__ import annotations

import logging

from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.settings import loyalty_settings

Lot = get_model("oscar_loyalty", "Lot")

logger = logging.getLogger(__name__)

REGISTRATION = "registration"
BIRTHDAY = "birthday"
#: The referrer, on the friend's first paid order.
REFERRAL = "referral"
#: The friend, on signing up through a referral.
REFERRED = "referred"

REASONS = {
    REGISTRATION: _("Welcome bonus"),
    BIRTHDAY: _("Birthday bonus"),
    REFERRAL: _("A friend you invited made their first order"),
    REFERRED: _("Bonus for joining through a friend's invitation"),
}


def engine_events():
    """The events the campaign engine awards; empty when the shop runs without it."""
    try:
        from oscar_loyalty.campaigns import services
    except (ImportError, LookupError):
        return frozenset()
    return frozenset(getattr(services, "EVENTS", ()))


def award(user, event, *, key, now=None, context=None, expires_in_days=None):
    """Give ``user`` the points of ``event``; returns the points given (0: no rule, or given before).

    ``expires_in_days`` is the fallback's expiry (the engine's rules carry their own).
    """
    now = now or timezone.now()
    context = dict(context or {})
    if event in engine_events():
        from oscar_loyalty.campaigns import services

        context.setdefault("reason", str(REASONS.get(event, "")))
        awards = services.award_event(user, event, key=key, now=now, context=context)
        return sum(getattr(made, "points", 0) for made in awards)
    points = int((loyalty_settings.EVENT_POINTS or {}).get(event, 0) or 0)
    if points <= 0:
        return 0
    try:
        lot = ledger.accrue(
            user,
            points,
            key=key,
            reason=str(REASONS.get(event, event)),
            origin=Lot.CAMPAIGN,
            hold_days=0,
            expires_in_days=expires_in_days,
            now=now,
        )
    except ledger.AccountBlocked:
        logger.warning("No %s points for customer %s: the account is blocked.", event, getattr(user, "pk", user))
        return 0
    except ledger.IdempotencyConflict:
        # Given before under this key with other terms (a changed setting): still only once.
        return 0
    return lot.points
