"""Django admin for the exchange's records: read-only, the log of what came and what was done."""

from django.contrib import admin
from oscar.core.loading import get_model

from oscar_loyalty.admin import ReadOnlyAdmin

ExchangeSession = get_model("erp_sync", "ExchangeSession")
ExchangeEvent = get_model("erp_sync", "ExchangeEvent")
ExchangeFile = get_model("erp_sync", "ExchangeFile")
ExchangeDocument = get_model("erp_sync", "ExchangeDocument")
ExportMarker = get_model("erp_sync", "ExportMarker")
OrderErpState = get_model("erp_sync", "OrderErpState")


class ExchangeEventInline(admin.TabularInline):
    model = ExchangeEvent
    fields = ("created_at", "mode", "filename", "result", "message")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ExchangeFileInline(admin.TabularInline):
    model = ExchangeFile
    fields = (
        "name",
        "size",
        "chunks",
        "status",
        "documents_total",
        "documents_applied",
        "documents_failed",
        "documents_skipped",
        "error",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ExchangeSession)
class ExchangeSessionAdmin(ReadOnlyAdmin):
    list_display = ("pk", "created_at", "username", "exchange_type", "remote_addr", "status", "exported_orders")
    list_filter = ("status", "exchange_type")
    search_fields = ("username", "remote_addr")
    exclude = ("token_hash",)
    inlines = [ExchangeFileInline, ExchangeEventInline]


@admin.register(ExchangeEvent)
class ExchangeEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "session", "mode", "filename", "result", "message", "remote_addr")
    list_filter = ("result", "mode")
    search_fields = ("message", "filename", "remote_addr")


class ExchangeDocumentInline(admin.TabularInline):
    model = ExchangeDocument
    fields = ("position", "order_number", "erp_number", "version", "status", "changes", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ExchangeFile)
class ExchangeFileAdmin(ReadOnlyAdmin):
    list_display = (
        "received_at",
        "session",
        "name",
        "size",
        "status",
        "documents_total",
        "documents_applied",
        "documents_unchanged",
        "documents_failed",
        "documents_skipped",
    )
    list_filter = ("status",)
    search_fields = ("name",)
    inlines = [ExchangeDocumentInline]


@admin.register(ExchangeDocument)
class ExchangeDocumentAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "file", "order_number", "erp_number", "version", "status", "error")
    list_filter = ("status",)
    search_fields = ("order_number", "erp_number", "document_id")


@admin.register(ExportMarker)
class ExportMarkerAdmin(ReadOnlyAdmin):
    list_display = (
        "exchange_type",
        "exported_until",
        "exported_entry",
        "exported_order",
        "exported_status_change",
        "session",
        "updated_at",
    )


@admin.register(OrderErpState)
class OrderErpStateAdmin(ReadOnlyAdmin):
    list_display = ("order", "erp_number", "erp_date", "version", "posted", "cancelled", "paid_at", "shipped_at")
    list_filter = ("posted", "cancelled")
    search_fields = ("order__number", "erp_number")
    raw_id_fields = ("order",)
