"""Campaign rules in the loyalty dashboard: the list, the builder (from a template or blank) and the preview."""

from decimal import Decimal

from django.contrib import messages
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import generic
from oscar.core.loading import get_class, get_model

from oscar_loyalty.campaigns import services, snapshot
from oscar_loyalty.campaigns.forms import TEMPLATES, CampaignRuleForm, PreviewForm
from oscar_loyalty.earning import margins, tiers
from oscar_loyalty.earning.calculations import upcoming_points

CampaignRule = get_model("oscar_loyalty", "CampaignRule")
Selector = get_class("partner.strategy", "Selector")


class CampaignRuleListView(generic.ListView):
    template_name = "oscar_loyalty/campaigns/rule_list.html"
    context_object_name = "rules"

    def get_queryset(self):
        return CampaignRule.objects.select_related("budget").order_by("-is_active", "name", "pk")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["templates"] = [(code, spec["label"]) for code, spec in TEMPLATES.items()]
        return ctx


class CampaignRuleFormMixin:
    model = CampaignRule
    form_class = CampaignRuleForm
    template_name = "oscar_loyalty/campaigns/rule_form.html"

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            snapshot.publish(self.object)
        messages.success(
            self.request,
            _("Rule %(name)s saved (version %(version)s).")
            % {"name": self.object.name, "version": self.object.version},
        )
        return response

    def get_success_url(self):
        return reverse("loyalty-dashboard:loyalty-campaign-list")


class CampaignRuleCreateView(CampaignRuleFormMixin, generic.CreateView):
    def get_initial(self):
        initial = super().get_initial()
        code = self.request.GET.get("template", "")
        if code in TEMPLATES:
            initial.update(TEMPLATES[code]["initial"])
            initial["template"] = code
        return initial

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        code = self.request.GET.get("template", "")
        ctx["template_label"] = TEMPLATES[code]["label"] if code in TEMPLATES else None
        return ctx


class CampaignRuleUpdateView(CampaignRuleFormMixin, generic.UpdateView):
    pass


class CampaignPreviewView(generic.FormView):
    """What a basket would earn now (or at a given moment) under the active rules, line by line."""

    form_class = PreviewForm
    template_name = "oscar_loyalty/campaigns/preview.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.request.GET:
            kwargs["data"] = self.request.GET
        return kwargs

    def get(self, request, *args, **kwargs):
        form = self.get_form()
        if request.GET and form.is_valid():
            return self.render_to_response(self.get_context_data(form=form, result=self.evaluate(form.cleaned_data)))
        return self.render_to_response(self.get_context_data(form=form))

    def evaluate(self, data):
        customer = data["customer"]
        now = data["at"] or timezone.now()
        tier = tiers.tier_for(customer, now=now) if customer is not None else _entry_tier()
        strategy = Selector().strategy(request=self.request, user=customer)
        coefficients = margins.coefficients([product for product, _quantity in data["lines"]])
        lines, unpriced = [], []
        for product, quantity in data["lines"]:
            price = strategy.fetch_for_product(product).price
            if not price.exists:
                unpriced.append(product)
                continue
            amount = (price.incl_tax if price.is_tax_known else price.excl_tax) * quantity
            base = (
                upcoming_points(amount, tier.cashback_percent, coefficients.get(product.pk, margins.NEUTRAL))
                if tier is not None
                else 0
            )
            lines.append((product, Decimal(amount), base, True))
        evaluation = services.preview(customer, lines, tier=tier, now=now, channel=data["channel"] or None)
        return {
            "evaluation": evaluation,
            "tier": tier,
            "customer": customer,
            "at": now,
            "lines": lines,
            "unpriced": unpriced,
        }


def _entry_tier():
    return min(tiers.all_tiers(), key=tiers.rank, default=None)
