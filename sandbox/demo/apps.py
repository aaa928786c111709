from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    label = "demo"
    name = "sandbox.demo"
    verbose_name = _("Demo shop data")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The demo shop's Celery app, so that ``shared_task`` binds to it.
        from sandbox import celery  # noqa: F401
