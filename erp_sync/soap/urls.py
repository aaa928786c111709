"""The staff pages of the SOAP exchange; include them under the dashboard, before Oscar's URLs::

path("dashboard/erp-sync/", include("erp_sync.soap.urls")),
"""

from django.urls import path

from erp_sync.soap import views

app_name = "erp-sync-dashboard"

urlpatterns = [
    path("outbox/", views.OutboxView.as_view(), name="outbox"),
    path("reconciliation/", views.ReconciliationView.as_view(), name="reconciliation"),
    path("reconciliation/<int:pk>/", views.ReconciliationView.as_view(), name="reconciliation-run"),
]
