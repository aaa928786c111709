"""Read-only views of the ledger for staff: it is changed only through its service API."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model

Account = get_model("oscar_loyalty", "Account")
Lot = get_model("oscar_loyalty", "Lot")
Reservation = get_model("oscar_loyalty", "Reservation")
Reversal = get_model("oscar_loyalty", "Reversal")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["customer_name", "status", "available", "pending", "reserved", "debt", "journal_link"]
    list_filter = ["status"]
    search_fields = ["customer_name", "user__email"]
    raw_id_fields = ["user"]

    @admin.display(description=_("Journal"))
    def journal_link(self, account):
        url = reverse("admin:oscar_loyalty_journalentry_changelist") + f"?account__id__exact={account.pk}"
        return format_html('<a href="{}">{}</a>', url, _("Journal"))


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "account",
        "kind",
        "points",
        "available_change",
        "pending_change",
        "reserved_change",
        "debt_change",
        "order_number",
        "actor_name",
        "reason",
    ]
    list_filter = ["kind"]
    search_fields = ["order_number", "key", "account__customer_name", "actor_name"]
    list_select_related = ["account"]
    date_hierarchy = "created_at"


@admin.register(Lot)
class LotAdmin(ReadOnlyAdmin):
    list_display = ["account", "points", "remaining", "status", "origin", "available_at", "expires_at", "order_number"]
    list_filter = ["status", "origin"]
    search_fields = ["order_number", "account__customer_name"]
    list_select_related = ["account"]


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = ["account", "points", "order_number", "status", "created_at", "expires_at"]
    list_filter = ["status"]
    search_fields = ["order_number", "key", "account__customer_name"]
    list_select_related = ["account"]


@admin.register(Reversal)
class ReversalAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "order_number",
        "fraction",
        "cumulative_fraction",
        "points_reversed",
        "debt_created",
        "points_restored",
        "actor_name",
    ]
    search_fields = ["order_number", "key"]
