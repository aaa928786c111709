"""Forms of the rewards catalogue: the customer's redemption, and the staff's rewards and reward orders."""

from django import forms
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model

from oscar_loyalty.rewards import services

Reward = get_model("oscar_loyalty", "Reward")
RewardOrder = get_model("oscar_loyalty", "RewardOrder")
Order = get_model("order", "Order")


class RedeemForm(forms.Form):
    """What a redemption needs from the customer: delivery details for a prize, an order for a warranty.

    ``key`` is issued with the form and comes back with it: a form sent twice
    (a double click, a reload) redeems once.
    """

    key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    recipient_name = forms.CharField(label=_("Recipient's name"), max_length=255, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    address = forms.CharField(
        label=_("Delivery address"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Postcode, city, street, house and flat."),
    )
    order = forms.ModelChoiceField(label=_("Order to cover"), queryset=Order.objects.none(), required=False)

    def __init__(self, *args, reward, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.reward = reward
        if not self.is_bound:
            self.initial.setdefault("key", services.new_key())
        if reward.kind == Reward.PHYSICAL:
            del self.fields["order"]
            for name in ("recipient_name", "phone", "address"):
                self.fields[name].required = True
            self.fields["recipient_name"].initial = user.get_full_name()
        else:
            for name in ("recipient_name", "phone", "address"):
                del self.fields[name]
            if reward.kind == Reward.WARRANTY:
                self.fields["order"].required = True
                self.fields["order"].queryset = Order.objects.filter(user=user).order_by("-date_placed")
                self.fields["order"].label_from_instance = self.order_label
            else:
                del self.fields["order"]

    @staticmethod
    def order_label(order):
        return _("Order %(number)s of %(date)s") % {"number": order.number, "date": order.date_placed.date()}

    def delivery(self):
        if self.reward.kind != Reward.PHYSICAL:
            return None
        data = self.cleaned_data
        return services.Delivery(name=data["recipient_name"], phone=data["phone"], address=data["address"])


# --- Dashboard ---------------------------------------------------------------------


class RewardForm(forms.ModelForm):
    class Meta:
        model = Reward
        fields = [
            "name",
            "kind",
            "image",
            "description",
            "points",
            "stock",
            "is_active",
            "position",
            "discount_type",
            "discount_value",
            "voucher_valid_days",
            "warranty_months",
            "warranty_terms",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "warranty_terms": forms.Textarea(attrs={"rows": 3}),
        }

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == Reward.VOUCHER:
            if not data.get("discount_type"):
                self.add_error("discount_type", _("A discount voucher needs its type of discount."))
            if not data.get("discount_value") or data["discount_value"] <= 0:
                self.add_error("discount_value", _("A discount voucher needs a discount above zero."))
            if data.get("discount_type") == Reward.PERCENTAGE and (data.get("discount_value") or 0) > 100:
                self.add_error("discount_value", _("A percentage discount cannot be above 100."))
        if kind == Reward.WARRANTY and not data.get("warranty_months"):
            self.add_error("warranty_months", _("An extended warranty needs its term in months."))
        if data.get("points") is not None and data["points"] < 1:
            self.add_error("points", _("The price must be at least one point."))
        return data


class RewardOrderFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *RewardOrder.STATUS_CHOICES]
    )
    query = forms.CharField(label=_("Number or customer"), required=False, max_length=128)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=RewardOrder.STATUS_CHOICES)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)
    confirm_return = forms.BooleanField(
        label=_("The delivered reward has come back: I confirm the return"), required=False
    )
    restock = forms.BooleanField(label=_("Put the item back in stock"), required=False)
