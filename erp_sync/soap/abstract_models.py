"""The tables of the SOAP exchange: the outbox of movements, what came back, reconciliations.

Abstract, so a shop can extend them the Oscar way; ``erp_sync.models`` declares
the concrete ones.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AbstractOutboxMessage(models.Model):
    """One ledger movement on its way to the accounting system's loyalty service.

    Rows are written by a database trigger on the journal table, in the
    transaction that writes the journal entry (see migration 0002_outbox), so
    every movement is here whichever code path wrote it. Entries that come
    from the accounting system (ERP corrections) and entries that do not change
    what the customer owns (activation, reservation, a plain release) are not.
    """

    PENDING, DELIVERED, PARKED = "pending", "delivered", "parked"
    STATUS_CHOICES = [
        (PENDING, _("Waiting to be sent")),
        (DELIVERED, _("Delivered")),
        (PARKED, _("Parked (needs staff)")),
    ]

    entry = models.OneToOneField(
        "oscar_loyalty.JournalEntry",
        on_delete=models.PROTECT,
        related_name="erp_outbox",
        verbose_name=_("Journal entry"),
    )
    # Indexed by erp_outbox_account_queue.
    account = models.ForeignKey(
        "oscar_loyalty.Account",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Points account"),
        db_index=False,
    )
    # The customer's user id when the movement was written (the accounting system's customer code).
    customer_id = models.BigIntegerField(_("Customer"), null=True, blank=True)
    # The journal entry's key: unique already through ``entry``, so not indexed again
    # (two more index writes per movement, on the ledger's hot path).
    key = models.CharField(_("Movement key"), max_length=255)
    kind = models.CharField(_("Kind"), max_length=32)
    points = models.BigIntegerField(_("Points"))
    order_number = models.CharField(_("Order number"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("Movement date"))
    status = models.CharField(_("Status"), max_length=16, choices=STATUS_CHOICES, default=PENDING)
    attempts = models.PositiveIntegerField(_("Attempts"), default=0)
    # Null: due at once.
    next_attempt_at = models.DateTimeField(_("Next attempt"), null=True, blank=True)
    # A delivery owns the row until then (a worker killed mid-call loses it after that).
    locked_until = models.DateTimeField(_("Being sent until"), null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True, default="")
    last_error = models.TextField(_("Last error"), blank=True, default="")
    delivered_at = models.DateTimeField(_("Delivered"), null=True, blank=True)

    class Meta:
        abstract = True
        app_label = "erp_sync"
        ordering = ["id"]
        verbose_name = _("Movement for the accounting system")
        verbose_name_plural = _("Movements for the accounting system")
        indexes = [
            models.Index(fields=["account", "id"], condition=~Q(status="delivered"), name="erp_outbox_account_queue"),
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="erp_outbox_due"),
        ]

    def __str__(self):
        return f"{self.key} {self.points:+d} ({self.get_status_display()})"


class AbstractErpChange(models.Model):
    """A correction or a status the accounting system made, as the shop applied it (once)."""

    CORRECTION, STATUS = "correction", "status"
    KIND_CHOICES = [(CORRECTION, _("Balance correction")), (STATUS, _("Status"))]
    APPLIED, FAILED = "applied", "failed"
    STATE_CHOICES = [(APPLIED, _("Applied")), (FAILED, _("Not applied"))]

    kind = models.CharField(_("Kind"), max_length=16, choices=KIND_CHOICES)
    erp_id = models.CharField(_("Id in the accounting system"), max_length=255)
    customer = models.CharField(_("Customer code"), max_length=255)
    points = models.BigIntegerField(_("Points"), null=True, blank=True)
    tier = models.CharField(_("Tier"), max_length=64, blank=True)
    reason = models.CharField(_("Reason"), max_length=255, blank=True)
    accountant = models.CharField(_("Accountant"), max_length=255, blank=True)
    state = models.CharField(_("State"), max_length=16, choices=STATE_CHOICES)
    error = models.TextField(_("Error"), blank=True)
    received_at = models.DateTimeField(_("Received"), auto_now_add=True)

    class Meta:
        abstract = True
        app_label = "erp_sync"
        ordering = ["-id"]
        verbose_name = _("Change from the accounting system")
        verbose_name_plural = _("Changes from the accounting system")
        constraints = [models.UniqueConstraint(fields=["kind", "erp_id"], name="erp_change_unique")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.erp_id}"


class AbstractErpCursor(models.Model):
    """Where the shop stopped reading a feed of the accounting system."""

    name = models.CharField(_("Feed"), max_length=64, unique=True)
    value = models.CharField(_("Cursor"), max_length=255, blank=True)
    updated_at = models.DateTimeField(_("Updated"), auto_now=True)

    class Meta:
        abstract = True
        app_label = "erp_sync"
        verbose_name = _("Exchange cursor")
        verbose_name_plural = _("Exchange cursors")

    def __str__(self):
        return f"{self.name}: {self.value}"


class AbstractReconciliationRun(models.Model):
    """One comparison of the shop's bonus figures with the accounting system's."""

    started_at = models.DateTimeField(_("Started"))
    finished_at = models.DateTimeField(_("Finished"), null=True, blank=True)
    started_by = models.CharField(_("Started by"), max_length=255, blank=True)
    error = models.TextField(_("Error"), blank=True)

    class Meta:
        abstract = True
        app_label = "erp_sync"
        ordering = ["-started_at", "-id"]
        verbose_name = _("Reconciliation")
        verbose_name_plural = _("Reconciliations")

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M}"


class AbstractReconciliationLine(models.Model):
    """One customer's balance, or one order's figure, on both sides."""

    CUSTOMER, ORDER_PAID, ORDER_ACCRUED = "customer", "order_paid", "order_accrued"
    SCOPE_CHOICES = [
        (CUSTOMER, _("Customer balance")),
        (ORDER_PAID, _("Order: paid with points")),
        (ORDER_ACCRUED, _("Order: points accrued")),
    ]
    MATCHED, MISMATCHED, MISSING_IN_ERP, MISSING_IN_SHOP = "matched", "mismatched", "missing_in_erp", "missing_in_shop"
    STATE_CHOICES = [
        (MATCHED, _("Matched")),
        (MISMATCHED, _("Mismatched")),
        (MISSING_IN_ERP, _("Missing in the accounting system")),
        (MISSING_IN_SHOP, _("Missing in the shop")),
    ]
    PUSHED, ACCEPTED = "pushed", "accepted"
    RESOLUTION_CHOICES = [
        (PUSHED, _("Shop's movements sent again")),
        (ACCEPTED, _("Accounting system's figure accepted")),
    ]

    run = models.ForeignKey("erp_sync.ReconciliationRun", on_delete=models.CASCADE, related_name="lines")
    scope = models.CharField(_("What"), max_length=16, choices=SCOPE_CHOICES)
    reference = models.CharField(_("Customer or order"), max_length=255)
    shop_value = models.BigIntegerField(_("Shop"), null=True, blank=True)
    erp_value = models.BigIntegerField(_("Accounting system"), null=True, blank=True)
    difference = models.BigIntegerField(_("Difference"), default=0)
    state = models.CharField(_("State"), max_length=16, choices=STATE_CHOICES)
    resolution = models.CharField(_("Resolution"), max_length=16, choices=RESOLUTION_CHOICES, blank=True)
    resolved_by = models.CharField(_("Resolved by"), max_length=255, blank=True)
    resolved_at = models.DateTimeField(_("Resolved"), null=True, blank=True)

    class Meta:
        abstract = True
        app_label = "erp_sync"
        ordering = ["scope", "reference"]
        verbose_name = _("Reconciliation line")
        verbose_name_plural = _("Reconciliation lines")
        indexes = [models.Index(fields=["run", "state"], name="erp_recon_line_state")]

    def __str__(self):
        return f"{self.get_scope_display()} {self.reference}: {self.get_state_display()}"
