from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ErpSyncConfig(AppConfig):
    label = "erp_sync"
    name = "erp_sync"
    verbose_name = _("Accounting system exchange")
    default_auto_field = "django.db.models.BigAutoField"
