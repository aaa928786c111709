from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model

from oscar_loyalty.admin import ReadOnlyAdmin

OutboxMessage = get_model("erp_sync", "OutboxMessage")
ErpChange = get_model("erp_sync", "ErpChange")
ReconciliationRun = get_model("erp_sync", "ReconciliationRun")

# --- Bonus balances over SOAP ---------------------------------------------------


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """Read-only: rows come from the journal's trigger and leave by delivery; staff may only retry."""

    list_display = (
        "key",
        "customer_id",
        "kind",
        "points",
        "order_number",
        "created_at",
        "status",
        "attempts",
        "last_error",
    )
    list_filter = ("status", "kind")
    search_fields = ("key", "order_number", "=customer_id")
    actions = ["retry"]

    def has_manage_loyalty_permission(self, request):
        """Sending movements again is a change of points for the accounting system: loyalty managers only."""
        from oscar_loyalty.dashboard.apps import MANAGE

        return request.user.has_perm(MANAGE)

    @admin.action(description=_("Send the selected parked movements again"), permissions=["manage_loyalty"])
    def retry(self, request, queryset):
        from erp_sync.outbox import retried_message, retry_parked
        from erp_sync.tasks import deliver_after_commit

        accounts = retry_parked(queryset)
        deliver_after_commit(accounts)
        self.message_user(request, retried_message(len(accounts)), messages.SUCCESS)


@admin.register(ErpChange)
class ErpChangeAdmin(ReadOnlyAdmin):
    list_display = ("kind", "erp_id", "customer", "points", "tier", "accountant", "state", "error", "received_at")
    list_filter = ("kind", "state")
    search_fields = ("erp_id", "customer")


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(admin.ModelAdmin):
    list_display = ("started_at", "finished_at", "started_by", "error")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- CommerceML exchange (registers its models) ------------------------------------

from erp_sync.exchange import admin as exchange_admin  # noqa: E402, F401
from erp_sync.exchange.catalogue import admin as catalogue_admin  # noqa: E402, F401
