from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oscar_loyalty.segments import services as segments


class FriendCodeForm(forms.Form):
    """A friend's referral code, entered by a customer who signed up without the link."""

    code = forms.CharField(label=_("Your friend's referral code"), max_length=32)


class BirthdayForm(forms.Form):
    """The customer's date of birth: it can be set once, so the form says so."""

    birthday = forms.DateField(
        label=_("Date of birth"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("You can set it only once: to correct it later, contact the shop."),
    )

    def clean_birthday(self):
        birthday = self.cleaned_data["birthday"]
        try:
            return segments.check_birthday(birthday, timezone.localdate())
        except segments.SegmentError as error:
            raise forms.ValidationError(str(error)) from None
