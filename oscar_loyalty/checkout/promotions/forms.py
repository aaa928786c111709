from django import forms
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from oscar_loyalty.checkout.promotions import codes
from oscar_loyalty.settings import loyalty_settings


class SecretCodeForm(forms.Form):
    """The code as typed; checked by the service, which gives each kind of bad input its own message."""

    code = forms.CharField(
        label=_("Secret code"),
        required=False,
        # Longer input reaches the service and is refused there, with its reason.
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "placeholder": "XXXX-XXXX-XXXX-XXXX"}
        ),
    )

    def clean_code(self):
        # Never trust the browser's maxlength; cap what is kept, not what is refused.
        return (self.cleaned_data.get("code") or "")[: codes.MAX_INPUT_LENGTH + 1]


class IssueSecretCodeForm(forms.Form):
    offers = forms.ModelMultipleChoiceField(
        label=_("Promotions the code keeps"), queryset=None, widget=forms.CheckboxSelectMultiple
    )
    days = forms.IntegerField(label=_("Valid for, days"), min_value=1)
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)
    enter_in_basket = forms.BooleanField(
        label=_("Enter the code in the customer's basket now"),
        required=False,
        help_text=_("For staff placing the corrected order on the customer's behalf."),
    )

    def __init__(self, *args, offers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["offers"].queryset = offers
        self.fields["offers"].initial = list(offers)
        self.fields["days"].initial = loyalty_settings.SECRET_CODE_DAYS
        self.fields["days"].validators.append(MaxValueValidator(loyalty_settings.SECRET_CODE_MAX_DAYS))
        self.fields["days"].widget.attrs["max"] = loyalty_settings.SECRET_CODE_MAX_DAYS
