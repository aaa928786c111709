"""The bare shop's URLs: the README's "Install into your shop", step 3, word for word."""

from django.apps import apps
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("loyalty/", apps.get_app_config("oscar_loyalty").urls),
    path("dashboard/loyalty/", apps.get_app_config("oscar_loyalty_dashboard").urls),
    path("", include(apps.get_app_config("oscar").urls[0])),
]
