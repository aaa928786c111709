"""The URLs of a shop with the core app alone (``tests.settings_core``)."""

from django.apps import apps
from django.urls import include, path

urlpatterns = [
    path("loyalty/", apps.get_app_config("oscar_loyalty").urls),
    path("dashboard/loyalty/", apps.get_app_config("oscar_loyalty_dashboard").urls),
    path("", include(apps.get_app_config("oscar").urls[0])),
]
