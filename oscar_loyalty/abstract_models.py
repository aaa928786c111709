"""The ledger's tables, as abstract models a shop can extend (Oscar's way).

The ledger is double-entry in spirit: every movement of points is a
``JournalEntry`` that states how it changed each balance bucket of the account
(available, pending, reserved, debt), and the account row caches the sums so a
balance read never scans history. Credits are ``Lot`` rows with their own hold
and expiry; spending takes points out of lots through a ``Reservation`` whose
``Allocation`` rows remember which lots paid, so a cancelled order can put the
points back where they came from.

Nothing here should be written to directly: ``oscar_loyalty.ledger`` is the
only writer.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from oscar_loyalty.compat import CheckConstraint


class AppendOnlyQuerySet(models.QuerySet):
    """A queryset that refuses bulk updates and deletes."""

    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} rows are append-only")

    def delete(self):
        raise TypeError(f"{self.model.__name__} rows are append-only")

    update.queryset_only = True
    delete.queryset_only = True


class AppendOnlyModel(models.Model):
    """Rows that are written once and then only read."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are append-only")


class AbstractAccount(models.Model):
    """One customer's points account, with its balances cached.

    ``available + pending`` always equals the remaining points of the
    account's live lots; ``reserved`` equals the points of its held
    reservations; ``debt`` is what reversals could not take back because the
    points had already been spent. None of them is ever negative.
    """

    ACTIVE, BLOCKED = "active", "blocked"
    STATUS_CHOICES = [(ACTIVE, _("Active")), (BLOCKED, _("Blocked"))]

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="loyalty_account",
        verbose_name=_("Customer"),
    )
    # Copied so statements still name the customer after the user is deleted.
    customer_name = models.CharField(_("Customer name"), max_length=255, blank=True)
    status = models.CharField(_("Status"), max_length=16, choices=STATUS_CHOICES, default=ACTIVE)

    available = models.BigIntegerField(_("Available points"), default=0)
    pending = models.BigIntegerField(_("Pending points"), default=0)
    reserved = models.BigIntegerField(_("Reserved points"), default=0)
    debt = models.BigIntegerField(_("Debt"), default=0)

    # The earliest moment one of the account's lots becomes available or
    # expires. A lower bound: operations settle the account only when it has
    # passed, so most of them never look at the lots at all.
    next_event_at = models.DateTimeField(_("Next lot event"), null=True, blank=True)

    created_at = models.DateTimeField(_("Created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Updated"), auto_now=True)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        verbose_name = _("Points account")
        verbose_name_plural = _("Points accounts")
        # The loyalty dashboard's two roles (oscar_loyalty.dashboard).
        permissions = [
            ("manage_loyalty", _("Can manage the loyalty program: adjust points, pin tiers, edit its settings")),
            ("view_loyalty_kpis", _("Can view the loyalty program's KPIs")),
        ]
        constraints = [
            CheckConstraint(
                condition=Q(available__gte=0) & Q(pending__gte=0) & Q(reserved__gte=0) & Q(debt__gte=0),
                name="loyalty_account_balances_not_negative",
            ),
        ]

    def __str__(self):
        return self.customer_name or f"#{self.pk}"

    @property
    def total(self):
        return self.available + self.pending + self.reserved

    @property
    def is_blocked(self):
        return self.status == self.BLOCKED


class AbstractLot(models.Model):
    """A credit of points with its own hold period and expiry."""

    PENDING, ACTIVE, EXPIRED, VOIDED = "pending", "active", "expired", "voided"
    STATUS_CHOICES = [
        (PENDING, _("Pending")),
        (ACTIVE, _("Available")),
        (EXPIRED, _("Expired")),
        (VOIDED, _("Voided")),
    ]

    ORDER, MANUAL, CAMPAIGN, ERP, RESTORE = "order", "manual", "campaign", "erp", "restore"
    ORIGIN_CHOICES = [
        (ORDER, _("Order")),
        (MANUAL, _("Manual adjustment")),
        (CAMPAIGN, _("Campaign")),
        (ERP, _("Accounting system")),
        (RESTORE, _("Restored after a return")),
    ]

    # Indexed by loyalty_lot_account_status.
    account = models.ForeignKey(
        "oscar_loyalty.Account",
        on_delete=models.PROTECT,
        related_name="lots",
        verbose_name=_("Points account"),
        db_index=False,
    )
    points = models.PositiveBigIntegerField(_("Points credited"))
    remaining = models.BigIntegerField(_("Points remaining"))
    reversed_points = models.BigIntegerField(_("Points reversed"), default=0)
    # Points that expired unspent and have not been taken back by a reversal
    # since (taking back expired points costs the customer nothing).
    expired_points = models.BigIntegerField(_("Points expired"), default=0)
    status = models.CharField(_("Status"), max_length=16, choices=STATUS_CHOICES, default=PENDING)
    available_at = models.DateTimeField(_("Available from"))
    expires_at = models.DateTimeField(_("Expires at"))
    origin = models.CharField(_("Origin"), max_length=16, choices=ORIGIN_CHOICES)
    order_number = models.CharField(_("Order number"), max_length=128, blank=True)
    order_line = models.CharField(_("Order line"), max_length=128, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="restorations",
        verbose_name=_("Restored from"),
        db_index=False,
    )
    created_at = models.DateTimeField(_("Created"))
    # Where the points were earned ("web", "store:12", ...); None on lots older than channels.
    channel = models.CharField(_("Sales channel"), max_length=64, null=True, blank=True)
    # What the lot may pay for (``oscar_loyalty.ledger.terms``); None: any order.
    spend_terms = models.JSONField(_("Spend restrictions"), null=True, blank=True)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        verbose_name = _("Lot")
        verbose_name_plural = _("Lots")
        indexes = [
            # The activation pass and the per-account settlement.
            models.Index(fields=["available_at"], condition=Q(status="pending"), name="loyalty_lot_due_activation"),
            models.Index(
                fields=["expires_at"], condition=Q(status__in=["pending", "active"]), name="loyalty_lot_due_expiry"
            ),
            models.Index(fields=["account", "status", "expires_at"], name="loyalty_lot_account_status"),
            # Spending, soonest-expiring first, over the lots that still hold points: a frequent
            # customer's exhausted lots stay active until they expire, and would be walked on every spend.
            models.Index(
                fields=["account", "expires_at", "id"],
                condition=Q(status="active", remaining__gt=0),
                name="loyalty_lot_spendable",
            ),
            # Every index is one more write per lot in the beat passes: no
            # pattern-ops twins, and nullable links indexed only where set.
            models.Index(fields=["order_number"], name="loyalty_lot_order_number"),
            models.Index(fields=["parent"], condition=Q(parent__isnull=False), name="loyalty_lot_parent"),
            # Spending asks whether an account holds lots with restrictions.
            models.Index(fields=["account"], condition=Q(spend_terms__isnull=False), name="loyalty_lot_restricted"),
        ]
        constraints = [
            CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=F("points")), name="loyalty_lot_remaining_in_range"
            ),
            CheckConstraint(
                condition=Q(reversed_points__gte=0) & Q(reversed_points__lte=F("points")),
                name="loyalty_lot_reversed_in_range",
            ),
            CheckConstraint(condition=Q(expires_at__gt=F("available_at")), name="loyalty_lot_expires_after"),
        ]

    def __str__(self):
        return f"{self.points} ({self.get_status_display()})"


class AbstractReservation(models.Model):
    """Points held for an order being placed, until captured or released."""

    HELD, CAPTURED, RELEASED = "held", "captured", "released"
    STATUS_CHOICES = [(HELD, _("Held")), (CAPTURED, _("Captured")), (RELEASED, _("Released"))]

    account = models.ForeignKey(
        "oscar_loyalty.Account", on_delete=models.PROTECT, related_name="reservations", verbose_name=_("Points account")
    )
    points = models.PositiveBigIntegerField(_("Points"))
    # Indexed in Meta, as the key's uniqueness is: a field's index on PostgreSQL comes with a
    # pattern-ops twin that no query uses and every reservation and capture would write.
    order_number = models.CharField(_("Order number"), max_length=128)
    key = models.CharField(_("Idempotency key"), max_length=255)
    status = models.CharField(_("Status"), max_length=16, choices=STATUS_CHOICES, default=HELD)
    created_at = models.DateTimeField(_("Created"))
    expires_at = models.DateTimeField(_("Released automatically after"))
    captured_at = models.DateTimeField(_("Captured"), null=True, blank=True)
    released_at = models.DateTimeField(_("Released"), null=True, blank=True)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        verbose_name = _("Reservation")
        verbose_name_plural = _("Reservations")
        indexes = [
            models.Index(fields=["expires_at"], condition=Q(status="held"), name="loyalty_reservation_stale"),
            models.Index(fields=["order_number"], name="loyalty_reservation_order"),
        ]
        constraints = [models.UniqueConstraint(fields=["key"], name="loyalty_reservation_key_unique")]

    def __str__(self):
        return f"{self.points} for {self.order_number} ({self.get_status_display()})"


class AbstractAllocation(models.Model):
    """The part of a reservation paid from one lot."""

    reservation = models.ForeignKey("oscar_loyalty.Reservation", on_delete=models.PROTECT, related_name="allocations")
    lot = models.ForeignKey("oscar_loyalty.Lot", on_delete=models.PROTECT, related_name="allocations")
    points = models.PositiveBigIntegerField(_("Points"))
    restored_points = models.BigIntegerField(_("Points restored"), default=0)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        verbose_name = _("Allocation")
        verbose_name_plural = _("Allocations")
        constraints = [
            CheckConstraint(
                condition=Q(restored_points__gte=0) & Q(restored_points__lte=F("points")),
                name="loyalty_allocation_restored_in_range",
            ),
        ]


class AbstractReversal(AppendOnlyModel):
    """One cancellation or return of an order, as the ledger applied it."""

    order_number = models.CharField(_("Order number"), max_length=128, db_index=True)
    key = models.CharField(_("Idempotency key"), max_length=255, unique=True)
    fingerprint = models.CharField(max_length=64)
    fraction = models.DecimalField(_("Share of the order"), max_digits=9, decimal_places=6)
    cumulative_fraction = models.DecimalField(_("Share reversed so far"), max_digits=9, decimal_places=6)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(_("Done by"), max_length=255, blank=True)
    reason = models.CharField(_("Reason"), max_length=255, blank=True)
    # What the reversal did, summed over its journal entries.
    points_reversed = models.BigIntegerField(_("Accrued points taken back"), default=0)
    debt_created = models.BigIntegerField(_("Debt recorded"), default=0)
    points_restored = models.BigIntegerField(_("Spent points restored"), default=0)
    reservations_released = models.IntegerField(_("Reservations released"), default=0)
    created_at = models.DateTimeField(_("Created"))

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        verbose_name = _("Order reversal")
        verbose_name_plural = _("Order reversals")


class AbstractJournalEntry(AppendOnlyModel):
    """One movement of points. Never updated, never deleted.

    ``points`` is the change of what the customer owns (available + pending +
    reserved − debt); the four ``*_change`` columns say which buckets moved.
    """

    ACCRUAL = "accrual"
    ACTIVATION = "activation"
    RESERVATION = "reservation"
    RELEASE = "release"
    REDEMPTION = "redemption"
    EXPIRY = "expiry"
    REVERSAL = "reversal"
    RESTORATION = "restoration"
    ADJUSTMENT = "adjustment"
    ERP_CORRECTION = "erp_correction"
    KIND_CHOICES = [
        (ACCRUAL, _("Accrual")),
        (ACTIVATION, _("Became available")),
        (RESERVATION, _("Reserved")),
        (RELEASE, _("Reservation released")),
        (REDEMPTION, _("Redeemed")),
        (EXPIRY, _("Expired")),
        (REVERSAL, _("Reversed")),
        (RESTORATION, _("Restored")),
        (ADJUSTMENT, _("Manual adjustment")),
        (ERP_CORRECTION, _("Accounting system correction")),
    ]

    # Indexed by loyalty_journal_account.
    account = models.ForeignKey(
        "oscar_loyalty.Account",
        on_delete=models.PROTECT,
        related_name="journal",
        verbose_name=_("Points account"),
        db_index=False,
    )
    kind = models.CharField(_("Kind"), max_length=32, choices=KIND_CHOICES)
    points = models.BigIntegerField(_("Points"))
    available_change = models.BigIntegerField(_("Available change"), default=0)
    pending_change = models.BigIntegerField(_("Pending change"), default=0)
    reserved_change = models.BigIntegerField(_("Reserved change"), default=0)
    debt_change = models.BigIntegerField(_("Debt change"), default=0)
    lot = models.ForeignKey(
        "oscar_loyalty.Lot",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="journal",
        db_index=False,
    )
    reservation = models.ForeignKey(
        "oscar_loyalty.Reservation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="journal",
        db_index=False,
    )
    reversal = models.ForeignKey(
        "oscar_loyalty.Reversal",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="journal",
        db_index=False,
    )
    order_number = models.CharField(_("Order number"), max_length=128, blank=True)
    key = models.CharField(_("Idempotency key"), max_length=255)
    # A hash of the operation's arguments, on the entry that carries the
    # caller's key: a replay with other arguments is refused.
    fingerprint = models.CharField(max_length=64, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    actor_name = models.CharField(_("Done by"), max_length=255, blank=True)
    reason = models.CharField(_("Reason"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("Date"), db_index=True)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        ordering = ["-created_at", "-id"]
        verbose_name = _("Journal entry")
        verbose_name_plural = _("Journal entries")
        # Every index is one more write per entry in the beat passes: no
        # pattern-ops twins, and nullable links indexed only where set.
        indexes = [
            models.Index(fields=["account", "-created_at"], name="loyalty_journal_account"),
            models.Index(fields=["order_number"], name="loyalty_journal_order_number"),
            models.Index(fields=["lot"], condition=Q(lot__isnull=False), name="loyalty_journal_lot"),
            models.Index(fields=["reservation"], condition=Q(reservation__isnull=False), name="loyalty_journal_res"),
            models.Index(fields=["reversal"], condition=Q(reversal__isnull=False), name="loyalty_journal_reversal"),
            models.Index(fields=["actor"], condition=Q(actor__isnull=False), name="loyalty_journal_actor"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["key"], name="loyalty_journal_key_unique"),
            CheckConstraint(
                condition=Q(
                    points=F("available_change") + F("pending_change") + F("reserved_change") - F("debt_change")
                ),
                name="loyalty_journal_points_balance",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.points:+d}"
