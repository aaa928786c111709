import re

from django import forms
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model

NotificationPreference = get_model("oscar_loyalty", "NotificationPreference")

# What people type around the digits of a phone number.
PHONE_PUNCTUATION = re.compile(r"[\s().-]")
PHONE = re.compile(r"\+?\d{10,15}")


class NotificationPreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["email_enabled", "sms_enabled", "phone"]

    def clean_phone(self):
        """Digits with an optional leading ``+``, as SMS providers expect."""
        phone = PHONE_PUNCTUATION.sub("", self.cleaned_data["phone"] or "")
        if phone and not PHONE.fullmatch(phone):
            raise forms.ValidationError(_("Enter the number in international format, e.g. +79161234567."))
        return phone
