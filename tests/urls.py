from django.apps import apps
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    # Oscar's page layout links to the language switcher.
    path("i18n/", include("django.conf.urls.i18n")),
    # The loyalty app's pages ("My bonuses"), namespaced "loyalty", before Oscar's.
    path("loyalty/", apps.get_app_config("oscar_loyalty").urls),
    path("", include(apps.get_app_config("oscar").urls[0])),
]
