"""Staff views of the rewards catalogue, in the loyalty dashboard: rewards, reward orders, packing lists.

Statuses and cancellations go through ``rewards.services``; a refused step
is shown as the service words it, and nothing changes.
"""

from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import generic
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.rewards import services
from oscar_loyalty.rewards.forms import CancelForm, RewardForm, RewardOrderFilterForm, StatusForm

Reward = get_model("oscar_loyalty", "Reward")
RewardOrder = get_model("oscar_loyalty", "RewardOrder")


# --- Rewards ---------------------------------------------------------------------


class RewardListView(generic.ListView):
    template_name = "oscar_loyalty/rewards/dashboard/reward_list.html"
    context_object_name = "rewards"
    paginate_by = 50

    def get_queryset(self):
        return Reward.objects.all()


class RewardSaveMixin:
    model = Reward
    form_class = RewardForm
    template_name = "oscar_loyalty/rewards/dashboard/reward_form.html"

    def get_success_url(self):
        return reverse("loyalty-dashboard:loyalty-reward-list")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Reward %(reward)s saved.") % {"reward": self.object.name})
        return response


class RewardCreateView(RewardSaveMixin, generic.CreateView):
    pass


class RewardUpdateView(RewardSaveMixin, generic.UpdateView):
    pass


class RewardDeleteView(generic.DeleteView):
    model = Reward
    template_name = "oscar_loyalty/rewards/dashboard/reward_delete.html"

    def get_success_url(self):
        return reverse("loyalty-dashboard:loyalty-reward-list")

    def form_valid(self, form):
        reward = self.get_object()
        if reward.orders.exists():
            # Its redemptions keep pointing at it: hide it instead.
            reward.is_active = False
            reward.save(update_fields=["is_active", "updated_at"])
            messages.warning(
                self.request,
                _("Reward %(reward)s has been ordered, so it is kept and hidden from the catalogue instead.")
                % {"reward": reward.name},
            )
            return HttpResponseRedirect(self.get_success_url())
        messages.success(self.request, _("Reward %(reward)s deleted.") % {"reward": reward.name})
        return super().form_valid(form)


# --- Reward orders -------------------------------------------------------------------


class RewardOrderListView(generic.ListView):
    template_name = "oscar_loyalty/rewards/dashboard/reward_order_list.html"
    context_object_name = "reward_orders"
    paginate_by = 50

    def get_queryset(self):
        self.form = RewardOrderFilterForm(self.request.GET or None)
        orders = RewardOrder.objects.select_related("reward")
        if self.form.is_valid():
            if self.form.cleaned_data["status"]:
                orders = orders.filter(status=self.form.cleaned_data["status"])
            query = self.form.cleaned_data["query"].strip()
            if query:
                orders = orders.filter(
                    Q(number__iexact=query) | Q(customer_name__icontains=query) | Q(recipient_name__icontains=query)
                )
        return orders

    def get_context_data(self, **kwargs):
        return super().get_context_data(form=self.form, **kwargs)


class RewardOrderMixin:
    def get_reward_order(self):
        return get_object_or_404(RewardOrder, number=self.kwargs["number"])

    def detail_url(self, reward_order):
        return reverse("loyalty-dashboard:loyalty-reward-order", kwargs={"number": reward_order.number})


class RewardOrderDetailView(RewardOrderMixin, generic.TemplateView):
    template_name = "oscar_loyalty/rewards/dashboard/reward_order_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        reward_order = self.get_reward_order()
        labels = dict(RewardOrder.STATUS_CHOICES)
        ctx.update(
            reward_order=reward_order,
            next_statuses=[
                (status, labels[status])
                for status in services.allowed_statuses(reward_order)
                if status != RewardOrder.CANCELLED
            ],
            can_cancel=RewardOrder.CANCELLED in services.allowed_statuses(reward_order),
            cancel_form=kwargs.get("cancel_form") or CancelForm(),
        )
        return ctx


class RewardOrderStatusView(RewardOrderMixin, generic.View):
    """Move a reward order to the status posted (the next step of its delivery)."""

    def post(self, request, *args, **kwargs):
        reward_order = self.get_reward_order()
        form = StatusForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a valid status."))
            return HttpResponseRedirect(self.detail_url(reward_order))
        try:
            reward_order = services.advance(reward_order, form.cleaned_data["status"], actor=request.user)
        except ledger.LoyaltyError as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(
                request,
                _("Reward order %(number)s is now %(status)s.")
                % {"number": reward_order.number, "status": reward_order.get_status_display()},
            )
        return HttpResponseRedirect(self.detail_url(reward_order))


class RewardOrderCancelView(RewardOrderMixin, generic.View):
    """Cancel a reward order and give its points back; a delivered one only as a confirmed return."""

    def post(self, request, *args, **kwargs):
        reward_order = self.get_reward_order()
        form = CancelForm(request.POST)
        form.is_valid()
        data = form.cleaned_data
        restock = True if data.get("restock") else None
        try:
            reward_order = services.cancel(
                reward_order,
                reason=data.get("reason", ""),
                confirm_return=data.get("confirm_return", False),
                restock=restock,
                actor=request.user,
            )
        except ledger.LoyaltyError as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(
                request,
                _("Reward order %(number)s is cancelled and its %(points)s points are back in the customer's account.")
                % {"number": reward_order.number, "points": reward_order.points},
            )
        return HttpResponseRedirect(self.detail_url(reward_order))


class PackingListView(generic.TemplateView):
    """A printable packing list: one reward order (``number`` in the URL) or the ones ticked in the list."""

    template_name = "oscar_loyalty/rewards/dashboard/packing_list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        numbers = [self.kwargs["number"]] if "number" in self.kwargs else self.request.GET.getlist("number")
        orders = RewardOrder.objects.filter(number__in=numbers, kind=Reward.PHYSICAL).order_by("pk")
        ctx["reward_orders"] = orders
        return ctx
