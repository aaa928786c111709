"""The loyalty dashboard's views. Every change of points or tiers goes through the ledger and tier services."""

import re

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, ProtectedError, Q
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic
from oscar.core.loading import get_model

from oscar_loyalty import csv_export, ledger
from oscar_loyalty.dashboard import kpis
from oscar_loyalty.dashboard.forms import (
    AccountSearchForm,
    AdjustmentForm,
    AssignmentForm,
    MarginGroupForm,
    PeriodForm,
    PinTierForm,
    TierForm,
    UnpinTierForm,
)
from oscar_loyalty.earning import tiers as tier_service
from oscar_loyalty.settings import loyalty_settings

Account = get_model("oscar_loyalty", "Account")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")
Lot = get_model("oscar_loyalty", "Lot")
Tier = get_model("oscar_loyalty", "Tier")
CustomerTier = get_model("oscar_loyalty", "CustomerTier")
TierChange = get_model("oscar_loyalty", "TierChange")
MarginGroup = get_model("oscar_loyalty", "MarginGroup")
MarginGroupAssignment = get_model("oscar_loyalty", "MarginGroupAssignment")
Order = get_model("order", "Order")

#: The quick choices above the report, in months.
PRESETS = (3, 6, 12, 24)

#: The staff view issuing a secret code for an order (``oscar_loyalty.checkout.promotions``),
#: linked from the orders on an account's page.
SECRET_CODE_URL_NAME = "loyalty:secret-code-issue"


# --- KPIs ---------------------------------------------------------------------


class ReportMixin:
    def get_report(self):
        self.form = PeriodForm(self.request.GET or None)
        return kpis.build_report(self.form.period)


class KPIView(ReportMixin, generic.TemplateView):
    template_name = "oscar_loyalty/dashboard/kpis.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        report = self.get_report()
        ctx.update(
            report=report,
            form=self.form,
            chart_data=chart_data(report),
            presets=[(months, kpis.Period.last_months(months)) for months in PRESETS],
            query=self.request.GET.urlencode(),
        )
        return ctx


class KPICSVView(ReportMixin, generic.View):
    """The report's table as CSV: one row per month, then the total, then the tiers.

    Written with ``oscar_loyalty.csv_export``: a UTF-8 BOM for Excel, figures
    as numbers, and text (tier names) guarded against formulas.
    """

    def get(self, request, *args, **kwargs):
        report = self.get_report()
        period = report.period
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="loyalty-kpis-{period.start:%Y-%m-%d}-{period.end:%Y-%m-%d}.csv"'
        )
        writer = csv_export.writer(response)
        writer.writerow([label for _name, label in CSV_COLUMNS])
        for row in report.months:
            writer.writerow(csv_row(row, row.month.strftime("%Y-%m")))
        writer.writerow(csv_row(report.total, _("Total")))
        writer.writerow([])
        writer.writerow([_("Tier"), _("Accounts"), _("Share, %")])
        for share in report.tiers:
            writer.writerow([share.label, share.accounts, share.percent])
        return response


CSV_COLUMNS = (
    ("month", gettext_lazy("Month")),
    ("participants", gettext_lazy("Participants")),
    ("new_participants", gettext_lazy("New participants")),
    ("accrued", gettext_lazy("Points accrued")),
    ("redeemed", gettext_lazy("Points redeemed")),
    ("returned", gettext_lazy("Returned to customers")),
    ("expired", gettext_lazy("Points expired")),
    ("redemption_rate", gettext_lazy("Redemption rate, %")),
    ("liability_points", gettext_lazy("Outstanding points at the end")),
    ("liability", gettext_lazy("Outstanding liability at the end")),
    ("revenue", gettext_lazy("Revenue")),
    ("revenue_participants", gettext_lazy("Revenue from participants")),
    ("revenue_others", gettext_lazy("Revenue from others")),
    ("paid_with_points", gettext_lazy("Paid with points")),
    ("points_share", gettext_lazy("Share of revenue paid with points, %")),
)


def csv_row(figures, label):
    """The figures as numbers (``None`` for a rate without a base): the CSV writer keeps numbers unquoted."""
    return [label] + [getattr(figures, name) for name, _label in CSV_COLUMNS[1:]]


def chart_data(report):
    """What the charts draw, as plain JSON values (rendered with ``json_script``)."""
    rows = report.months

    def series(name):
        return [float(value) if value is not None else None for value in (getattr(row, name) for row in rows)]

    return {
        "labels": [date_format(row.month, "YEAR_MONTH_FORMAT") for row in rows],
        "series": {
            name: series(name)
            for name in (
                "participants",
                "new_participants",
                "accrued",
                "redeemed",
                "returned",
                "expired",
                "liability",
                "revenue_participants",
                "revenue_others",
                "points_share",
                "redemption_rate",
            )
        },
        "names": {
            "participants": _("Participants"),
            "new_participants": _("New participants"),
            "accrued": _("Points accrued"),
            "redeemed": _("Points redeemed"),
            "returned": _("Returned to customers"),
            "expired": _("Points expired"),
            "liability": _("Outstanding liability"),
            "revenue_participants": _("Revenue from participants"),
            "revenue_others": _("Revenue from others"),
            "points_share": _("Share paid with points, %"),
            "redemption_rate": _("Redemption rate, %"),
            "accounts": _("Accounts"),
        },
        "tiers": {
            "labels": [share.label for share in report.tiers],
            "accounts": [share.accounts for share in report.tiers],
        },
    }


# --- Accounts -----------------------------------------------------------------


def search_accounts(query):
    """Accounts matching a name, an e-mail address, a phone number or a card (account) number."""
    accounts = Account.objects.select_related("user").order_by("-id")
    query = (query or "").strip()
    if not query:
        return accounts
    compact = re.sub(r"[\s\-().+#]", "", query)
    if compact.isdigit():
        match = Q(pk=int(compact)) if len(compact) <= 18 else Q(pk=None)
        if len(compact) >= 5:
            # The national part of the number: "8 916 ...", "+7 916 ..." and "916 ..." all match.
            tail = compact[-10:]
            match |= Q(user__loyalty_notification_preference__phone__contains=tail)
            match |= Q(user__addresses__phone_number__contains=tail)
        return accounts.filter(match).distinct()
    for term in query.split():
        accounts = accounts.filter(
            Q(customer_name__icontains=term)
            | Q(user__email__icontains=term)
            | Q(user__first_name__icontains=term)
            | Q(user__last_name__icontains=term)
            | Q(user__username__icontains=term)
        )
    return accounts.distinct()


class AccountListView(generic.ListView):
    template_name = "oscar_loyalty/dashboard/account_list.html"
    context_object_name = "accounts"
    paginate_by = 25

    def get_queryset(self):
        self.form = AccountSearchForm(self.request.GET or None)
        query = self.form.cleaned_data["q"] if self.form.is_valid() else ""
        return search_accounts(query)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["form"] = self.form
        ctx["query"] = self.form.cleaned_data.get("q", "") if self.form.is_bound and self.form.is_valid() else ""
        return ctx


class AccountMixin:
    """Loads the account, and builds its page (with any form the request carried)."""

    template_name = "oscar_loyalty/dashboard/account_detail.html"
    journal_page_size = 25
    lot_limit = 100

    def dispatch(self, request, *args, **kwargs):
        self.account = get_object_or_404(Account.objects.select_related("user"), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def account_url(self):
        return reverse("loyalty-dashboard:loyalty-account-detail", kwargs={"pk": self.account.pk})

    def page_context(self, **forms):
        account, user, now = self.account, self.account.user, timezone.now()
        tier_state = None
        if user is not None:
            tier_state = CustomerTier.objects.select_related("tier", "pinned_tier").filter(user=user).first()
        journal = Paginator(
            account.journal.select_related("lot", "reservation").order_by("-created_at", "-id"), self.journal_page_size
        ).get_page(self.request.GET.get("page"))
        balance = ledger.get_balance(user, now=now) if user is not None else None
        held = balance.available + balance.pending if balance is not None else account.available + account.pending
        ctx = {
            "account": account,
            "customer": user,
            "balance": balance,
            "liability": held * loyalty_settings.POINT_VALUE,
            "lots": account.lots.order_by("-created_at", "-id")[: self.lot_limit],
            "lot_limit": self.lot_limit,
            "journal": journal,
            "tier": tier_service.tier_for(user, now=now) if user is not None else None,
            "tier_state": tier_state,
            "pin_active": tier_state is not None and tier_state.pin_is_active(now),
            "tier_changes": TierChange.objects.filter(user=user).select_related("old_tier", "new_tier")[:50]
            if user is not None
            else [],
            "point_value": loyalty_settings.POINT_VALUE,
            "now": now,
            "adjustment_form": forms.get("adjustment_form") or AdjustmentForm(),
            "pin_form": forms.get("pin_form") or PinTierForm(initial=self.pin_initial(tier_state)),
            "unpin_form": forms.get("unpin_form") or UnpinTierForm(),
        }
        links = order_links(user, [entry.order_number for entry in journal if entry.order_number])
        ctx["journal_rows"] = [(entry, links.get(entry.order_number)) for entry in journal]
        return ctx

    def pin_initial(self, tier_state):
        if tier_state is None or tier_state.pinned_tier_id is None:
            return {}
        until = tier_state.pinned_until
        return {
            "tier": tier_state.pinned_tier_id,
            "until": timezone.localtime(until).date() if until is not None else None,
        }

    def render_page(self, status=200, **forms):
        response = self.response_class(
            request=self.request,
            template=[self.template_name],
            context=self.page_context(**forms),
            using=self.template_engine,
            status=status,
        )
        return response

    def refuse_without_customer(self):
        if self.account.user is None:
            messages.error(self.request, _("This account's customer has been deleted: its points cannot change."))
            return HttpResponseRedirect(self.account_url())
        return None


def order_links(user, numbers):
    """For the customer's Oscar orders among ``numbers``: their dashboard page and, when the shop has
    the promotions' staff view mounted, the page that issues a secret code for them. One query."""
    if user is None or not numbers:
        return {}
    links = {}
    for number in Order.objects.filter(user=user, number__in=set(numbers)).values_list("number", flat=True):
        try:
            secret_code = reverse(SECRET_CODE_URL_NAME, kwargs={"number": number})
        except NoReverseMatch:
            secret_code = None
        links[number] = {
            "order": reverse("dashboard:order-detail", kwargs={"number": number}),
            "secret_code": secret_code,
        }
    return links


class AccountDetailView(AccountMixin, generic.base.TemplateResponseMixin, generic.View):
    def get(self, request, *args, **kwargs):
        return self.render_page()


class AdjustmentView(AccountMixin, generic.base.TemplateResponseMixin, generic.View):
    """A manual accrual or write-off: once per form, whatever the number of submits."""

    def post(self, request, *args, **kwargs):
        refused = self.refuse_without_customer()
        if refused:
            return refused
        form = AdjustmentForm(request.POST)
        if not form.is_valid():
            return self.render_page(status=400, adjustment_form=form)
        key = form.ledger_key
        already_applied = JournalEntry.objects.filter(key=key).exists()
        try:
            entry = ledger.adjust(
                self.account.user,
                form.signed_points,
                key=key,
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ledger.InsufficientPoints as error:
            form.add_error(
                "points",
                _("Only %(available)d points are available to write off.") % {"available": error.available},
            )
            return self.render_page(status=400, adjustment_form=form)
        except ledger.IdempotencyConflict:
            form.add_error(None, _("This form was already used for another adjustment: reload the page."))
            return self.render_page(status=400, adjustment_form=form)
        except ledger.LoyaltyError as error:
            form.add_error(None, str(error))
            return self.render_page(status=400, adjustment_form=form)
        if already_applied:
            messages.info(request, _("This adjustment had already been applied; nothing was changed."))
        elif entry.points > 0:
            messages.success(request, _("%(points)d points accrued.") % {"points": entry.points})
        else:
            messages.success(request, _("%(points)d points written off.") % {"points": -entry.points})
        return HttpResponseRedirect(self.account_url())


class PinTierView(AccountMixin, generic.base.TemplateResponseMixin, generic.View):
    def post(self, request, *args, **kwargs):
        refused = self.refuse_without_customer()
        if refused:
            return refused
        form = PinTierForm(request.POST)
        if not form.is_valid():
            return self.render_page(status=400, pin_form=form)
        tier, until = form.cleaned_data["tier"], form.pinned_until
        state = CustomerTier.objects.filter(user=self.account.user).first()
        # Pinning is setting a state: the same pin again (a double submit) changes nothing.
        if state is not None and state.pinned_tier_id == tier.pk and state.pinned_until == until:
            messages.info(request, _("%(tier)s is already pinned with this end date.") % {"tier": tier.name})
            return HttpResponseRedirect(self.account_url())
        try:
            tier_service.pin_tier(
                self.account.user, tier, actor=request.user, reason=form.cleaned_data["reason"], until=until
            )
        except ledger.LoyaltyError as error:
            form.add_error(None, str(error))
            return self.render_page(status=400, pin_form=form)
        messages.success(request, _("%(tier)s tier pinned.") % {"tier": tier.name})
        return HttpResponseRedirect(self.account_url())


class UnpinTierView(AccountMixin, generic.base.TemplateResponseMixin, generic.View):
    def post(self, request, *args, **kwargs):
        refused = self.refuse_without_customer()
        if refused:
            return refused
        form = UnpinTierForm(request.POST)
        if not form.is_valid():
            return self.render_page(status=400, unpin_form=form)
        state = CustomerTier.objects.filter(user=self.account.user).first()
        if state is None or state.pinned_tier_id is None:
            messages.info(request, _("No tier is pinned; nothing was changed."))
            return HttpResponseRedirect(self.account_url())
        tier_service.unpin_tier(self.account.user, actor=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("The pin was removed: the tier follows the customer's purchases again."))
        return HttpResponseRedirect(self.account_url())


# --- Program settings -----------------------------------------------------------


class ProgramSettingsView(generic.TemplateView):
    """Tiers and margin groups (editable), and the program's settings read from Django's settings."""

    template_name = "oscar_loyalty/dashboard/program.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        customers = {
            row["tier"]: row["n"] for row in CustomerTier.objects.values("tier").annotate(n=Count("id")).order_by()
        }
        ctx["tiers"] = [(tier, customers.get(tier.pk, 0)) for tier in Tier.objects.all()]
        ctx["groups"] = MarginGroup.objects.prefetch_related(
            "assignments__product", "assignments__category", "assignments__product_class"
        )
        ctx["settings_rows"] = settings_rows()
        return ctx


def settings_rows():
    """The program's values that are Django settings: shown, and changed in the project's settings."""
    s = loyalty_settings
    return [
        ("OSCAR_LOYALTY_POINT_VALUE", _("Value of one point"), s.POINT_VALUE),
        ("OSCAR_LOYALTY_HOLD_DAYS", _("Hold period (days before accrued points can be spent)"), s.HOLD_DAYS),
        ("OSCAR_LOYALTY_EXPIRY_DAYS", _("Expiry period (days after accrual)"), s.EXPIRY_DAYS),
        ("OSCAR_LOYALTY_EXPIRING_SOON_DAYS", _('"Expiring soon" horizon, days'), s.EXPIRING_SOON_DAYS),
        ("OSCAR_LOYALTY_MIN_TO_PAY", _("What an order paid with points must still cost in money"), s.MIN_TO_PAY),
        ("OSCAR_LOYALTY_POINTS_PAY_SHIPPING", _("Points may pay for shipping"), s.POINTS_PAY_SHIPPING),
        ("OSCAR_LOYALTY_OFFERS_EARN", _("Lines discounted by an offer earn points"), s.OFFERS_EARN),
        ("OSCAR_LOYALTY_TIER_WINDOW_DAYS", _("Tier qualification window, days (empty: lifetime)"), s.TIER_WINDOW_DAYS),
        ("OSCAR_LOYALTY_TIER_DOWNGRADE", _("Tiers may go down"), s.TIER_DOWNGRADE),
        ("OSCAR_LOYALTY_NOTIFY_ADJUSTMENTS", _("Customers hear about manual adjustments"), s.NOTIFY_ADJUSTMENTS),
    ]


class ProgramURLMixin:
    def get_success_url(self):
        return reverse("loyalty-dashboard:loyalty-program")


class TierCreateView(ProgramURLMixin, generic.CreateView):
    model = Tier
    form_class = TierForm
    template_name = "oscar_loyalty/dashboard/tier_form.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Tier %(tier)s created.") % {"tier": self.object.name})
        return response


class TierUpdateView(ProgramURLMixin, generic.UpdateView):
    model = Tier
    form_class = TierForm
    template_name = "oscar_loyalty/dashboard/tier_form.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Tier %(tier)s saved.") % {"tier": self.object.name})
        return response


class TierDeleteView(ProgramURLMixin, generic.DeleteView):
    model = Tier
    template_name = "oscar_loyalty/dashboard/confirm_delete.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["customers"] = self.customers_in_tier()
        ctx["refusal"] = self.refusal(ctx["customers"])
        return ctx

    def customers_in_tier(self):
        """How many customers are in the tier or have it pinned."""
        return CustomerTier.objects.filter(Q(tier=self.object) | Q(pinned_tier=self.object)).count()

    def refusal(self, customers):
        if self.object.threshold == 0:
            return _("The entry tier, where every new customer starts, cannot be deleted.")
        if customers:
            return _(
                "%(count)d customers are in this tier or have it pinned. "
                "Raise its threshold or move them before deleting it."
            ) % {"count": customers}
        return None

    def form_valid(self, form):
        refusal = self.refusal(self.customers_in_tier())
        if refusal is None:
            try:
                with transaction.atomic():
                    self.object.delete()
            except ProtectedError:
                refusal = _("Customers are in this tier: move them before deleting it.")
        if refusal is not None:
            messages.error(self.request, refusal)
        else:
            messages.success(self.request, _("Tier %(tier)s deleted.") % {"tier": self.object.name})
        return HttpResponseRedirect(self.get_success_url())


class MarginGroupSaveMixin(ProgramURLMixin):
    model = MarginGroup
    form_class = MarginGroupForm
    template_name = "oscar_loyalty/dashboard/margin_group_form.html"

    def form_valid(self, form):
        with transaction.atomic():
            if form.cleaned_data["is_default"]:
                previous = MarginGroup.objects.filter(is_default=True).exclude(pk=form.instance.pk)
                for group in previous:
                    group.is_default = False
                    group.save(update_fields=["is_default"])
            self.object = form.save()
        messages.success(self.request, _("Margin group %(group)s saved.") % {"group": self.object.name})
        return HttpResponseRedirect(self.get_success_url())


class MarginGroupCreateView(MarginGroupSaveMixin, generic.CreateView):
    def get_success_url(self):
        return reverse("loyalty-dashboard:loyalty-margin-group-update", kwargs={"pk": self.object.pk})


class MarginGroupUpdateView(MarginGroupSaveMixin, generic.UpdateView):
    """The group's fields, and its assignments: add one (POST with ``assign``) or remove one."""

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.setdefault("assignment_form", AssignmentForm(group=self.object))
        ctx["assignments"] = self.object.assignments.select_related("product", "category", "product_class")
        return ctx

    def post(self, request, *args, **kwargs):
        if "assign" not in request.POST:
            return super().post(request, *args, **kwargs)
        self.object = self.get_object()
        form = AssignmentForm(request.POST, group=self.object)
        if not form.is_valid():
            ctx = self.get_context_data(form=self.get_form_class()(instance=self.object), assignment_form=form)
            return self.render_to_response(ctx, status=400)
        target = form.cleaned_data["target_kwargs"]
        with transaction.atomic():
            current = MarginGroupAssignment.objects.select_for_update().filter(**target).first()
            previous = current.group if current is not None else None
            if current is None:
                MarginGroupAssignment.objects.create(group=self.object, **target)
            elif current.group_id != self.object.pk:
                current.group = self.object
                current.save(update_fields=["group"])
        name = str(next(iter(target.values())))
        if previous is None:
            messages.success(request, _("%(target)s assigned to this group.") % {"target": name})
        elif previous.pk == self.object.pk:
            messages.info(request, _("%(target)s is already in this group.") % {"target": name})
        else:
            messages.success(
                request,
                _("%(target)s moved here from %(group)s.") % {"target": name, "group": previous.name},
            )
        return HttpResponseRedirect(request.path)

    def get_success_url(self):
        return reverse("loyalty-dashboard:loyalty-margin-group-update", kwargs={"pk": self.object.pk})


class MarginGroupDeleteView(ProgramURLMixin, generic.DeleteView):
    model = MarginGroup
    template_name = "oscar_loyalty/dashboard/confirm_delete.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["assignments"] = self.object.assignments.count()
        return ctx

    def form_valid(self, form):
        name = self.object.name
        with transaction.atomic():
            self.object.delete()
        messages.success(self.request, _("Margin group %(group)s deleted.") % {"group": name})
        return HttpResponseRedirect(self.get_success_url())


class AssignmentDeleteView(generic.View):
    def post(self, request, *args, **kwargs):
        assignment = get_object_or_404(MarginGroupAssignment.objects.select_related("group"), pk=kwargs["pk"])
        group = assignment.group
        assignment.delete()
        messages.success(request, _("Assignment removed: those products fall back to a wider group."))
        return HttpResponseRedirect(reverse("loyalty-dashboard:loyalty-margin-group-update", kwargs={"pk": group.pk}))
