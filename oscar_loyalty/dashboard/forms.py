import re
import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model

from oscar_loyalty.dashboard.kpis import MAX_MONTHS, Period

Tier = get_model("oscar_loyalty", "Tier")
MarginGroup = get_model("oscar_loyalty", "MarginGroup")
MarginGroupAssignment = get_model("oscar_loyalty", "MarginGroupAssignment")
Product = get_model("catalogue", "Product")
Category = get_model("catalogue", "Category")
ProductClass = get_model("catalogue", "ProductClass")

DEFAULT_MONTHS = 12


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class BootstrapMixin:
    """Dashboard styling: Bootstrap's form-control on text, number, date and select inputs."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if not isinstance(widget, (forms.RadioSelect, forms.CheckboxInput, forms.HiddenInput)):
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} form-control".strip()


class PeriodForm(forms.Form):
    """The KPI report's period: whole days, the last twelve months unless chosen."""

    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        default = Period.last_months(DEFAULT_MONTHS)
        start = cleaned.get("date_from") or default.start
        end = cleaned.get("date_to") or max(default.end, start)
        if end < start:
            raise forms.ValidationError(_("The period must not end before it starts."))
        period = Period(start, end)
        if len(period.months()) > MAX_MONTHS:
            raise forms.ValidationError(
                _("A report covers at most %(months)d months: choose a shorter period.") % {"months": MAX_MONTHS}
            )
        cleaned["period"] = period
        return cleaned

    @property
    def period(self):
        """The chosen period; the default one for a form that is not valid."""
        if self.is_valid():
            return self.cleaned_data["period"]
        return Period.last_months(DEFAULT_MONTHS)


class AccountSearchForm(BootstrapMixin, forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=255,
        widget=forms.TextInput(attrs={"placeholder": _("Name, e-mail, phone or card number")}),
    )


class OneTimeKeyField(forms.CharField):
    """A random key issued with the form: submitting the same form twice applies it once."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(max_length=32, min_length=32, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value and not re.fullmatch(r"[0-9a-f]{32}", value):
            raise forms.ValidationError(_("The form has expired: reload the page and try again."))
        return value


def new_key():
    return uuid.uuid4().hex


class AdjustmentForm(BootstrapMixin, forms.Form):
    ACCRUE, WRITE_OFF = "accrue", "write_off"

    action = forms.ChoiceField(
        label=_("Action"),
        choices=[(ACCRUE, _("Accrue points")), (WRITE_OFF, _("Write off points"))],
        widget=forms.RadioSelect,
        initial=ACCRUE,
    )
    points = forms.IntegerField(
        label=_("Points"), min_value=1, max_value=10_000_000, widget=forms.NumberInput(attrs={"step": 1})
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=255,
        help_text=_("Recorded in the journal with your name; the customer sees it."),
    )
    key = OneTimeKeyField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("key", new_key())

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give a reason for the adjustment."))
        return reason

    @property
    def signed_points(self):
        points = self.cleaned_data["points"]
        return points if self.cleaned_data["action"] == self.ACCRUE else -points

    @property
    def ledger_key(self):
        return f"dashboard-adjustment:{self.cleaned_data['key']}"


class PinTierForm(BootstrapMixin, forms.Form):
    tier = forms.ModelChoiceField(label=_("Tier"), queryset=Tier.objects.none(), empty_label=None)
    until = forms.DateField(
        label=_("Pinned until"),
        required=False,
        widget=DateInput(),
        help_text=_("The last day of the pin; leave empty to pin with no end."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=255)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].queryset = Tier.objects.all()

    def clean_until(self):
        until = self.cleaned_data["until"]
        if until is not None and until < timezone.localdate():
            raise forms.ValidationError(_("A pin must end today or later."))
        return until

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give a reason for pinning the tier."))
        return reason

    @property
    def pinned_until(self):
        """The end of the pin's last day, in the shop's time zone."""
        until = self.cleaned_data["until"]
        if until is None:
            return None
        return timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min))


class UnpinTierForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255)

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give a reason for removing the pin."))
        return reason


percent_validators = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


class TierForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Tier
        fields = ["name", "code", "threshold", "cashback_percent", "max_share_percent", "sort_order"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["threshold"].validators.append(MinValueValidator(Decimal(0)))
        for name in ("cashback_percent", "max_share_percent"):
            self.fields[name].validators.extend(percent_validators)
            self.fields[name].widget.attrs.update(min=0, max=100)
        self.fields["threshold"].widget.attrs.update(min=0)

    def clean_threshold(self):
        threshold = self.cleaned_data["threshold"]
        others = Tier.objects.exclude(pk=self.instance.pk)
        clash = others.filter(threshold=threshold).first()
        if clash is not None:
            raise forms.ValidationError(
                _("%(tier)s already starts at this purchase volume: each tier needs its own threshold.")
                % {"tier": clash.name}
            )
        if self.instance.pk and self.instance.threshold == 0 and threshold != 0:
            raise forms.ValidationError(
                _("This is the entry tier every new customer starts in: its threshold stays 0.")
            )
        if not self.instance.pk and threshold != 0 and not others.filter(threshold=0).exists():
            raise forms.ValidationError(_("Create the entry tier first: the program needs one tier starting at 0."))
        return threshold


class MarginGroupForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = MarginGroup
        fields = ["name", "code", "coefficient", "is_default"]
        help_texts = {
            "coefficient": _("Multiplies the tier's cashback for this group's products: 1 keeps it, 0 earns nothing."),
            "is_default": _("Covers every product no assignment names; ticking it here moves the default here."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coefficient"].validators.append(MinValueValidator(Decimal(0)))
        self.fields["coefficient"].widget.attrs.update(min=0, step="0.001")

    def _get_validation_exclusions(self):
        # Ticking "default" on a second group is allowed: the view moves the
        # default in one transaction, and the database still checks there is one.
        return {*super()._get_validation_exclusions(), "is_default"}


class AssignmentForm(BootstrapMixin, forms.Form):
    PRODUCT, CATEGORY, PRODUCT_CLASS = "product", "category", "product_class"

    target = forms.ChoiceField(
        label=_("Assign"),
        choices=[(CATEGORY, _("A category")), (PRODUCT_CLASS, _("A product type")), (PRODUCT, _("A product"))],
        widget=forms.RadioSelect,
        initial=CATEGORY,
    )
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(), required=False)
    product_class = forms.ModelChoiceField(
        label=_("Product type"), queryset=ProductClass.objects.none(), required=False
    )
    product = forms.CharField(label=_("Product UPC"), max_length=64, required=False)

    def __init__(self, *args, group, **kwargs):
        super().__init__(*args, **kwargs)
        self.group = group
        self.fields["category"].queryset = Category.objects.order_by("path")
        self.fields["category"].label_from_instance = lambda category: category.full_name
        self.fields["product_class"].queryset = ProductClass.objects.order_by("name")

    def clean_product(self):
        upc = self.cleaned_data["product"].strip()
        if not upc:
            return None
        product = Product.objects.filter(upc=upc).first()
        if product is None:
            raise forms.ValidationError(_("No product has the UPC %(upc)s.") % {"upc": upc})
        return product

    def clean(self):
        cleaned = super().clean()
        target = cleaned.get("target")
        if not target or self.errors:
            return cleaned
        if not cleaned.get(target):
            self.add_error(target, _("Choose what to assign to the group."))
            return cleaned
        cleaned["target_kwargs"] = {target: cleaned[target]}
        return cleaned
