"""The dashboard's segments: sizes and movement, lists and saved filters, the export, and birthdays."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import generic
from oscar.core.loading import get_model

from oscar_loyalty import csv_export
from oscar_loyalty.segments import passes, reports, services
from oscar_loyalty.segments.forms import MembersForm, SegmentForm, StaffBirthdayForm

Segment = get_model("oscar_loyalty", "Segment")
SegmentMembership = get_model("oscar_loyalty", "SegmentMembership")
Account = get_model("oscar_loyalty", "Account")


class SegmentListView(generic.TemplateView):
    """Every segment with its size over the last six months, and this month's movement between RFM segments."""

    template_name = "oscar_loyalty/segments/dashboard/segment_list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        today = timezone.localdate()
        ctx["months"], ctx["rows"] = reports.sizes_by_month(today)
        ctx["movement_labels"], ctx["movement_rows"] = reports.movement_table(passes.month_of(today))
        return ctx


class SegmentFormMixin:
    model = Segment
    form_class = SegmentForm
    template_name = "oscar_loyalty/segments/dashboard/segment_form.html"

    def get_success_url(self):
        return reverse("loyalty-dashboard:loyalty-segment-detail", kwargs={"pk": self.object.pk})


class SegmentCreateView(SegmentFormMixin, generic.CreateView):
    def form_valid(self, form):
        response = super().form_valid(form)
        if self.object.kind == Segment.FILTER:
            passes.refresh_filters()
        messages.success(self.request, _("The segment is saved."))
        return response


class SegmentUpdateView(SegmentFormMixin, generic.UpdateView):
    def get_queryset(self):
        return Segment.objects.exclude(kind=Segment.RFM)

    def form_valid(self, form):
        response = super().form_valid(form)
        if self.object.kind == Segment.FILTER:
            passes.refresh_filters()
        messages.success(self.request, _("The segment is saved."))
        return response


class SegmentDetailView(generic.DetailView):
    """The segment's members; a list also takes customers in and out by e-mail."""

    model = Segment
    template_name = "oscar_loyalty/segments/dashboard/segment_detail.html"
    context_object_name = "segment"
    page_size = 50

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        members = SegmentMembership.objects.filter(segment=self.object).select_related("user").order_by("-since", "pk")
        ctx["members"] = Paginator(members, self.page_size).get_page(self.request.GET.get("page"))
        ctx["name"] = reports.display_name(self.object)
        ctx.setdefault("members_form", MembersForm())
        return ctx

    def post(self, request, *args, **kwargs):
        self.object = segment = self.get_object()
        form = MembersForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(members_form=form), status=400)
        try:
            if request.POST.get("action") == "remove":
                count = services.remove_members(segment, form.cleaned_data["emails"])
                messages.success(request, _("Customers taken out of the list: %(count)d.") % {"count": count})
            else:
                count = services.add_members(segment, form.cleaned_data["emails"])
                messages.success(request, _("Customers added to the list: %(count)d.") % {"count": count})
        except services.SegmentError as error:
            messages.error(request, str(error))
        return HttpResponseRedirect(reverse("loyalty-dashboard:loyalty-segment-detail", kwargs={"pk": segment.pk}))


class SegmentExportView(generic.View):
    """The segment's members as CSV for the shop's mailing tool: contacts and consent flags, formula-safe."""

    def get(self, request, pk):
        segment = get_object_or_404(Segment, pk=pk)
        # Streamed row by row: a segment of a million customers is never held in memory.
        writer = csv_export.writer(_Echo())

        def lines():
            yield writer.writerow(reports.EXPORT_COLUMNS)
            for row in reports.export_rows(segment):
                yield writer.writerow(row)

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="segment-{segment.code}.csv"'
        return response


class _Echo:
    """A stream whose ``write`` hands the text back, for a streamed response to yield."""

    def write(self, text):
        return text


class SegmentRefreshView(generic.View):
    """Recompute the segments now, instead of waiting for the night's pass."""

    def post(self, request):
        result = passes.refresh_segments()
        messages.success(
            request,
            _("Segments recomputed; customers with RFM scores: %(customers)d.")
            % {"customers": result["rfm_customers"]},
        )
        return HttpResponseRedirect(reverse("loyalty-dashboard:loyalty-segment-list"))


class BirthdayView(generic.View):
    """Staff set or correct a customer's date of birth from the account page; their name is kept."""

    def post(self, request, pk):
        account = get_object_or_404(Account.objects.select_related("user"), pk=pk)
        url = reverse("loyalty-dashboard:loyalty-account-detail", kwargs={"pk": account.pk})
        form = StaffBirthdayForm(request.POST)
        if account.user is None or not form.is_valid():
            messages.error(request, _("Enter a date of birth."))
            return HttpResponseRedirect(url)
        try:
            services.set_birthday_by_staff(account.user, form.cleaned_data["birthday"], actor=request.user)
        except services.SegmentError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The date of birth is saved."))
        return HttpResponseRedirect(url)
