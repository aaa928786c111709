"""The demo's segments and event mechanics: welcome, birthday and refer-a-friend rules, a birthday
customer, a referral pair, a hand-made list, and the RFM pass run over the demo's purchases.

Vera's birthday is three days away, so the daily pass gives her the birthday bonus now; Anna
invited Gleb, whose first paid order rewards her. Run again, it changes nothing: the rules are
updated in place and every award has its key.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from oscar.core.loading import get_model

from oscar_loyalty.campaigns import snapshot
from oscar_loyalty.referrals import services as referrals
from oscar_loyalty.segments import birthdays, passes, reports, services

CampaignRule = get_model("oscar_loyalty", "CampaignRule")
Referral = get_model("oscar_loyalty", "Referral")
Segment = get_model("oscar_loyalty", "Segment")
QualifyingPurchase = get_model("oscar_loyalty", "QualifyingPurchase")

BIRTHDAY_EMAIL = "vera@example.com"
REFERRER_EMAIL, FRIEND_EMAIL = "anna@example.com", "gleb@example.com"

#: (event, name, points, lot terms): what the shop gives for each event.
EVENT_RULES = (
    ("registration", gettext_lazy("Welcome bonus"), 100, {}),
    ("birthday", gettext_lazy("Birthday bonus"), 300, {"expires_in_days": 14}),
    ("referred", gettext_lazy("Joined through a friend"), 200, {}),
    ("referral", gettext_lazy("A friend's first order"), 500, {}),
)
#: The referrer also earns a share of the friend's purchases for a period after the friend joined.
FRIEND_PURCHASES = (gettext_lazy("A share of a friend's purchases"), Decimal("3"), 90)


def load(command, now=None):
    now = now or timezone.now()
    for event, name, points, terms in EVENT_RULES:
        rule, _created = CampaignRule.objects.update_or_create(
            name=str(name),
            defaults={
                "basis": CampaignRule.EVENT,
                "event": event,
                "reward": CampaignRule.FIXED,
                "value": Decimal(points),
                "hold_days": 0,
                **terms,
            },
        )
        snapshot.publish(rule)
    name, percent, days = FRIEND_PURCHASES
    rule, _created = CampaignRule.objects.update_or_create(
        name=str(name),
        defaults={
            "basis": CampaignRule.EVENT,
            "event": CampaignRule.FRIEND_PURCHASE,
            "event_days": days,
            "reward": CampaignRule.PERCENT,
            "value": percent,
            "hold_days": 0,
        },
    )
    snapshot.publish(rule)
    users = get_user_model().objects.filter(email__in=[BIRTHDAY_EMAIL, REFERRER_EMAIL, FRIEND_EMAIL])
    by_email = {user.email: user for user in users}
    _birthday(by_email.get(BIRTHDAY_EMAIL), now)
    _referral(by_email.get(REFERRER_EMAIL), by_email.get(FRIEND_EMAIL), now)
    press, _created = Segment.objects.get_or_create(
        code="press", defaults={"name": _("Press and bloggers"), "kind": Segment.MANUAL}
    )
    services.add_members(press, [user for user in (by_email.get(BIRTHDAY_EMAIL),) if user is not None], now=now)
    result = passes.refresh_segments(now)
    sizes = ", ".join(
        f"{reports.display_name(segment)}: {segment.size}"
        for segment in Segment.objects.filter(kind=Segment.RFM, size__gt=0).order_by("-size")
    )
    command.stdout.write(
        _("Segments: %(customers)d customers scored by RFM (%(sizes)s); %(birthday)s has a birthday bonus.")
        % {"customers": result["rfm_customers"], "sizes": sizes, "birthday": BIRTHDAY_EMAIL}
    )


def _birthday(user, now):
    if user is None:
        return
    today = timezone.localdate(now)
    soon = today + timedelta(days=3)
    born = date(1990, soon.month, 28 if (soon.month, soon.day) == (2, 29) else soon.day)
    services.set_birthday_by_staff(user, born, actor=_("Demo data"), now=now)
    birthdays.award_birthdays(now)


def _referral(referrer, friend, now):
    if referrer is None or friend is None or Referral.objects.filter(friend=friend).exists():
        return
    referral = referrals.join(friend, referrals.code_for(referrer).code, channel=Referral.LINK, now=now)
    purchases = list(QualifyingPurchase.objects.filter(user=friend).order_by("placed_at", "pk"))
    if not purchases:
        return
    # The story of the demo: Anna invited Gleb the day before his first purchase.
    Referral.objects.filter(pk=referral.pk).update(created_at=purchases[0].placed_at - timedelta(days=1))
    for purchase in purchases:
        referrals.reward_friend_purchase(
            friend, purchase.order_number, amount=purchase.amount, placed_at=purchase.placed_at, now=now
        )
    first = purchases[0]
    referrals.reward_referrer(friend, first.order_number, amount=first.amount, now=now)
