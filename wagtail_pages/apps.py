from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WagtailPagesConfig(AppConfig):
    label = "loyalty_pages"
    name = "wagtail_pages"
    verbose_name = _("Loyalty program pages")
    default_auto_field = "django.db.models.BigAutoField"
