"""Staff's pages for manufacturer programs in the loyalty dashboard: programs, batches, codes, dealers.

Mounted by ``oscar_loyalty.dashboard.apps`` (which guards them with the loyalty
manager permission); every change goes through :mod:`oscar_loyalty.codes.services`.
"""

import io

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic
from oscar.core.loading import get_model

from oscar_loyalty import csv_export
from oscar_loyalty.codes import batches, exceptions, printing, reports, services
from oscar_loyalty.codes.forms import AssignForm, BatchForm, DealerForm, FindCodeForm, ProgramForm, ReverseForm

ManufacturerProgram = get_model("oscar_loyalty", "ManufacturerProgram")
Dealer = get_model("oscar_loyalty", "Dealer")
PointCodeBatch = get_model("oscar_loyalty", "PointCodeBatch")
PointCode = get_model("oscar_loyalty", "PointCode")
PointCodeAttempt = get_model("oscar_loyalty", "PointCodeAttempt")
BatchRequest = get_model("oscar_loyalty", "BatchRequest")

TEMPLATES = "oscar_loyalty/codes/dashboard/"


# --- Programs -------------------------------------------------------------------


class ProgramListView(generic.ListView):
    template_name = TEMPLATES + "program_list.html"
    context_object_name = "programs"

    def get_queryset(self):
        return ManufacturerProgram.objects.all()


class ProgramCreateView(generic.CreateView):
    form_class = ProgramForm
    template_name = TEMPLATES + "form.html"
    success_url = reverse_lazy("loyalty-dashboard:loyalty-code-program-list")
    extra_context = {"title": gettext_lazy("New manufacturer program")}


class ProgramUpdateView(generic.UpdateView):
    form_class = ProgramForm
    model = ManufacturerProgram
    template_name = TEMPLATES + "form.html"
    success_url = reverse_lazy("loyalty-dashboard:loyalty-code-program-list")

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=self.object.name, **kwargs)


# --- Batches --------------------------------------------------------------------


class BatchListView(generic.TemplateView):
    template_name = TEMPLATES + "batch_list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["figures"] = reports.batch_figures(PointCodeBatch.objects.order_by("-created_at", "-id")[:200])
        ctx["find_form"] = FindCodeForm()
        return ctx


class BatchCreateView(generic.FormView):
    form_class = BatchForm
    template_name = TEMPLATES + "form.html"
    extra_context = {"title": gettext_lazy("New batch of codes")}

    def get_initial(self):
        initial = {"valid_from": timezone.localdate()}
        batch_request = self.batch_request()
        if batch_request is not None:
            initial.update(program=batch_request.program, size=batch_request.size, dealer=batch_request.dealer)
        return initial

    def batch_request(self):
        request_id = self.request.GET.get("request") or self.request.POST.get("request")
        if not request_id or not str(request_id).isdigit():
            return None
        return BatchRequest.objects.filter(pk=request_id, status=BatchRequest.OPEN).first()

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["batch_request"] = self.batch_request()
        return ctx

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            batch = batches.create_batch(
                data["program"],
                name=data["name"],
                label=data["label"],
                points=data["points"],
                size=data["size"],
                valid_from=data["valid_from_at"],
                valid_until=data["valid_until_at"],
                dealer=data["dealer"],
                bonus_every=data["bonus_every"],
                bonus_points=data["bonus_points"],
                request=self.batch_request(),
                actor=self.request.user,
            )
        except exceptions.PointCodeError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        messages.success(self.request, _("Batch created. Export its codes to print them: they are shown once."))
        return HttpResponseRedirect(reverse("loyalty-dashboard:loyalty-code-batch-detail", kwargs={"pk": batch.pk}))


class BatchDetailView(generic.DetailView):
    template_name = TEMPLATES + "batch_detail.html"
    context_object_name = "batch"

    def get_queryset(self):
        return PointCodeBatch.objects.select_related("program", "dealer")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["figures"] = reports.batch_figures(PointCodeBatch.objects.filter(pk=self.object.pk))[0]
        ctx["by_day"] = reports.registrations_by_day(self.object)
        ctx["registrations"] = reports.registrations(self.object).select_related("customer")[:200]
        ctx["assign_form"] = AssignForm(initial={"dealer": self.object.dealer})
        ctx["reverse_form"] = ReverseForm()
        return ctx


class BatchExportView(generic.View):
    """Generates the batch's codes and sends them, once, as CSV or PDF."""

    http_method_names = ["post"]

    def post(self, request, pk):
        batch = get_object_or_404(PointCodeBatch.objects.select_related("program"), pk=pk)
        fmt = request.POST.get("format")
        if fmt not in ("csv", "pdf"):
            messages.error(request, _("Choose CSV or PDF."))
            return self.back(batch)
        try:
            codes = batches.export_codes(batch, actor=request.user)
        except exceptions.PointCodeError as exc:
            messages.error(request, str(exc))
            return self.back(batch)
        filename = f"point-codes-{batch.pk}"
        if fmt == "pdf":
            response = HttpResponse(printing.pdf(batch, codes), content_type="application/pdf")
        else:
            stream = io.StringIO()
            printing.write_csv(stream, batch, codes)
            response = HttpResponse(stream.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
        response["Cache-Control"] = "no-store"
        return response

    def back(self, batch):
        return HttpResponseRedirect(reverse("loyalty-dashboard:loyalty-code-batch-detail", kwargs={"pk": batch.pk}))


class BatchActionView(generic.View):
    http_method_names = ["post"]

    def post(self, request, pk):
        batch = get_object_or_404(PointCodeBatch, pk=pk)
        try:
            self.act(request, batch)
        except exceptions.PointCodeError as exc:
            messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("loyalty-dashboard:loyalty-code-batch-detail", kwargs={"pk": batch.pk}))


class BatchRevokeView(BatchActionView):
    def act(self, request, batch):
        if batches.revoke_batch(batch, actor=request.user):
            messages.success(request, _("The batch has been revoked: its unregistered codes no longer work."))
        else:
            messages.info(request, _("The batch had already been revoked."))


class BatchAssignView(BatchActionView):
    def act(self, request, batch):
        form = AssignForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose an active dealer."))
            return
        batches.assign_batch(batch, form.cleaned_data["dealer"])
        messages.success(request, _("The batch's dealer has been saved."))


# --- Single codes -----------------------------------------------------------------


class FindCodeView(generic.FormView):
    """Staff look a code up by the voucher in hand, then revoke or reverse it."""

    form_class = FindCodeForm
    template_name = TEMPLATES + "code.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if "code" in self.request.GET:
            kwargs["data"] = self.request.GET
        return kwargs

    def get(self, request, *args, **kwargs):
        form = self.get_form()
        ctx = {"form": form, "reverse_form": ReverseForm()}
        if form.is_bound and form.is_valid():
            try:
                ctx["point_code"] = batches.find_code(form.cleaned_data["code"])
            except exceptions.PointCodeError as exc:
                form.add_error("code", str(exc))
        return self.render_to_response(self.get_context_data(**ctx))


class CodeActionView(generic.View):
    http_method_names = ["post"]

    def post(self, request, pk):
        point_code = get_object_or_404(PointCode.objects.select_related("batch"), pk=pk)
        try:
            self.act(request, point_code)
        except exceptions.PointCodeError as exc:
            messages.error(request, str(exc))
        back = request.POST.get("next")
        if back and back.startswith("/") and not back.startswith("//"):
            return HttpResponseRedirect(back)
        return HttpResponseRedirect(
            reverse("loyalty-dashboard:loyalty-code-batch-detail", kwargs={"pk": point_code.batch_id})
        )


class CodeRevokeView(CodeActionView):
    def act(self, request, point_code):
        batches.revoke_code(point_code, actor=request.user)
        messages.success(request, _("Code …%(hint)s has been revoked.") % {"hint": point_code.code_hint})


class CodeReverseView(CodeActionView):
    def act(self, request, point_code):
        form = ReverseForm(request.POST)
        reason = form.data.get("reason", "")
        batches.reverse_code(point_code, actor=request.user, reason=reason)
        messages.success(
            request,
            _("Code …%(hint)s has been reversed: %(points)s points were taken back.")
            % {"hint": point_code.code_hint, "points": point_code.points},
        )


class AttemptListView(generic.ListView):
    template_name = TEMPLATES + "attempts.html"
    context_object_name = "attempts"
    paginate_by = 50

    def get_queryset(self):
        attempts = PointCodeAttempt.objects.select_related("code", "code__batch").order_by("-created_at", "-id")
        outcome = self.request.GET.get("outcome")
        if outcome in dict(PointCodeAttempt.OUTCOME_CHOICES):
            attempts = attempts.filter(outcome=outcome)
        return attempts

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["outcomes"] = PointCodeAttempt.OUTCOME_CHOICES
        ctx["outcome"] = self.request.GET.get("outcome", "")
        return ctx


# --- Dealers ------------------------------------------------------------------------


class DealerListView(generic.TemplateView):
    template_name = TEMPLATES + "dealer_list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["figures"] = reports.dealer_figures(Dealer.objects.order_by("name", "id"))
        ctx["open_requests"] = BatchRequest.objects.filter(status=BatchRequest.OPEN).select_related("dealer", "program")
        return ctx


class DealerCSVView(generic.View):
    """Per dealer: batches, codes, registrations, the rate and the points issued, as CSV for Excel."""

    def get(self, request):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="dealers.csv"'
        writer = csv_export.writer(response)
        writer.writerow(
            [_("Dealer"), _("City"), _("Batches"), _("Codes"), _("Registered"), _("Registered, %"), _("Points issued")]
        )
        for figures in reports.dealer_figures(Dealer.objects.order_by("name", "id")):
            dealer = figures.dealer
            writer.writerow(
                [
                    dealer.name,
                    dealer.city,
                    figures.batches,
                    figures.codes,
                    figures.registered,
                    figures.rate,
                    figures.points,
                ]
            )
        return response


class DealerCreateView(generic.CreateView):
    form_class = DealerForm
    template_name = TEMPLATES + "form.html"
    extra_context = {"title": gettext_lazy("New dealer")}

    def get_success_url(self):
        return reverse("loyalty-dashboard:loyalty-dealer-detail", kwargs={"pk": self.object.pk})


class DealerUpdateView(DealerCreateView):
    model = Dealer

    def get_object(self, queryset=None):
        return get_object_or_404(Dealer, pk=self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return self.render_to_response(self.get_context_data())

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        form = self.get_form()
        return self.form_valid(form) if form.is_valid() else self.form_invalid(form)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.object
        return kwargs

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=self.object.name, **kwargs)


class DealerDetailView(generic.DetailView):
    template_name = TEMPLATES + "dealer_detail.html"
    context_object_name = "dealer"
    model = Dealer

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["totals"] = reports.dealer_figures(Dealer.objects.filter(pk=self.object.pk))[0]
        ctx["figures"] = reports.batch_figures(self.object.batches.order_by("-created_at", "-id"))
        ctx["requests"] = self.object.batch_requests.select_related("program", "batch")
        ctx["logins"] = self.object.users.order_by("email")
        return ctx


class RequestDeclineView(generic.View):
    http_method_names = ["post"]

    def post(self, request, pk):
        batch_request = get_object_or_404(BatchRequest, pk=pk)
        if services.decline(batch_request, actor=request.user):
            messages.success(request, _("The request has been declined."))
        return HttpResponseRedirect(
            reverse("loyalty-dashboard:loyalty-dealer-detail", kwargs={"pk": batch_request.dealer_id})
        )
