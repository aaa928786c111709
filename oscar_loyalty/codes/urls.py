"""The URLs of manufacturer programs, bound with ``get_class`` so a shop can replace any view (Oscar's way).

``customer_urls()`` join the ``loyalty`` app's URLs (the code form, the dealer's
cabinet); ``dashboard_urls()`` join the loyalty dashboard's, whose permissions
guard them. Their names carry a ``loyalty-`` prefix where Oscar's dashboard
menu needs names unique across its apps.
"""

from django.contrib.auth.decorators import login_required
from django.urls import path
from oscar.core.loading import get_class

VIEWS = "oscar_loyalty.codes.views"
DASHBOARD = "oscar_loyalty.codes.dashboard"


def _view(module, name, *, login=False):
    view = get_class(module, name).as_view()
    return login_required(view) if login else view


def customer_urls():
    return [
        path("my-bonuses/codes/", _view(VIEWS, "RegisterCodeView", login=True), name="point-code-register"),
        path("dealer/", _view(VIEWS, "DealerBatchListView", login=True), name="dealer-batches"),
        path("dealer/batches/<int:pk>/", _view(VIEWS, "DealerBatchDetailView", login=True), name="dealer-batch"),
        path("dealer/request/", _view(VIEWS, "DealerRequestView", login=True), name="dealer-request"),
    ]


def dashboard_urls():
    d = DASHBOARD
    return [
        path("codes/", _view(d, "BatchListView"), name="loyalty-code-batch-list"),
        path("codes/new/", _view(d, "BatchCreateView"), name="loyalty-code-batch-create"),
        path("codes/find/", _view(d, "FindCodeView"), name="loyalty-code-find"),
        path("codes/attempts/", _view(d, "AttemptListView"), name="loyalty-code-attempts"),
        path("codes/<int:pk>/", _view(d, "BatchDetailView"), name="loyalty-code-batch-detail"),
        path("codes/<int:pk>/export/", _view(d, "BatchExportView"), name="loyalty-code-batch-export"),
        path("codes/<int:pk>/revoke/", _view(d, "BatchRevokeView"), name="loyalty-code-batch-revoke"),
        path("codes/<int:pk>/dealer/", _view(d, "BatchAssignView"), name="loyalty-code-batch-assign"),
        path("codes/code/<int:pk>/revoke/", _view(d, "CodeRevokeView"), name="loyalty-code-revoke"),
        path("codes/code/<int:pk>/reverse/", _view(d, "CodeReverseView"), name="loyalty-code-reverse"),
        path("codes/programs/", _view(d, "ProgramListView"), name="loyalty-code-program-list"),
        path("codes/programs/new/", _view(d, "ProgramCreateView"), name="loyalty-code-program-create"),
        path("codes/programs/<int:pk>/", _view(d, "ProgramUpdateView"), name="loyalty-code-program-update"),
        path("dealers/", _view(d, "DealerListView"), name="loyalty-dealer-list"),
        path("dealers.csv", _view(d, "DealerCSVView"), name="loyalty-dealer-csv"),
        path("dealers/new/", _view(d, "DealerCreateView"), name="loyalty-dealer-create"),
        path("dealers/<int:pk>/", _view(d, "DealerDetailView"), name="loyalty-dealer-detail"),
        path("dealers/<int:pk>/edit/", _view(d, "DealerUpdateView"), name="loyalty-dealer-update"),
        path(
            "dealers/requests/<int:pk>/decline/", _view(d, "RequestDeclineView"), name="loyalty-dealer-request-decline"
        ),
    ]
