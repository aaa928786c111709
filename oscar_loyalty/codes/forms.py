"""Forms of manufacturer programs: the customer's code, the dealer's request, staff's batches and dealers."""

from datetime import datetime, time, timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model

from oscar_loyalty.codes import format as code_format

ManufacturerProgram = get_model("oscar_loyalty", "ManufacturerProgram")
Dealer = get_model("oscar_loyalty", "Dealer")
PointCodeBatch = get_model("oscar_loyalty", "PointCodeBatch")


class RegisterCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your voucher"),
        max_length=code_format.MAX_INPUT_LENGTH,
        required=False,  # an empty code gets the services' own message, and is logged like any attempt
        widget=forms.TextInput(
            attrs={"placeholder": "XXXX-XXXX-XXXX-XXXX", "autocomplete": "off", "autocapitalize": "characters"}
        ),
    )


class BatchRequestForm(forms.Form):
    program = forms.ModelChoiceField(queryset=ManufacturerProgram.objects.filter(is_active=True), label=_("Program"))
    size = forms.IntegerField(label=_("Number of codes"), min_value=1)
    comment = forms.CharField(label=_("Comment"), max_length=255, required=False)


def start_of(day):
    return timezone.make_aware(datetime.combine(day, time.min))


class BatchForm(forms.Form):
    """A new batch; the validity is in whole days, from the start of the first to the end of the last."""

    program = forms.ModelChoiceField(queryset=ManufacturerProgram.objects.filter(is_active=True), label=_("Program"))
    name = forms.CharField(label=_("Name"), max_length=128)
    label = forms.CharField(label=_("Product or campaign"), max_length=128, required=False)
    points = forms.IntegerField(label=_("Points per code"), min_value=1)
    size = forms.IntegerField(label=_("Number of codes"), min_value=1)
    valid_from = forms.DateField(label=_("Valid from"), widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(label=_("Valid until (inclusive)"), widget=forms.DateInput(attrs={"type": "date"}))
    dealer = forms.ModelChoiceField(queryset=Dealer.objects.filter(is_active=True), label=_("Dealer"), required=False)
    bonus_every = forms.IntegerField(
        label=_("Extra points every … codes of this batch"),
        min_value=1,
        required=False,
        help_text=_("Leave empty to follow the program's rule."),
    )
    bonus_points = forms.IntegerField(label=_("Extra points"), min_value=1, required=False)

    def clean(self):
        data = super().clean()
        since, until = data.get("valid_from"), data.get("valid_until")
        if since and until:
            if until < since:
                raise forms.ValidationError(_("The end of the validity must come after its start."))
            data["valid_from_at"] = start_of(since)
            data["valid_until_at"] = start_of(until) + timedelta(days=1)
        if (data.get("bonus_every") is None) != (data.get("bonus_points") is None):
            raise forms.ValidationError(_("Give both the number of codes and the extra points, or neither."))
        return data


class ProgramForm(forms.ModelForm):
    class Meta:
        model = ManufacturerProgram
        fields = [
            "name",
            "manufacturer",
            "description",
            "bonus_every",
            "bonus_points",
            "show_customers_to_dealers",
            "is_active",
        ]

    def clean(self):
        data = super().clean()
        if (data.get("bonus_every") is None) != (data.get("bonus_points") is None):
            raise forms.ValidationError(_("Give both the number of codes and the extra points, or neither."))
        return data


class DealerForm(forms.ModelForm):
    logins = forms.CharField(
        label=_("Logins (e-mail addresses, one a line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Customer accounts that sign in for this dealer."),
    )

    class Meta:
        model = Dealer
        fields = ["name", "city", "email", "phone", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["logins"].initial = "\n".join(self.instance.users.values_list("email", flat=True))

    def clean_logins(self):
        emails = [line.strip() for line in self.cleaned_data["logins"].splitlines() if line.strip()]
        users, unknown = [], []
        for email in emails:
            user = get_user_model().objects.filter(email__iexact=email).order_by("pk").first()
            (users.append(user) if user else unknown.append(email))
        if unknown:
            raise forms.ValidationError(_("No account has the e-mail %(emails)s.") % {"emails": ", ".join(unknown)})
        return users

    def save(self, commit=True):
        dealer = super().save(commit=commit)
        if commit:
            dealer.users.set(self.cleaned_data["logins"])
        return dealer


class AssignForm(forms.Form):
    dealer = forms.ModelChoiceField(queryset=Dealer.objects.filter(is_active=True), label=_("Dealer"), required=False)


class FindCodeForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=code_format.MAX_INPUT_LENGTH)


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255)
