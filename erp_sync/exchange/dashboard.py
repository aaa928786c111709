"""Staff pages under the Oscar dashboard: the exchange sessions, their files, documents and requests (read-only).

Include them before Oscar's URLs::

    path("dashboard/erp-exchange/", include("erp_sync.exchange.dashboard")),

and add :data:`NAVIGATION_ENTRY` to ``OSCAR_DASHBOARD_NAVIGATION`` (from settings, import
``erp_sync.exchange.nav`` instead: it imports no models).
"""

from django.contrib.admin.views.decorators import staff_member_required
from django.db.models import Count
from django.urls import path
from django.utils.decorators import method_decorator
from django.views.generic import DetailView, ListView
from oscar.core.loading import get_model

ExchangeSession = get_model("erp_sync", "ExchangeSession")
ExchangeEvent = get_model("erp_sync", "ExchangeEvent")
ExchangeDocument = get_model("erp_sync", "ExchangeDocument")
ExportMarker = get_model("erp_sync", "ExportMarker")

staff_only = method_decorator(staff_member_required(login_url="dashboard:login"), name="dispatch")


@staff_only
class SessionListView(ListView):
    template_name = "erp_sync/exchange/session_list.html"
    context_object_name = "sessions"
    paginate_by = 50

    def get_queryset(self):
        return ExchangeSession.objects.annotate(file_count=Count("files", distinct=True)).order_by("-created_at", "-pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["markers"] = ExportMarker.objects.all()
        context["refused"] = ExchangeEvent.objects.filter(session__isnull=True).order_by("-created_at", "-pk")[:20]
        return context


@staff_only
class SessionDetailView(DetailView):
    template_name = "erp_sync/exchange/session_detail.html"
    context_object_name = "exchange_session"

    def get_queryset(self):
        return ExchangeSession.objects.all()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        session = self.object
        context["events"] = session.events.order_by("created_at", "pk")
        context["files"] = session.files.order_by("received_at", "pk")
        context["documents"] = (
            ExchangeDocument.objects.filter(file__session=session)
            .select_related("file")
            .order_by("file_id", "position")[:1000]
        )
        return context


app_name = "erp-exchange-dashboard"

urlpatterns = [
    path("", SessionListView.as_view(), name="session-list"),
    path("<int:pk>/", SessionDetailView.as_view(), name="session-detail"),
]
