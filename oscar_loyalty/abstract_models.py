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
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
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


# --- Earning ------------------------------------------------------------------


class AbstractTier(models.Model):
    """A customer status (Silver, Gold, ...): what it takes, and what it gives."""

    code = models.SlugField(_("Code"), max_length=32, unique=True)
    name = models.CharField(_("Name"), max_length=64)
    threshold = models.DecimalField(
        _("Qualifying purchase volume"),
        max_digits=14,
        decimal_places=2,
        default=0,
        help_text=_("Paid purchases needed to reach this tier, in the shop's currency."),
    )
    cashback_percent = models.DecimalField(_("Cashback, %"), max_digits=5, decimal_places=2)
    max_share_percent = models.DecimalField(
        _("Maximum share of an order payable with points, %"), max_digits=5, decimal_places=2
    )
    sort_order = models.PositiveSmallIntegerField(_("Sort order"), default=0)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        ordering = ["threshold", "sort_order"]
        verbose_name = _("Tier")
        verbose_name_plural = _("Tiers")
        constraints = [
            CheckConstraint(condition=Q(threshold__gte=0), name="loyalty_tier_threshold_not_negative"),
            CheckConstraint(
                condition=Q(cashback_percent__gte=0) & Q(cashback_percent__lte=100),
                name="loyalty_tier_cashback_percent",
            ),
            CheckConstraint(
                condition=Q(max_share_percent__gte=0) & Q(max_share_percent__lte=100),
                name="loyalty_tier_max_share_percent",
            ),
        ]

    def __str__(self):
        return self.name


class AbstractCustomerTier(models.Model):
    """A customer's tier: the one their purchases earn, and an optional pinned one that wins."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="loyalty_tier", verbose_name=_("Customer")
    )
    tier = models.ForeignKey(
        "oscar_loyalty.Tier", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("Tier")
    )
    pinned_tier = models.ForeignKey(
        "oscar_loyalty.Tier",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Pinned tier"),
    )
    pinned_until = models.DateTimeField(_("Pinned until"), null=True, blank=True)
    pinned_by = models.CharField(_("Pinned by"), max_length=255, blank=True)
    volume = models.DecimalField(_("Qualifying purchase volume"), max_digits=14, decimal_places=2, default=0)
    last_purchase_at = models.DateTimeField(_("Last purchase"), null=True, blank=True)
    updated_at = models.DateTimeField(_("Updated"), auto_now=True)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        verbose_name = _("Customer tier")
        verbose_name_plural = _("Customer tiers")

    def __str__(self):
        return f"{self.user_id}: {self.tier_id}"

    def pin_is_active(self, now):
        return self.pinned_tier_id is not None and (self.pinned_until is None or self.pinned_until > now)

    def effective_tier(self, now):
        return self.pinned_tier if self.pin_is_active(now) else self.tier


class AbstractTierChange(AppendOnlyModel):
    """Every change of a customer's tier: who or what changed it, and why."""

    PURCHASES, DOWNGRADE, STAFF, ERP = "purchases", "downgrade", "staff", "erp"
    SOURCE_CHOICES = [
        (PURCHASES, _("Purchase volume")),
        (DOWNGRADE, _("Downgrade")),
        (STAFF, _("Staff")),
        (ERP, _("Accounting system")),
    ]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("Customer")
    )
    customer_name = models.CharField(_("Customer name"), max_length=255, blank=True)
    old_tier = models.ForeignKey(
        "oscar_loyalty.Tier", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    new_tier = models.ForeignKey(
        "oscar_loyalty.Tier", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(_("Source"), max_length=16, choices=SOURCE_CHOICES)
    actor_name = models.CharField(_("Done by"), max_length=255, blank=True)
    reason = models.CharField(_("Reason"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("Date"))

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        ordering = ["-created_at", "-id"]
        verbose_name = _("Tier change")
        verbose_name_plural = _("Tier changes")


class AbstractQualifyingPurchase(models.Model):
    """What an order adds to its customer's purchase volume, less what was returned."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    order_number = models.CharField(_("Order number"), max_length=128, unique=True)
    amount = models.DecimalField(_("Paid amount"), max_digits=14, decimal_places=2)
    returned = models.DecimalField(_("Returned amount"), max_digits=14, decimal_places=2, default=0)
    placed_at = models.DateTimeField(_("Placed"))

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        verbose_name = _("Qualifying purchase")
        verbose_name_plural = _("Qualifying purchases")
        indexes = [models.Index(fields=["user", "placed_at"], name="loyalty_purchase_user")]
        constraints = [
            CheckConstraint(
                condition=Q(returned__gte=0) & Q(returned__lte=F("amount")), name="loyalty_purchase_returned_in_range"
            ),
        ]


class AbstractMarginGroup(models.Model):
    """Products grouped by margin: the group's coefficient scales their cashback."""

    code = models.SlugField(_("Code"), max_length=32, unique=True)
    name = models.CharField(_("Name"), max_length=64)
    coefficient = models.DecimalField(_("Accrual coefficient"), max_digits=6, decimal_places=3, default=1)
    is_default = models.BooleanField(
        _("Default group"), default=False, help_text=_("Covers every product no assignment names.")
    )

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        ordering = ["coefficient", "name"]
        verbose_name = _("Margin group")
        verbose_name_plural = _("Margin groups")
        constraints = [
            CheckConstraint(condition=Q(coefficient__gte=0), name="loyalty_margin_coefficient_not_negative"),
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="loyalty_one_default_group"
            ),
        ]

    def __str__(self):
        return self.name


class AbstractMarginGroupAssignment(models.Model):
    """Puts a product class, a category (with its subcategories) or one product in a margin group.

    The most specific assignment wins: product, then category (the deepest),
    then product class, then the default group.
    """

    group = models.ForeignKey(
        "oscar_loyalty.MarginGroup", on_delete=models.CASCADE, related_name="assignments", verbose_name=_("Group")
    )
    product = models.OneToOneField(
        "catalogue.Product", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    category = models.OneToOneField(
        "catalogue.Category", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    product_class = models.OneToOneField(
        "catalogue.ProductClass", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        verbose_name = _("Margin group assignment")
        verbose_name_plural = _("Margin group assignments")
        constraints = [
            CheckConstraint(
                condition=(
                    Q(product__isnull=False, category__isnull=True, product_class__isnull=True)
                    | Q(product__isnull=True, category__isnull=False, product_class__isnull=True)
                    | Q(product__isnull=True, category__isnull=True, product_class__isnull=False)
                ),
                name="loyalty_assignment_names_one_target",
            ),
        ]


# --- Notifications ------------------------------------------------------------


class AbstractNotification(models.Model):
    """One message about points to one customer over one channel: the notifications' outbox.

    A row is written in the transaction of the event it announces and
    delivered by a Celery task once that transaction commits. ``key`` names
    the event and the channel (``accrued:<lot>:email``), so an event reported
    twice is still one row, and a row is sent at most once.
    """

    EMAIL, SMS = "email", "sms"
    CHANNEL_CHOICES = [(EMAIL, _("E-mail")), (SMS, _("SMS"))]

    WELCOME = "welcome"
    ACCRUED = "accrued"
    AVAILABLE = "available"
    TIER_UPGRADED = "tier_upgraded"
    EXPIRING = "expiring"
    ADJUSTED = "adjusted"
    TIER_DOWNGRADED = "tier_downgraded"
    BIRTHDAY = "birthday"
    REWARD_ORDERED, REWARD_PACKED, REWARD_SENT = "reward_ordered", "reward_packed", "reward_sent"
    REWARD_DELIVERED, REWARD_CANCELLED = "reward_delivered", "reward_cancelled"
    EVENT_CHOICES = [
        (WELCOME, _("Welcome")),
        (ACCRUED, _("Points accrued")),
        (AVAILABLE, _("Points became available")),
        (TIER_UPGRADED, _("Tier upgraded")),
        (EXPIRING, _("Points expiring")),
        (ADJUSTED, _("Manual adjustment")),
        (TIER_DOWNGRADED, _("Tier lowered")),
        (BIRTHDAY, _("Birthday greeting")),
        (REWARD_ORDERED, _("Reward ordered")),
        (REWARD_PACKED, _("Reward packed")),
        (REWARD_SENT, _("Reward sent")),
        (REWARD_DELIVERED, _("Reward delivered")),
        (REWARD_CANCELLED, _("Reward cancelled")),
    ]

    PENDING, SENT, FAILED, SKIPPED = "pending", "sent", "failed", "skipped"
    STATUS_CHOICES = [(PENDING, _("Pending")), (SENT, _("Sent")), (FAILED, _("Failed")), (SKIPPED, _("Skipped"))]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="loyalty_notifications",
        verbose_name=_("Customer"),
    )
    event = models.CharField(_("Event"), max_length=32, choices=EVENT_CHOICES)
    channel = models.CharField(_("Channel"), max_length=8, choices=CHANNEL_CHOICES)
    key = models.CharField(_("Idempotency key"), max_length=255, unique=True)
    # Plain values for the templates (dates as ISO strings), frozen when the event happened.
    context = models.JSONField(_("Context"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    # The language active when the event happened: the customer's, when they caused it.
    language = models.CharField(_("Language"), max_length=16, blank=True)
    status = models.CharField(_("Status"), max_length=16, choices=STATUS_CHOICES, default=PENDING)
    attempts = models.PositiveSmallIntegerField(_("Attempts"), default=0)
    last_error = models.TextField(_("Last error or reason skipped"), blank=True)
    recipient = models.CharField(_("Sent to"), max_length=255, blank=True)
    reference = models.CharField(_("Provider's message id"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("Created"), default=timezone.now)
    last_attempt_at = models.DateTimeField(_("Last attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("Sent"), null=True, blank=True)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        ordering = ["-created_at", "-id"]
        verbose_name = _("Points notification")
        verbose_name_plural = _("Points notifications")
        indexes = [
            # The sweeper that re-enqueues deliveries whose task was lost.
            models.Index(fields=["created_at"], condition=Q(status="pending"), name="loyalty_notification_pending"),
            models.Index(fields=["user", "-created_at"], name="loyalty_notification_user"),
        ]

    def __str__(self):
        return self.key

    @property
    def event_code(self):
        """The code of Oscar's ``CommunicationEventType`` that renders this notification."""
        return f"LOYALTY_{self.event.upper()}"


class AbstractNotificationPreference(models.Model):
    """How a customer wants to hear about their points: each channel can be turned off."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="loyalty_notification_preference",
        verbose_name=_("Customer"),
    )
    email_enabled = models.BooleanField(_("E-mail me about my bonus points"), default=True)
    sms_enabled = models.BooleanField(_("Text me about my bonus points"), default=True)
    phone = models.CharField(
        _("Mobile phone number"),
        max_length=32,
        blank=True,
        help_text=_("Text messages are only sent to this number, in international format, e.g. +79161234567."),
    )
    updated_at = models.DateTimeField(_("Updated"), auto_now=True)
    # The language the customer last used the site in: messages sent in the background are written in it.
    language = models.CharField(_("Language"), max_length=16, blank=True)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        verbose_name = _("Notification preference")
        verbose_name_plural = _("Notification preferences")

    def __str__(self):
        return f"{self.user_id}"


# --- Promotions: secret codes ---------------------------------------------------


class AbstractSecretCode(models.Model):
    """A staff-issued code that brings an ended promotion back for one customer and one basket.

    Issued when an order placed under a promotion has to be changed after the
    promotion ended: staff cancel the original order and give the customer
    this code, and the corrected order gets the original's offers again. Only
    a hash of the code is stored; the code itself is shown once, to staff.
    A code is never deleted (its attempts log points to it): it is used,
    revoked or left to expire.
    """

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="loyalty_secret_codes",
        verbose_name=_("Customer"),
    )
    # Copied so the record still names the customer after the user is deleted.
    customer_name = models.CharField(_("Customer name"), max_length=255, blank=True)
    original_order = models.ForeignKey(
        "order.Order", on_delete=models.PROTECT, related_name="loyalty_secret_codes", verbose_name=_("Original order")
    )
    offers = models.ManyToManyField(
        "offer.ConditionalOffer", related_name="+", blank=True, verbose_name=_("Promotions kept")
    )
    code_hash = models.CharField(_("Code hash"), max_length=64, unique=True, editable=False)
    # The code's last characters, so staff can tell codes apart without the code.
    code_hint = models.CharField(_("Code ends with"), max_length=8, editable=False)
    reason = models.CharField(_("Reason"), max_length=255, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    issued_by_name = models.CharField(_("Issued by"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("Issued"), default=timezone.now)
    expires_at = models.DateTimeField(_("Valid until"))
    # The basket the code has been entered in: its offers apply to that basket only.
    basket = models.ForeignKey(
        "basket.Basket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("Basket")
    )
    applied_at = models.DateTimeField(_("Entered in a basket"), null=True, blank=True)
    used_at = models.DateTimeField(_("Used"), null=True, blank=True)
    replacement_order = models.OneToOneField(
        "order.Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="loyalty_replaced_by_code",
        verbose_name=_("Order placed with the code"),
    )
    used_by_name = models.CharField(_("Used by"), max_length=255, blank=True)
    revoked_at = models.DateTimeField(_("Revoked"), null=True, blank=True)
    revoked_by_name = models.CharField(_("Revoked by"), max_length=255, blank=True)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        ordering = ["-created_at", "-id"]
        verbose_name = _("Secret code")
        verbose_name_plural = _("Secret codes")
        constraints = [
            CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="loyalty_secret_code_expires_after"
            ),
        ]

    def __str__(self):
        return f"…{self.code_hint}"

    ACTIVE, USED, REVOKED, EXPIRED = "active", "used", "revoked", "expired"

    def state(self, now=None):
        """``used``, ``revoked``, ``expired`` or ``active``, in that order of precedence."""
        if self.used_at is not None:
            return self.USED
        if self.revoked_at is not None:
            return self.REVOKED
        if self.expires_at <= (now or timezone.now()):
            return self.EXPIRED
        return self.ACTIVE


class AbstractSecretCodeAttempt(AppendOnlyModel):
    """Every use of a secret code and every failed attempt at one: who, when, from where, and what came of it."""

    APPLIED = "applied"
    REMOVED = "removed"
    USED = "used"
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    FOREIGN = "foreign"
    EXPIRED = "expired"
    ALREADY_USED = "already_used"
    REVOKED = "revoked"
    THROTTLED = "throttled"
    REFUSED = "refused"
    OUTCOME_CHOICES = [
        (APPLIED, _("Entered in the basket")),
        (REMOVED, _("Removed from the basket")),
        (USED, _("Used for an order")),
        (INVALID, _("Not a code")),
        (NOT_FOUND, _("Unknown code")),
        (FOREIGN, _("Another customer's code")),
        (EXPIRED, _("Expired")),
        (ALREADY_USED, _("Already used")),
        (REVOKED, _("Revoked")),
        (THROTTLED, _("Too many attempts")),
        (REFUSED, _("Refused at order placement")),
    ]
    SUCCESSES = (APPLIED, REMOVED, USED)

    code = models.ForeignKey(
        "oscar_loyalty.SecretCode",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attempts",
        verbose_name=_("Secret code"),
    )
    outcome = models.CharField(_("Outcome"), max_length=16, choices=OUTCOME_CHOICES)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Signed-in user"),
    )
    user_name = models.CharField(_("Signed-in user's name"), max_length=255, blank=True)
    # The staff member behind the request when they act for the customer.
    acting_staff_name = models.CharField(_("Staff acting for the customer"), max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    order_number = models.CharField(_("Order number"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("Date"), default=timezone.now, db_index=True)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        ordering = ["-created_at", "-id"]
        verbose_name = _("Secret code attempt")
        verbose_name_plural = _("Secret code attempts")

    def __str__(self):
        return f"{self.get_outcome_display()} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def succeeded(self):
        return self.outcome in self.SUCCESSES
