"""The customer's code form on "My bonuses", and the dealer's cabinet.

A dealer's pages show only the batches of the dealers the signed-in user
belongs to (another dealer's batch is a 404), and never who registered a
code unless the batch's program allows it.
"""

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import generic
from oscar.core.loading import get_class, get_model

from oscar_loyalty.codes import exceptions, reports, services
from oscar_loyalty.codes.forms import BatchRequestForm, RegisterCodeForm

PageTitleMixin = get_class("customer.mixins", "PageTitleMixin")
PointCodeBatch = get_model("oscar_loyalty", "PointCodeBatch")
BatchRequest = get_model("oscar_loyalty", "BatchRequest")


class RegisterCodeView(generic.View):
    """Registers the code posted from "My bonuses", then goes back there with a message."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = RegisterCodeForm(request.POST)
        raw = form.data.get("code", "")
        try:
            registration = services.register(request, raw)
        except exceptions.PointCodeError as exc:
            messages.error(request, str(exc), extra_tags="point-code")
        else:
            text = ngettext(
                "Code registered: %(points)s point credited.",
                "Code registered: %(points)s points credited.",
                registration.points,
            ) % {"points": registration.points}
            if registration.bonus is not None:
                text += " " + ngettext(
                    "And %(points)s extra point for %(count)s codes!",
                    "And %(points)s extra points for %(count)s codes!",
                    registration.bonus.points,
                ) % {"points": registration.bonus.points, "count": registration.bonus.codes}
            messages.success(request, text, extra_tags="point-code")
        return HttpResponseRedirect(reverse("loyalty:bonuses") + "#loyalty-point-code")


class DealerMixin(PageTitleMixin):
    """Only for users who sign in for a dealer; ``self.dealers`` are theirs."""

    active_tab = "dealer"

    def dispatch(self, request, *args, **kwargs):
        self.dealers = list(services.dealers_of(request.user))
        if not self.dealers:
            raise Http404(_("This page is for our dealers."))
        return super().dispatch(request, *args, **kwargs)

    def batches(self):
        return PointCodeBatch.objects.filter(dealer__in=self.dealers)


class DealerBatchListView(DealerMixin, generic.TemplateView):
    template_name = "oscar_loyalty/codes/dealer/batches.html"
    page_title = gettext_lazy("Dealer cabinet")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["dealers"] = self.dealers
        ctx["figures"] = reports.batch_figures(self.batches().order_by("-assigned_at", "-id"))
        ctx["requests"] = BatchRequest.objects.filter(dealer__in=self.dealers).select_related("program")[:20]
        ctx["request_form"] = BatchRequestForm()
        return ctx


class DealerBatchDetailView(DealerMixin, generic.TemplateView):
    template_name = "oscar_loyalty/codes/dealer/batch.html"
    page_title = gettext_lazy("Dealer cabinet")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        batch = get_object_or_404(self.batches(), pk=self.kwargs["pk"])
        ctx["batch"] = batch
        ctx["figures"] = reports.batch_figures(PointCodeBatch.objects.filter(pk=batch.pk))[0]
        ctx["by_day"] = reports.registrations_by_day(batch)
        ctx["show_customers"] = batch.program.show_customers_to_dealers
        ctx["registrations"] = reports.registrations(batch).select_related("customer")[:200]
        return ctx


class DealerRequestView(DealerMixin, generic.FormView):
    """A dealer asks staff for a batch of codes."""

    form_class = BatchRequestForm
    template_name = "oscar_loyalty/codes/dealer/request.html"
    page_title = gettext_lazy("Ask for codes")

    def form_valid(self, form):
        try:
            services.request_batch(
                self.dealers[0],
                form.cleaned_data["program"],
                size=form.cleaned_data["size"],
                comment=form.cleaned_data["comment"],
                user=self.request.user,
            )
        except exceptions.PointCodeError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        messages.success(self.request, _("Your request has been sent. We will let you know when the codes are ready."))
        return HttpResponseRedirect(reverse("loyalty:dealer-batches"))
