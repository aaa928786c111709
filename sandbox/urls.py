from django.apps import apps
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from sandbox.erp_service.views import loyalty_service

urlpatterns = [
    path("admin/", admin.site.urls),
    path("cms/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("i18n/", include("django.conf.urls.i18n")),
    # The accounting system's CommerceML exchange (ERP_SYNC_EXCHANGE_PATH).
    path("", include("erp_sync.exchange.urls")),
    # The loyalty app's pages ("My bonuses"), namespaced "loyalty", before Oscar's.
    path("loyalty/", apps.get_app_config("oscar_loyalty").urls),
    # The loyalty section of Oscar's dashboard, namespaced "loyalty-dashboard".
    path("dashboard/loyalty/", apps.get_app_config("oscar_loyalty_dashboard").urls),
    # The SOAP exchange's staff pages (outbox, reconciliation), before Oscar's dashboard.
    path("dashboard/erp-sync/", include("erp_sync.soap.urls")),
    # The CommerceML exchange log (sessions, files, documents), read-only for staff.
    path("dashboard/erp-exchange/", include("erp_sync.exchange.dashboard")),
    # The reference accounting system's loyalty web service (a stand-in for a 1C base).
    path("erp-service/ws/loyalty.1cws", loyalty_service, name="erp-service"),
    path("", include(apps.get_app_config("oscar").urls[0])),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail serves whatever no other pattern claims, so it must stay last.
urlpatterns += [
    path("", include(wagtail_urls)),
]
