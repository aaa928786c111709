"""The exchange URL: ``path("", include("erp_sync.exchange.urls"))`` in the project's URLconf.

Its path is ``ERP_SYNC_EXCHANGE_PATH`` (default ``erp/exchange/``), read when the URLconf loads. The
same path without its trailing slash (or with one, if it has none) answers too: 1C posts to the URL as
it was typed, and ``APPEND_SLASH`` cannot redirect a POST.
"""

from django.urls import path

from erp_sync.exchange.settings import exchange_settings
from erp_sync.exchange.views import exchange_view


def other_spelling(route):
    """``route`` with its trailing slash dropped, or added when it has none."""
    return route[:-1] if route.endswith("/") else f"{route}/"


urlpatterns = [
    path(exchange_settings.EXCHANGE_PATH, exchange_view, name="erp-exchange"),
]
if exchange_settings.EXCHANGE_PATH.strip("/"):
    # Unnamed: reverse("erp-exchange") keeps giving the configured path.
    urlpatterns.append(path(other_spelling(exchange_settings.EXCHANGE_PATH), exchange_view))
