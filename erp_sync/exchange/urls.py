"""The exchange URL: ``path("", include("erp_sync.exchange.urls"))`` in the project's URLconf.

Its path is ``ERP_SYNC_EXCHANGE_PATH`` (default ``erp/exchange/``), read when the URLconf loads.
"""

from django.urls import path

from erp_sync.exchange.settings import exchange_settings
from erp_sync.exchange.views import exchange_view

urlpatterns = [
    path(exchange_settings.EXCHANGE_PATH, exchange_view, name="erp-exchange"),
]
