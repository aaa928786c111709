"""The catalogue exchange's records: what the accounting system's ids name in the shop, and each import run.

Abstract, in Oscar's way, like the exchange's other records.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AbstractCatalogueImport(models.Model):
    """One import of one catalogue file (from the exchange or from disk): what it did, how long it took."""

    IMPORTING, FINISHED, FAILED = "importing", "finished", "failed"
    STATUS_CHOICES = [(IMPORTING, _("Importing")), (FINISHED, _("Finished")), (FAILED, _("Failed"))]

    file = models.OneToOneField(
        "erp_sync.ExchangeFile",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="catalogue_import",
        verbose_name=_("Exchange file"),
    )
    name = models.CharField(_("File name"), max_length=255)
    CATALOGUE, OFFERS = "catalogue", "offers"
    KIND_CHOICES = [(CATALOGUE, _("Products")), (OFFERS, _("Offers"))]
    kind = models.CharField(_("Holds"), max_length=16, choices=KIND_CHOICES, blank=True)
    full = models.BooleanField(_("Full upload"), default=False)
    status = models.CharField(_("Status"), max_length=16, choices=STATUS_CHOICES, default=IMPORTING)
    items_total = models.PositiveIntegerField(_("Products and offers in the file"), default=0)
    items_done = models.PositiveIntegerField(_("Processed"), default=0)
    created = models.PositiveIntegerField(_("Created"), default=0)
    updated = models.PositiveIntegerField(_("Updated"), default=0)
    unchanged = models.PositiveIntegerField(_("Unchanged"), default=0)
    unavailable = models.PositiveIntegerField(_("Made unavailable"), default=0)
    failed = models.PositiveIntegerField(_("Failed"), default=0)
    # [{"id": ..., "error": ...}], the first ERP_SYNC_CATALOGUE_ERRORS_KEPT of them.
    errors = models.JSONField(_("Errors"), default=list, blank=True)
    error = models.TextField(_("Why the file was refused"), blank=True)
    started_at = models.DateTimeField(_("Started"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("Finished"), null=True, blank=True)
    # Time spent importing, summed over the steps (the pauses between them left out).
    seconds = models.FloatField(_("Duration, seconds"), default=0)

    class Meta:
        abstract = True
        app_label = "erp_sync"
        ordering = ["-started_at", "-pk"]
        verbose_name = _("Catalogue import")
        verbose_name_plural = _("Catalogue imports")

    def __str__(self):
        return f"{self.name} {self.started_at:%Y-%m-%d %H:%M}"


class AbstractErpProduct(models.Model):
    """A product's id in the accounting system (``Ид``; ``product#characteristic`` for a variant)."""

    erp_id = models.CharField(_("Id in the accounting system"), max_length=150, unique=True)
    product = models.OneToOneField(
        "catalogue.Product", on_delete=models.CASCADE, related_name="erp_link", verbose_name=_("Product")
    )
    # A digest of what was last applied from import.xml: the same product sent again writes nothing.
    data_hash = models.CharField(max_length=32, blank=True)
    # The last import run whose full upload listed it (products, offers): the others are made unavailable.
    catalogue_run = models.BigIntegerField(null=True, blank=True)
    offers_run = models.BigIntegerField(null=True, blank=True)
    # The product's own VAT rate (СтавкиНалогов), added to prices of a type that excludes the tax.
    vat_rate = models.DecimalField(_("VAT rate, %"), max_digits=5, decimal_places=2, null=True, blank=True)

    class Meta:
        abstract = True
        app_label = "erp_sync"
        verbose_name = _("Product in the accounting system")
        verbose_name_plural = _("Products in the accounting system")

    def __str__(self):
        return self.erp_id


class AbstractErpCategory(models.Model):
    """A group of the accounting system's classifier, and the category it became."""

    erp_id = models.CharField(_("Id in the accounting system"), max_length=150, unique=True)
    category = models.OneToOneField(
        "catalogue.Category", on_delete=models.CASCADE, related_name="erp_link", verbose_name=_("Category")
    )

    class Meta:
        abstract = True
        app_label = "erp_sync"
        verbose_name = _("Group in the accounting system")
        verbose_name_plural = _("Groups in the accounting system")

    def __str__(self):
        return self.erp_id


class AbstractErpPriceType(models.Model):
    """A price type the accounting system declared (``ТипыЦен``), kept for the files that only name its id."""

    erp_id = models.CharField(_("Id in the accounting system"), max_length=150, unique=True)
    name = models.CharField(_("Name"), max_length=255, blank=True)
    currency = models.CharField(_("Currency"), max_length=12, blank=True)
    tax_included = models.BooleanField(_("Tax included"), null=True, blank=True)

    class Meta:
        abstract = True
        app_label = "erp_sync"
        ordering = ["name"]
        verbose_name = _("Price type in the accounting system")
        verbose_name_plural = _("Price types in the accounting system")

    def __str__(self):
        return self.name or self.erp_id
