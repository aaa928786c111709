"""The bare shop's URLs with the optional parts: the README's blocks for [wagtail] and [erp], word for word."""

from shop.urls import include, path, urlpatterns

# --- The README's "Optional: the program's pages" --------------------------------------------------------

import wagtail.admin.urls
import wagtail.urls

urlpatterns = [
    path("cms/", include(wagtail.admin.urls)),
    *urlpatterns,
    path("", include(wagtail.urls)),
]

# --- The README's "Optional: the 1C exchange and bonus balances in the accounting system" ----------------

urlpatterns = [
    path("", include("erp_sync.exchange.urls")),
    path("dashboard/erp-exchange/", include("erp_sync.exchange.dashboard")),
    path("dashboard/erp-sync/", include("erp_sync.soap.urls")),
    *urlpatterns,
]
