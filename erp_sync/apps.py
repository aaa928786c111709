from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ErpSyncConfig(AppConfig):
    label = "erp_sync"
    name = "erp_sync"
    verbose_name = _("Accounting system exchange")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_migrate

        from erp_sync import checks  # noqa: F401  (registers the system checks)

        # Movements go out as soon as their transaction commits (the sweep catches the rest).
        from erp_sync.soap import receivers  # noqa: F401
        from erp_sync.soap.trigger import ensure_installed

        # SQLite drops the outbox trigger whenever a migration rebuilds the journal table.
        post_migrate.connect(ensure_installed, sender=self, dispatch_uid="erp_sync_outbox_trigger")
