"""The customer's rewards catalogue: browse, redeem, follow a redemption.

Every view reads the signed-in customer's own data only; someone else's
reward order is a 404. Redeeming goes through ``rewards.services``.
"""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import generic
from oscar.core.loading import get_class, get_model

from oscar_loyalty import ledger
from oscar_loyalty.rewards import services
from oscar_loyalty.rewards.forms import RedeemForm

PageTitleMixin = get_class("customer.mixins", "PageTitleMixin")
Reward = get_model("oscar_loyalty", "Reward")
RewardOrder = get_model("oscar_loyalty", "RewardOrder")


class RewardCatalogueView(PageTitleMixin, generic.ListView):
    """The rewards on offer, with the customer's points to spend and their own reward orders."""

    template_name = "oscar_loyalty/rewards/catalogue.html"
    context_object_name = "rewards"
    page_title = _("Rewards catalogue")
    active_tab = "bonuses"

    def get_queryset(self):
        return Reward.objects.filter(is_active=True)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["balance"] = ledger.get_balance(self.request.user)
        ctx["reward_orders"] = RewardOrder.objects.filter(user=self.request.user)[:20]
        return ctx


class RedeemView(PageTitleMixin, generic.FormView):
    """One reward and what redeeming it needs; sending the form spends the points."""

    template_name = "oscar_loyalty/rewards/redeem.html"
    form_class = RedeemForm
    active_tab = "bonuses"

    def dispatch(self, request, *args, **kwargs):
        self.reward = get_object_or_404(Reward, pk=kwargs["pk"], is_active=True)
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return self.reward.name

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "reward": self.reward, "user": self.request.user}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["reward"] = self.reward
        ctx["balance"] = ledger.get_balance(self.request.user)
        return ctx

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            reward_order = services.redeem(
                self.request.user,
                self.reward,
                key=data["key"],
                delivery=form.delivery(),
                order=data.get("order"),
            )
        except ledger.InsufficientPoints as refusal:
            form.add_error(
                None,
                _("You have %(available)s points available; this reward costs %(points)s. Nothing was spent.")
                % {"available": refusal.available or 0, "points": self.reward.points},
            )
            return self.form_invalid(form)
        except ledger.LoyaltyError as refusal:
            form.add_error(None, str(refusal))
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Thank you! Your reward order %(number)s is placed: %(points)s points were spent.")
            % {"number": reward_order.number, "points": reward_order.points},
        )
        return HttpResponseRedirect(reward_order_url(reward_order))


class RewardOrderDetailView(PageTitleMixin, generic.DetailView):
    """Where one of the customer's reward orders stands: status, voucher code, warranty dates, delivery."""

    template_name = "oscar_loyalty/rewards/reward_order.html"
    context_object_name = "reward_order"
    active_tab = "bonuses"

    def get_object(self, queryset=None):
        return get_object_or_404(RewardOrder, number=self.kwargs["number"], user=self.request.user)

    def get_page_title(self):
        return _("Reward order %(number)s") % {"number": self.object.number}


def reward_order_url(reward_order):
    return reverse("loyalty:reward-order", kwargs={"number": reward_order.number})
