from django.utils.translation import gettext_lazy as _
from oscar.core.application import OscarConfig


class LoyaltyConfig(OscarConfig):
    label = "oscar_loyalty"
    name = "oscar_loyalty"
    verbose_name = _("Loyalty program")
    default_auto_field = "django.db.models.BigAutoField"

    namespace = "loyalty"

    def ready(self):
        from oscar_loyalty.earning import margins, receivers  # noqa: F401 (margins connects cache invalidation)

        receivers.connect()

    def get_urls(self):
        return self.post_process_urls([])
