"""Django admin for the catalogue exchange: each import run, read-only, with what it did and what failed."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model

from oscar_loyalty.admin import ReadOnlyAdmin

CatalogueImport = get_model("erp_sync", "CatalogueImport")
ErpProduct = get_model("erp_sync", "ErpProduct")
ErpCategory = get_model("erp_sync", "ErpCategory")
ErpPriceType = get_model("erp_sync", "ErpPriceType")


@admin.register(CatalogueImport)
class CatalogueImportAdmin(ReadOnlyAdmin):
    list_display = (
        "started_at",
        "name",
        "kind",
        "full",
        "status",
        "items_total",
        "created",
        "updated",
        "unchanged",
        "unavailable",
        "failed",
        "duration",
    )
    list_filter = ("status", "kind", "full")
    search_fields = ("name",)
    readonly_fields = ("errors_listed",)
    exclude = ("errors",)

    @admin.display(description=_("Duration"))
    def duration(self, run):
        return f"{run.seconds:.1f} s"

    @admin.display(description=_("Errors"))
    def errors_listed(self, run):
        return "\n".join(f"{error['id'] or '-'}: {error['error']}" for error in run.errors) or "-"


@admin.register(ErpProduct)
class ErpProductAdmin(ReadOnlyAdmin):
    list_display = ("erp_id", "product")
    search_fields = ("erp_id", "product__title", "product__upc")
    raw_id_fields = ("product",)
    exclude = ("data_hash", "catalogue_run", "offers_run")


@admin.register(ErpCategory)
class ErpCategoryAdmin(ReadOnlyAdmin):
    list_display = ("erp_id", "category")
    search_fields = ("erp_id", "category__name")


@admin.register(ErpPriceType)
class ErpPriceTypeAdmin(ReadOnlyAdmin):
    list_display = ("name", "erp_id", "currency", "tax_included")
