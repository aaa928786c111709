"""The dashboard's rule builder: one form for every kind of rule, and the built-in templates that prefill it."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model

CampaignRule = get_model("oscar_loyalty", "CampaignRule")
Product = get_model("catalogue", "Product")

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]

#: Built-in templates: a name, a description and the fields they prefill.
TEMPLATES = {
    "nth_purchase": {
        "label": _("Every Nth purchase"),
        "initial": {
            "name": _("Every 5th purchase"),
            "basis": CampaignRule.NTH,
            "nth_every": 5,
            "nth_min_amount": Decimal("1000"),
            "reward": CampaignRule.FIXED,
            "value": Decimal("100"),
        },
    },
    "happy_hours": {
        "label": _("Happy hours"),
        "initial": {
            "name": _("Happy hours"),
            "basis": CampaignRule.ORDER,
            "hour_from": 18,
            "hour_to": 21,
            "reward": CampaignRule.MULTIPLIER,
            "value": Decimal("2"),
        },
    },
    "brackets": {
        "label": _("Amount brackets"),
        "initial": {
            "name": _("The more you buy"),
            "basis": CampaignRule.BRACKETS,
            "brackets_text": "1: 5\n100: 7\n500: 10",
            "stacking": CampaignRule.BEST,
        },
    },
    "product_rates": {
        "label": _("Per-product or category rate"),
        "initial": {
            "name": _("Extra points on a category"),
            "basis": CampaignRule.LINES,
            "reward": CampaignRule.PERCENT,
            "value": Decimal("10"),
        },
    },
    "double_points": {
        "label": _("Double points"),
        "initial": {
            "name": _("Double points"),
            "basis": CampaignRule.ORDER,
            "reward": CampaignRule.MULTIPLIER,
            "value": Decimal("2"),
        },
    },
    "welcome": {
        "label": _("Welcome bonus"),
        "initial": {
            "name": _("Welcome bonus"),
            "basis": CampaignRule.EVENT,
            "event": CampaignRule.REGISTRATION,
            "reward": CampaignRule.FIXED,
            "value": Decimal("100"),
            "awards_per_customer": 1,
        },
    },
    "birthday": {
        "label": _("Birthday bonus"),
        "initial": {
            "name": _("Birthday bonus"),
            "basis": CampaignRule.EVENT,
            "event": CampaignRule.BIRTHDAY,
            "reward": CampaignRule.FIXED,
            "value": Decimal("500"),
            "expires_in_days": 7,
        },
    },
    "referral_friend": {
        "label": _("Refer a friend: the friend's bonus"),
        "initial": {
            "name": _("Bonus for joining through a friend"),
            "basis": CampaignRule.EVENT,
            "event": CampaignRule.REFERRED,
            "reward": CampaignRule.FIXED,
            "value": Decimal("200"),
        },
    },
    "referral_first_order": {
        "label": _("Refer a friend: points on the friend's first order"),
        "initial": {
            "name": _("A friend's first order"),
            "basis": CampaignRule.EVENT,
            "event": CampaignRule.REFERRAL,
            "reward": CampaignRule.FIXED,
            "value": Decimal("500"),
        },
    },
    "referral_share": {
        "label": _("Refer a friend: a share of the friend's purchases"),
        "initial": {
            "name": _("A share of a friend's purchases"),
            "basis": CampaignRule.EVENT,
            "event": CampaignRule.FRIEND_PURCHASE,
            "event_days": 90,
            "reward": CampaignRule.PERCENT,
            "value": Decimal("2"),
        },
    },
}


def parse_brackets(text):
    """``"1: 5\\n100: 7"`` → ``[{"from": "1", "percent": "5"}, ...]``; a ValidationError for anything else."""
    brackets = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        raw = raw.strip()
        if not raw:
            continue
        start, _sep, percent = raw.replace("%", "").partition(":")
        try:
            start, percent = Decimal(start.strip()), Decimal(percent.strip())
        except InvalidOperation:
            raise ValidationError(
                _("Line %(number)s: write an amount, a colon and a percentage, e.g. 100: 7."),
                params={"number": number},
            ) from None
        if start < 0 or not 0 <= percent <= 100:
            raise ValidationError(
                _("Line %(number)s: amounts start at 0 and percentages are from 0 to 100."), params={"number": number}
            )
        brackets.append({"from": str(start), "percent": str(percent)})
    return sorted(brackets, key=lambda bracket: Decimal(bracket["from"]))


def brackets_text(brackets):
    return "\n".join(f"{bracket['from']}: {bracket['percent']}" for bracket in brackets or ())


def find_products(text):
    """Products named by ids, UPCs or titles' exact codes, comma or newline separated."""
    names = [name.strip() for name in (text or "").replace("\n", ",").split(",") if name.strip()]
    if not names:
        return []
    ids = [int(name) for name in names if name.isdigit()]
    found = list(Product.objects.filter(Q(pk__in=ids) | Q(upc__in=names)))
    known = {str(p.pk) for p in found} | {p.upc for p in found if p.upc}
    missing = [name for name in names if name not in known]
    if missing:
        raise ValidationError(_("No product with the id or UPC %(names)s."), params={"names": ", ".join(missing)})
    return found


class CampaignRuleForm(forms.ModelForm):
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Days of the week"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None: every day."),
    )
    channels = forms.CharField(
        label=_("Sales channels"),
        required=False,
        help_text=_('Comma separated: "web", "store" (every store), "store:12", "partner:acme". Empty: every channel.'),
    )
    brackets_text = forms.CharField(
        label=_("Amount brackets"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_('One bracket a line: the amount it starts at, a colon, the percentage ("100: 7").'),
    )
    products_text = forms.CharField(
        label=_("Products"), required=False, help_text=_("Product ids or UPCs, comma separated.")
    )
    spend_products_text = forms.CharField(
        label=_("Points pay only for products"), required=False, help_text=_("Product ids or UPCs, comma separated.")
    )

    class Meta:
        model = CampaignRule
        fields = [
            "name",
            "description",
            "is_active",
            "audience",
            "tiers",
            "segments",
            "audience_from",
            "audience_to",
            "channels",
            "starts_at",
            "ends_at",
            "weekdays",
            "hour_from",
            "hour_to",
            "birthday_days",
            "basis",
            "categories",
            "product_classes",
            "margin_groups",
            "nth_every",
            "nth_min_amount",
            "event",
            "event_code",
            "event_days",
            "reward",
            "value",
            "hold_days",
            "expires_in_days",
            "expires_on",
            "spend_max_percent",
            "spend_min_order",
            "spend_categories",
            "spend_from",
            "spend_until",
            "stacking",
            "budget_total",
            "budget_per_customer",
            "awards_per_customer",
            "template",
        ]
        widgets = {
            "template": forms.HiddenInput,
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "ends_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "spend_from": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "spend_until": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "audience_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "audience_to": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "expires_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rule = self.instance
        if rule.pk:
            self.initial.setdefault("channels", ", ".join(rule.channels or ()))
            self.initial.setdefault("brackets_text", brackets_text(rule.brackets))
            self.initial.setdefault(
                "products_text", ", ".join(str(pk) for pk in rule.products.values_list("pk", flat=True))
            )
            self.initial.setdefault(
                "spend_products_text", ", ".join(str(pk) for pk in rule.spend_products.values_list("pk", flat=True))
            )
        elif isinstance(self.initial.get("channels"), list):
            self.initial["channels"] = ", ".join(self.initial["channels"])
        for name in ("hour_from", "hour_to"):
            self.fields[name].widget.attrs.update(min=0, max=24)

    def clean_channels(self):
        return sorted({code.strip() for code in (self.cleaned_data.get("channels") or "").split(",") if code.strip()})

    def clean_brackets_text(self):
        return parse_brackets(self.cleaned_data.get("brackets_text"))

    def clean_products_text(self):
        return find_products(self.cleaned_data.get("products_text"))

    def clean_spend_products_text(self):
        return find_products(self.cleaned_data.get("spend_products_text"))

    def clean(self):
        data = super().clean()
        errors = {}
        for name in ("hour_from", "hour_to"):
            if data.get(name) is not None and data[name] > 24:
                errors[name] = _("An hour is from 0 to 24.")
        basis, reward, value = data.get("basis"), data.get("reward"), data.get("value") or 0
        if basis == CampaignRule.LINES and not (
            data.get("products_text")
            or data.get("categories")
            or data.get("product_classes")
            or data.get("margin_groups")
        ):
            errors["basis"] = _("Choose the products, categories, product types or margin groups whose lines earn.")
        if basis == CampaignRule.BRACKETS and not data.get("brackets_text"):
            errors["brackets_text"] = _("Give at least one bracket.")
        if basis == CampaignRule.NTH and not data.get("nth_every"):
            errors["nth_every"] = _("Say which purchases earn: every how many.")
        if basis == CampaignRule.EVENT and not data.get("event"):
            errors["event"] = _("Choose the event.")
        if data.get("event") == CampaignRule.CODE and basis == CampaignRule.EVENT and not data.get("event_code"):
            errors["event_code"] = _("Give the code customers enter.")
        if data.get("event_days") is not None and not (
            basis == CampaignRule.EVENT and data.get("event") == CampaignRule.FRIEND_PURCHASE
        ):
            errors["event_days"] = _("A period after the friend joined applies to a referred friend's orders only.")
        if basis != CampaignRule.BRACKETS and value <= 0:
            errors["value"] = _("Give a value above zero.")
        if reward == CampaignRule.MULTIPLIER and basis != CampaignRule.BRACKETS and 0 < value <= 1:
            errors["value"] = _("A multiplier adds to the cashback only above 1 (2 is double points).")
        if reward == CampaignRule.PERCENT and value > 100:
            errors["value"] = _("A percentage is at most 100.")
        if data.get("audience") == CampaignRule.TIERS and not data.get("tiers"):
            errors["tiers"] = _("Choose the tiers.")
        if data.get("audience") == CampaignRule.SEGMENTS and not data.get("segments"):
            errors["segments"] = _("Choose the segments.")
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            errors["ends_at"] = _("The campaign must end after it starts.")
        if data.get("spend_max_percent") is not None and not 0 < data["spend_max_percent"] <= 100:
            errors["spend_max_percent"] = _("A percentage above 0 and at most 100.")
        for name, error in errors.items():
            self.add_error(name, error)
        return data

    def save(self, commit=True):
        rule = super().save(commit=False)
        rule.channels = self.cleaned_data.get("channels") or []
        rule.brackets = self.cleaned_data.get("brackets_text") or []
        rule.weekdays = sorted(self.cleaned_data.get("weekdays") or [])
        if commit:
            rule.save()
            self.save_m2m()
            rule.products.set(self.cleaned_data.get("products_text") or [])
            rule.spend_products.set(self.cleaned_data.get("spend_products_text") or [])
        return rule


class PreviewForm(forms.Form):
    """A basket to try the active rules on: products with quantities, a customer, a moment and a channel."""

    lines = forms.CharField(
        label=_("Basket"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_('One product a line: its id or UPC, and a quantity after "x" ("42 x 2").'),
    )
    customer = forms.CharField(label=_("Customer's e-mail"), required=False)
    at = forms.DateTimeField(
        label=_("At"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Empty: now."),
    )
    channel = forms.CharField(label=_("Sales channel"), required=False, initial="web")

    def clean_lines(self):
        wanted = []
        for raw in self.cleaned_data["lines"].splitlines():
            name, _sep, quantity = raw.partition("x")
            name = name.strip()
            if not name:
                continue
            quantity = quantity.strip() or "1"
            if not quantity.isdigit() or int(quantity) < 1:
                raise ValidationError(_("%(line)s: the quantity must be a whole number."), params={"line": raw})
            (product,) = find_products(name)
            wanted.append((product, int(quantity)))
        if not wanted:
            raise ValidationError(_("Give at least one product."))
        return wanted

    def clean_customer(self):
        email = (self.cleaned_data.get("customer") or "").strip()
        if not email:
            return None
        user = get_user_model().objects.filter(email__iexact=email).order_by("pk").first()
        if user is None:
            raise ValidationError(_("No customer with this e-mail."))
        return user
