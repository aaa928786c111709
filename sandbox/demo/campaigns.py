"""The demo's campaign rules: a happy hour running while the demo is looked at, and a double-points category.

The happy hour covers the hour the demo data is loaded and the three after
it, every day, so the "+N bonuses" on the catalogue are doubled right away;
helmets earn double points all the time; and every fifth purchase from
5,000 earns a fixed bonus, to show a per-order rule in the basket and the
dashboard's preview.
"""

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from oscar_loyalty.campaigns import snapshot

CampaignRule = get_model("oscar_loyalty", "CampaignRule")
Category = get_model("catalogue", "Category")

DOUBLE_POINTS_CATEGORY = "Helmets"


def load(command, now=None):
    now = timezone.localtime(now or timezone.now())
    start = now.hour
    rules = [
        _rule(
            _("Happy hours"),
            template="happy_hours",
            hour_from=start,
            hour_to=(start + 4) % 24,
            reward=CampaignRule.MULTIPLIER,
            value=Decimal(2),
            description=_("Double points on every order in the demo's happy hours."),
        ),
        _rule(
            _("Every 5th purchase"),
            template="nth_purchase",
            basis=CampaignRule.NTH,
            nth_every=5,
            nth_min_amount=Decimal(5000),
            reward=CampaignRule.FIXED,
            value=Decimal(500),
        ),
    ]
    category = Category.objects.filter(name=DOUBLE_POINTS_CATEGORY).order_by("depth", "pk").first()
    if category is not None:
        rule = _rule(
            _("Double points on helmets"),
            template="double_points",
            basis=CampaignRule.LINES,
            reward=CampaignRule.MULTIPLIER,
            value=Decimal(2),
        )
        rule.categories.set([category])
        snapshot.publish(rule)
        rules.append(rule)
    command.stdout.write(
        _("Campaigns: %(count)d rules, the happy hours from %(start)02d:00 to %(end)02d:00 every day.")
        % {"count": len(rules), "start": start, "end": (start + 4) % 24}
    )
    return rules


def _rule(name, **fields):
    rule, _created = CampaignRule.objects.update_or_create(name=str(name), defaults=fields)
    return snapshot.publish(rule)
