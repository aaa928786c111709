from django.apps import apps
from django.contrib import admin
from django.urls import include, path

# Wagtail's admin and pages where Wagtail is installed (not on Django 4.2: tests.settings_no_pages).
WAGTAIL = apps.is_installed("wagtail")

urlpatterns = [
    path("admin/", admin.site.urls),
    # Oscar's page layout links to the language switcher.
    path("i18n/", include("django.conf.urls.i18n")),
    # The accounting system's CommerceML exchange (ERP_SYNC_EXCHANGE_PATH).
    path("", include("erp_sync.exchange.urls")),
    # The loyalty app's pages ("My bonuses"), namespaced "loyalty", before Oscar's.
    path("loyalty/", apps.get_app_config("oscar_loyalty").urls),
    # The loyalty section of Oscar's dashboard, namespaced "loyalty-dashboard".
    path("dashboard/loyalty/", apps.get_app_config("oscar_loyalty_dashboard").urls),
    *([path("cms/", include("wagtail.admin.urls"))] if WAGTAIL else []),
    # The SOAP exchange's staff pages (outbox, reconciliation).
    path("dashboard/erp-sync/", include("erp_sync.soap.urls")),
    # The CommerceML exchange log (sessions, files, documents), read-only for staff.
    path("dashboard/erp-exchange/", include("erp_sync.exchange.dashboard")),
    # A redirect payment gateway and the shop's checkout around it (tests/checkout/gateway.py).
    path("test-gateway/", include("tests.checkout.gateway")),
    path("", include(apps.get_app_config("oscar").urls[0])),
    # Wagtail serves whatever no other pattern claims, so it must stay last.
    *([path("", include("wagtail.urls"))] if WAGTAIL else []),
]
