from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model

Segment = get_model("oscar_loyalty", "Segment")


class SegmentForm(forms.ModelForm):
    """A list kept by hand or a saved filter; RFM segments are the pass's, not staff's."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(Segment.MANUAL, _("List of customers")), (Segment.FILTER, _("Saved filter"))],
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Segment
        fields = [
            "name",
            "code",
            "kind",
            "description",
            "filter_tier",
            "registered_from",
            "registered_to",
            "min_purchases",
        ]
        widgets = {
            "registered_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "registered_to": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "code": _("Letters, digits and hyphens; campaign rules and exports name the segment by it."),
            "filter_tier": _("Saved filter only: every condition you set must hold."),
        }

    def clean(self):
        data = super().clean()
        start, end = data.get("registered_from"), data.get("registered_to")
        if start and end and start > end:
            self.add_error("registered_to", _("The end of the window is before its start."))
        filters = [data.get(name) for name in ("filter_tier", "registered_from", "registered_to", "min_purchases")]
        if data.get("kind") == Segment.FILTER and not any(value not in (None, "") for value in filters):
            raise forms.ValidationError(_("A saved filter needs at least one condition."))
        return data


class MembersForm(forms.Form):
    """Customers to add to or take out of a list, by e-mail address, one per line."""

    emails = forms.CharField(label=_("E-mail addresses, one per line"), widget=forms.Textarea(attrs={"rows": 4}))

    def clean_emails(self):
        emails = {line.strip().lower() for line in self.cleaned_data["emails"].splitlines() if line.strip()}
        users = list(get_user_model().objects.filter(email__in=emails))
        unknown = emails - {user.email.lower() for user in users}
        if unknown:
            raise forms.ValidationError(
                _("No customer has these e-mail addresses: %(emails)s.") % {"emails": ", ".join(sorted(unknown))}
            )
        return users


class StaffBirthdayForm(forms.Form):
    birthday = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Leave empty to remove it. A birthday bonus already given this year is not given again."),
    )
