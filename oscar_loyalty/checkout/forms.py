import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

# Digits, optionally signed, optionally with a decimal part: anything else
# (letters, exponents, "NaN") is not a number of points.
NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


class PointsForm(forms.Form):
    """How many points to spend on the order: a whole number between zero and ``max_points``.

    The field is a text field parsed here, not an ``IntegerField``, so that
    each kind of bad input gets its own plain-words message.
    """

    points = forms.CharField(
        label=_("Points to use"),
        required=False,
        widget=forms.NumberInput(attrs={"min": 0, "step": 1, "inputmode": "numeric"}),
    )
    use_maximum = forms.BooleanField(label=_("Use the maximum"), required=False)

    def __init__(self, *args, max_points=0, available=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_points = max_points
        self.available = available
        self.fields["points"].widget.attrs["max"] = max_points

    def clean_points(self):
        raw = (self.cleaned_data.get("points") or "").strip()
        if not raw:
            return 0
        if not NUMBER.fullmatch(raw):
            raise forms.ValidationError(_("Enter the number of points as a whole number, e.g. 150."), code="invalid")
        number = Decimal(raw.replace(",", "."))
        if number < 0:
            raise forms.ValidationError(_("The number of points cannot be negative."), code="negative")
        if number != number.to_integral_value():
            raise forms.ValidationError(_("Points can only be used in whole numbers."), code="fractional")
        return int(number)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("use_maximum"):
            cleaned["points"] = self.max_points
            return cleaned
        points = cleaned.get("points")
        if points is None:
            return cleaned
        if points > self.available:
            self.add_error(
                "points",
                forms.ValidationError(
                    _("You have only %(available)s points available."),
                    code="insufficient",
                    params={"available": self.available},
                ),
            )
        elif points > self.max_points:
            self.add_error(
                "points",
                forms.ValidationError(
                    _("You can use at most %(max)s points on this order."),
                    code="over_limit",
                    params={"max": self.max_points},
                ),
            )
        return cleaned
