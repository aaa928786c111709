"""The earn calculator: what a purchase earns at a tier and in a margin group.

The figure comes from ``oscar_loyalty.earning.calculations.upcoming_points``,
the function behind the "+N bonuses" next to the shop's prices, over the same
tier and margin group data; the form only gathers and checks the inputs.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model

from oscar_loyalty.campaigns import services as campaigns
from oscar_loyalty.earning import tiers as tier_service
from oscar_loyalty.earning.calculations import upcoming_points
from oscar_loyalty.earning.display import program_tiers

MarginGroup = get_model("oscar_loyalty", "MarginGroup")

MAX_AMOUNT = Decimal("1000000000")
DECIMAL_COMMA = re.compile(r"\d+,\d{1,2}")


class AmountField(forms.DecimalField):
    """A purchase amount as people type it: "6100", "6 100,50" (Russian), "6100.50"."""

    def to_python(self, value):
        if isinstance(value, str):
            # Spaces (plain, no-break, narrow no-break) group thousands in many languages.
            value = "".join(value.split()).replace("\u202f", "")
            # "6100,50" is kopecks whatever the page's language: a thousands comma takes three digits.
            if DECIMAL_COMMA.fullmatch(value):
                value = value.replace(",", ".")
        return super().to_python(value)


class CalculatorForm(forms.Form):
    """The calculator's inputs: ``amount``, ``tier`` (a tier code), ``group`` (a margin group code)."""

    amount = AmountField(
        label=_("Purchase amount"),
        min_value=Decimal("0.01"),
        max_value=MAX_AMOUNT,
        max_digits=12,
        decimal_places=2,
        localize=True,
        error_messages={
            "required": _("Enter the purchase amount."),
            "invalid": _("Enter the purchase amount as a number, for example 6100 or 6100.50."),
        },
    )
    tier = forms.ChoiceField(label=_("Tier"), error_messages={"invalid_choice": _("Choose one of the tiers.")})
    group = forms.ChoiceField(
        label=_("Product group"), error_messages={"invalid_choice": _("Choose one of the product groups.")}
    )

    def __init__(self, *args, tier_list=None, groups=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.tier_list = program_tiers() if tier_list is None else tier_list
        self.groups = list(MarginGroup.objects.all()) if groups is None else groups
        self.fields["tier"].choices = [(tier.code, tier.name) for tier in sorted(self.tier_list, key=tier_service.rank)]
        self.fields["group"].choices = [(group.code, group.name) for group in self.groups]
        self.fields["amount"].widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def clean_tier(self):
        return next(tier for tier in self.tier_list if tier.code == self.cleaned_data["tier"])

    def clean_group(self):
        return next(group for group in self.groups if group.code == self.cleaned_data["group"])

    def estimate(self):
        """The :class:`Estimate` for valid input (call ``is_valid()`` first)."""
        data = self.cleaned_data
        return estimate(data["amount"], data["tier"], data["group"])

    def error_list(self):
        """``{field: [message, ...]}`` for a JSON answer."""
        return {field: [str(message) for message in messages] for field, messages in self.errors.items()}


@dataclass(frozen=True)
class Estimate:
    amount: Decimal
    tier: object
    group: object
    points: int


def estimate(amount, tier, group):
    """What buying for ``amount`` earns at ``tier`` in margin ``group``: the shop's own formula.

    The campaign rules running now that pay per product add their bonus (the
    same engine as the "+N bonuses" next to prices).
    """
    points = upcoming_points(amount, tier.cashback_percent, group.coefficient)
    points += campaigns.product_bonus(amount, points, tier=tier, margin_group=group)
    return Estimate(amount=amount, tier=tier, group=group, points=points)


def initial_choices(user, tier_list, groups):
    """What the form starts with: the visitor's own tier (the best one for a visitor not signed in,
    as next to the shop's prices) and the default product group."""
    if user is not None and user.is_authenticated:
        tier = tier_service.tier_for(user, tier_list=tier_list)
    else:
        tier = tier_service.top_tier(tier_list)
    group = next((group for group in groups if group.is_default), groups[0] if groups else None)
    return {"tier": tier.code if tier else None, "group": group.code if group else None}
