"""The exchange's records: sessions, the export marker, received files and documents, per-order ERP state.

Abstract, in Oscar's way: a shop that needs different fields subclasses one
of these in its own app and points ``erp_sync.models`` at it.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AbstractExchangeSession(models.Model):
    """One exchange session, from ``checkauth`` on: who came, what was exported and acknowledged."""

    OPEN, ACKNOWLEDGED, CLOSED = "open", "acknowledged", "closed"
    STATUS_CHOICES = [(OPEN, _("Open")), (ACKNOWLEDGED, _("Export acknowledged")), (CLOSED, _("Closed"))]

    # Only a hash of the cookie value is stored: a database dump does not open sessions.
    token_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(_("Exchange user"), max_length=150, blank=True)
    exchange_type = models.CharField(_("Exchange type"), max_length=16)
    remote_addr = models.GenericIPAddressField(_("Address"), null=True, blank=True)
    version = models.CharField(_("Protocol version"), max_length=16, blank=True)
    status = models.CharField(_("Status"), max_length=16, choices=STATUS_CHOICES, default=OPEN)
    created_at = models.DateTimeField(_("Started"), default=timezone.now, db_index=True)
    last_seen_at = models.DateTimeField(_("Last request"), default=timezone.now)
    initialized_at = models.DateTimeField(_("Initialized"), null=True, blank=True)
    # The window of the last ``query``: orders changed after ``export_since``
    # up to ``export_until``. ``success`` moves the marker to ``export_until``.
    export_since = models.DateTimeField(_("Exported changes after"), null=True, blank=True)
    export_until = models.DateTimeField(_("Exported changes up to"), null=True, blank=True)
    # Points moved, orders placed and status changes in the same query, by insertion order (ids):
    # after ``export_after_*`` up to ``export_upto_*``. Not by date: an activation or an expiry
    # is dated when the hold or the lot ended, an order or a status change before its
    # transaction commits; by date either could fall behind the window for good.
    export_after_entry = models.BigIntegerField(_("Exported journal entries after"), null=True, blank=True)
    export_upto_entry = models.BigIntegerField(_("Exported journal entries up to"), null=True, blank=True)
    export_after_order = models.BigIntegerField(_("Exported orders after (id)"), null=True, blank=True)
    export_upto_order = models.BigIntegerField(_("Exported orders up to (id)"), null=True, blank=True)
    export_after_status_change = models.BigIntegerField(_("Exported status changes after (id)"), null=True, blank=True)
    export_upto_status_change = models.BigIntegerField(_("Exported status changes up to (id)"), null=True, blank=True)
    exported_orders = models.PositiveIntegerField(_("Orders exported"), default=0)
    queried_at = models.DateTimeField(_("Orders queried"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("Export acknowledged"), null=True, blank=True)

    class Meta:
        abstract = True
        app_label = "erp_sync"
        ordering = ["-created_at"]
        verbose_name = _("Exchange session")
        verbose_name_plural = _("Exchange sessions")
        # Granted explicitly to the exchange user (a superuser does not have it implicitly).
        permissions = [("exchange_orders", _("Can exchange orders with the accounting system"))]

    def __str__(self):
        return f"#{self.pk} {self.username} {self.created_at:%Y-%m-%d %H:%M}"


class AbstractExportMarker(models.Model):
    """Up to when the accounting system has acknowledged the orders it was sent."""

    exchange_type = models.CharField(_("Exchange type"), max_length=16, unique=True)
    exported_until = models.DateTimeField(_("Acknowledged changes up to"), null=True, blank=True)
    # The last journal entry, order and status change (by id) acknowledged; None: not yet
    # known (then that table is windowed by ``exported_until``, as before ids were counted).
    exported_entry = models.BigIntegerField(_("Acknowledged journal entries up to"), null=True, blank=True)
    exported_order = models.BigIntegerField(_("Acknowledged orders up to (id)"), null=True, blank=True)
    exported_status_change = models.BigIntegerField(_("Acknowledged status changes up to (id)"), null=True, blank=True)
    session = models.ForeignKey(
        "erp_sync.ExchangeSession", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("Updated"), auto_now=True)

    class Meta:
        abstract = True
        app_label = "erp_sync"
        verbose_name = _("Export marker")
        verbose_name_plural = _("Export markers")

    def __str__(self):
        return f"{self.exchange_type}: {self.exported_until}"


class AbstractExchangeEvent(models.Model):
    """One request of the protocol and its answer, including refused ones (wrong password, no session)."""

    SUCCESS, PROGRESS, FAILURE = "success", "progress", "failure"
    RESULT_CHOICES = [(SUCCESS, _("Success")), (PROGRESS, _("Progress")), (FAILURE, _("Failure"))]

    session = models.ForeignKey(
        "erp_sync.ExchangeSession", null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    mode = models.CharField(_("Mode"), max_length=16, blank=True)
    exchange_type = models.CharField(_("Exchange type"), max_length=16, blank=True)
    filename = models.CharField(_("File name"), max_length=255, blank=True)
    result = models.CharField(_("Result"), max_length=16, choices=RESULT_CHOICES)
    message = models.TextField(_("Message"), blank=True)
    remote_addr = models.GenericIPAddressField(_("Address"), null=True, blank=True)
    created_at = models.DateTimeField(_("Date"), default=timezone.now, db_index=True)

    class Meta:
        abstract = True
        app_label = "erp_sync"
        ordering = ["-created_at", "-pk"]
        verbose_name = _("Exchange request")
        verbose_name_plural = _("Exchange requests")

    def __str__(self):
        return f"{self.mode}: {self.result}"


class AbstractExchangeFile(models.Model):
    """A file the accounting system uploaded in a session, and how its import went."""

    RECEIVING, IMPORTING, IMPORTED, FAILED = "receiving", "importing", "imported", "failed"
    STATUS_CHOICES = [
        (RECEIVING, _("Receiving")),
        (IMPORTING, _("Importing")),
        (IMPORTED, _("Imported")),
        (FAILED, _("Failed")),
    ]

    session = models.ForeignKey(
        "erp_sync.ExchangeSession", on_delete=models.CASCADE, related_name="files", verbose_name=_("Session")
    )
    name = models.CharField(_("File name"), max_length=255)
    size = models.BigIntegerField(_("Size, bytes"), default=0)
    chunks = models.PositiveIntegerField(_("Chunks received"), default=0)
    status = models.CharField(_("Status"), max_length=16, choices=STATUS_CHOICES, default=RECEIVING)
    documents_total = models.PositiveIntegerField(_("Documents"), default=0)
    documents_done = models.PositiveIntegerField(_("Documents processed"), default=0)
    documents_applied = models.PositiveIntegerField(_("Documents applied"), default=0)
    documents_unchanged = models.PositiveIntegerField(_("Documents without changes"), default=0)
    documents_failed = models.PositiveIntegerField(_("Documents failed"), default=0)
    documents_skipped = models.PositiveIntegerField(_("Documents for unknown orders"), default=0)
    error = models.TextField(_("Error"), blank=True)
    received_at = models.DateTimeField(_("Received"), default=timezone.now)
    updated_at = models.DateTimeField(_("Updated"), auto_now=True)

    class Meta:
        abstract = True
        app_label = "erp_sync"
        ordering = ["-received_at", "-pk"]
        verbose_name = _("Exchange file")
        verbose_name_plural = _("Exchange files")

    def __str__(self):
        return self.name


class AbstractExchangeDocument(models.Model):
    """One document of an imported file: what it asked for, what was applied, or why it failed."""

    APPLIED, UNCHANGED, FAILED, SKIPPED = "applied", "unchanged", "failed", "skipped"
    STATUS_CHOICES = [
        (APPLIED, _("Applied")),
        (UNCHANGED, _("No change")),
        (FAILED, _("Failed")),
        (SKIPPED, _("Skipped: unknown order")),
    ]

    file = models.ForeignKey(
        "erp_sync.ExchangeFile", on_delete=models.CASCADE, related_name="documents", verbose_name=_("File")
    )
    position = models.PositiveIntegerField(_("Position in the file"))
    document_id = models.CharField(_("Document id"), max_length=128, blank=True)
    order_number = models.CharField(_("Order number"), max_length=128, blank=True, db_index=True)
    erp_number = models.CharField(_("Number in the accounting system"), max_length=64, blank=True)
    version = models.CharField(_("Document version"), max_length=64, blank=True)
    status = models.CharField(_("Status"), max_length=16, choices=STATUS_CHOICES)
    changes = models.JSONField(_("Changes applied"), default=list, blank=True)
    error = models.TextField(_("Error"), blank=True)
    created_at = models.DateTimeField(_("Date"), default=timezone.now)

    class Meta:
        abstract = True
        app_label = "erp_sync"
        ordering = ["file", "position"]
        verbose_name = _("Exchange document")
        verbose_name_plural = _("Exchange documents")
        constraints = [
            models.UniqueConstraint(fields=["file", "position"], name="erp_sync_document_once_per_file"),
        ]

    def __str__(self):
        return f"{self.order_number or self.document_id} ({self.get_status_display()})"


class AbstractOrderErpState(models.Model):
    """What the accounting system last said about an order (number, date, version, payment, shipment)."""

    order = models.OneToOneField(
        "order.Order", on_delete=models.CASCADE, related_name="erp_state", verbose_name=_("Order")
    )
    erp_number = models.CharField(_("Number in the accounting system"), max_length=64, blank=True)
    erp_date = models.DateTimeField(_("Date in the accounting system"), null=True, blank=True)
    version = models.CharField(_("Last applied document version"), max_length=64, blank=True)
    posted = models.BooleanField(_("Posted"), default=False)
    cancelled = models.BooleanField(_("Cancelled"), default=False)
    payment_number = models.CharField(_("Payment number"), max_length=64, blank=True)
    paid_at = models.DateTimeField(_("Paid"), null=True, blank=True)
    shipment_number = models.CharField(_("Shipment number"), max_length=64, blank=True)
    shipped_at = models.DateTimeField(_("Shipped"), null=True, blank=True)
    erp_status = models.CharField(_("Status in the accounting system"), max_length=128, blank=True)
    # The goods total the accounting system holds (None: it never sent lines).
    goods_total = models.DecimalField(_("Goods total"), max_digits=14, decimal_places=2, null=True, blank=True)
    # The goods total the order's points reflect now (None: the order's own lines).
    accrued_total = models.DecimalField(
        _("Goods total accrued on"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    updated_at = models.DateTimeField(_("Updated"), auto_now=True)

    class Meta:
        abstract = True
        app_label = "erp_sync"
        verbose_name = _("Order in the accounting system")
        verbose_name_plural = _("Orders in the accounting system")

    def __str__(self):
        return self.erp_number or str(self.order_id)
