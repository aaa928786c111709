"""Manufacturer programs: point codes printed on vouchers, handed out by dealers, registered by buyers.

A manufacturer's ``ManufacturerProgram`` owns batches of single-use
``PointCode`` rows (``PointCodeBatch``); staff give batches to a ``Dealer``,
whose logins follow them in their cabinet; a buyer registers a code on the
"My bonuses" page and gets the batch's points, plus a ``VolumeBonus`` for
every K codes. Every attempt is a ``PointCodeAttempt``. Only
``oscar_loyalty.codes.services`` and ``.batches`` write these tables.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oscar_loyalty.abstract_models import AppendOnlyModel
from oscar_loyalty.compat import CheckConstraint


class AbstractManufacturerProgram(models.Model):
    """A manufacturer's program: its batches of codes, and the rule for extra points by volume."""

    name = models.CharField(_("Name"), max_length=128)
    manufacturer = models.CharField(_("Manufacturer"), max_length=128)
    description = models.TextField(_("Description"), blank=True)
    # Every ``bonus_every`` codes a customer registers in the program earn ``bonus_points`` more.
    bonus_every = models.PositiveIntegerField(_("Extra points every … codes"), null=True, blank=True)
    bonus_points = models.PositiveIntegerField(_("Extra points"), null=True, blank=True)
    show_customers_to_dealers = models.BooleanField(
        _("Dealers see who registered their codes"),
        default=False,
        help_text=_("Only if the buyers have agreed to it: dealers otherwise see dates and counts only."),
    )
    is_active = models.BooleanField(_("Active"), default=True)
    created_at = models.DateTimeField(_("Created"), default=timezone.now)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        ordering = ["name", "id"]
        verbose_name = _("Manufacturer program")
        verbose_name_plural = _("Manufacturer programs")
        constraints = [
            CheckConstraint(
                condition=Q(bonus_every__isnull=True, bonus_points__isnull=True)
                | Q(bonus_every__gt=0, bonus_points__gt=0),
                name="loyalty_program_bonus_complete",
            ),
        ]

    def __str__(self):
        return self.name


class AbstractDealer(models.Model):
    """A partner organisation that hands vouchers to buyers; its people sign in with their own logins."""

    name = models.CharField(_("Name"), max_length=128)
    city = models.CharField(_("City"), max_length=128, blank=True)
    email = models.EmailField(_("E-mail"), blank=True)
    phone = models.CharField(_("Phone"), max_length=32, blank=True)
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="loyalty_dealers", blank=True, verbose_name=_("Logins")
    )
    is_active = models.BooleanField(_("Active"), default=True)
    created_at = models.DateTimeField(_("Created"), default=timezone.now)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        ordering = ["name", "id"]
        verbose_name = _("Dealer")
        verbose_name_plural = _("Dealers")

    def __str__(self):
        return self.name


class AbstractPointCodeBatch(models.Model):
    """Codes printed together: the same points, validity and label; given to one dealer.

    The codes are generated when the batch is exported (CSV or PDF, once):
    the plain codes exist only in that file.
    """

    program = models.ForeignKey(
        "oscar_loyalty.ManufacturerProgram",
        on_delete=models.PROTECT,
        related_name="batches",
        verbose_name=_("Program"),
    )
    dealer = models.ForeignKey(
        "oscar_loyalty.Dealer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="batches",
        verbose_name=_("Dealer"),
    )
    name = models.CharField(_("Name"), max_length=128)
    label = models.CharField(
        _("Product or campaign"), max_length=128, blank=True, help_text=_("Printed with the codes; optional.")
    )
    points = models.PositiveIntegerField(_("Points per code"))
    size = models.PositiveIntegerField(_("Number of codes"))
    valid_from = models.DateTimeField(_("Valid from"))
    valid_until = models.DateTimeField(_("Valid until"))
    # Overrides the program's rule for this batch's codes (counted within the batch).
    bonus_every = models.PositiveIntegerField(_("Extra points every … codes"), null=True, blank=True)
    bonus_points = models.PositiveIntegerField(_("Extra points"), null=True, blank=True)
    created_at = models.DateTimeField(_("Created"), default=timezone.now)
    created_by_name = models.CharField(_("Created by"), max_length=255, blank=True)
    exported_at = models.DateTimeField(_("Codes exported"), null=True, blank=True)
    exported_by_name = models.CharField(_("Exported by"), max_length=255, blank=True)
    assigned_at = models.DateTimeField(_("Given to the dealer"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("Revoked"), null=True, blank=True)
    revoked_by_name = models.CharField(_("Revoked by"), max_length=255, blank=True)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        ordering = ["-created_at", "-id"]
        verbose_name = _("Point code batch")
        verbose_name_plural = _("Point code batches")
        constraints = [
            CheckConstraint(condition=Q(valid_until__gt=F("valid_from")), name="loyalty_batch_valid_window"),
            CheckConstraint(condition=Q(points__gt=0, size__gt=0), name="loyalty_batch_points_and_size"),
            CheckConstraint(
                condition=Q(bonus_every__isnull=True, bonus_points__isnull=True)
                | Q(bonus_every__gt=0, bonus_points__gt=0),
                name="loyalty_batch_bonus_complete",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def has_own_bonus(self):
        return self.bonus_every is not None


class AbstractPointCode(models.Model):
    """One single-use code, known only by its keyed hash."""

    batch = models.ForeignKey(
        "oscar_loyalty.PointCodeBatch", on_delete=models.PROTECT, related_name="codes", verbose_name=_("Batch")
    )
    code_hash = models.CharField(_("Code hash"), max_length=64, unique=True, editable=False)
    code_hint = models.CharField(_("Code ends with"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("Created"), default=timezone.now)
    registered_at = models.DateTimeField(_("Registered"), null=True, blank=True)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="loyalty_point_codes",
        verbose_name=_("Customer"),
    )
    # Copied so the record still names the customer after the user is deleted.
    customer_name = models.CharField(_("Customer name"), max_length=255, blank=True)
    points = models.PositiveIntegerField(_("Points credited"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("Revoked"), null=True, blank=True)
    revoked_by_name = models.CharField(_("Revoked by"), max_length=255, blank=True)
    reversed_at = models.DateTimeField(_("Reversed"), null=True, blank=True)
    reversed_by_name = models.CharField(_("Reversed by"), max_length=255, blank=True)
    reversal_reason = models.CharField(_("Reason for the reversal"), max_length=255, blank=True)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        ordering = ["-registered_at", "-id"]
        verbose_name = _("Point code")
        verbose_name_plural = _("Point codes")
        indexes = [models.Index(fields=["customer", "batch"], name="loyalty_code_customer_batch")]

    def __str__(self):
        return f"…{self.code_hint}"

    ACTIVE, REGISTERED, REVERSED, REVOKED, EXPIRED, NOT_YET_VALID = (
        "active",
        "registered",
        "reversed",
        "revoked",
        "expired",
        "not_yet_valid",
    )

    def state(self, now=None):
        """What the code is now, by precedence: reversed, registered, revoked, expired, not yet valid, active."""
        now = now or timezone.now()
        if self.reversed_at is not None:
            return self.REVERSED
        if self.registered_at is not None:
            return self.REGISTERED
        if self.revoked_at is not None or self.batch.revoked_at is not None:
            return self.REVOKED
        if self.batch.valid_until <= now:
            return self.EXPIRED
        if self.batch.valid_from > now:
            return self.NOT_YET_VALID
        return self.ACTIVE


class AbstractPointCodeAttempt(AppendOnlyModel):
    """Every registration of a point code and every failed attempt at one: who, when, from where, what came of it."""

    REGISTERED = "registered"
    INVALID = "invalid"
    MISTYPED = "mistyped"
    NOT_FOUND = "not_found"
    ALREADY_REGISTERED = "already_registered"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    REVOKED = "revoked"
    THROTTLED = "throttled"
    REFUSED = "refused"
    OUTCOME_CHOICES = [
        (REGISTERED, _("Registered")),
        (INVALID, _("Not a code")),
        (MISTYPED, _("Typo (check character)")),
        (NOT_FOUND, _("Unknown code")),
        (ALREADY_REGISTERED, _("Already registered")),
        (EXPIRED, _("Expired")),
        (NOT_YET_VALID, _("Not valid yet")),
        (REVOKED, _("Revoked")),
        (THROTTLED, _("Too many attempts")),
        (REFUSED, _("Refused by the points account")),
    ]

    code = models.ForeignKey(
        "oscar_loyalty.PointCode",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attempts",
        verbose_name=_("Point code"),
    )
    outcome = models.CharField(_("Outcome"), max_length=24, choices=OUTCOME_CHOICES)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Signed-in user"),
    )
    user_name = models.CharField(_("Signed-in user's name"), max_length=255, blank=True)
    acting_staff_name = models.CharField(_("Staff acting for the customer"), max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("Date"), default=timezone.now, db_index=True)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        ordering = ["-created_at", "-id"]
        verbose_name = _("Point code attempt")
        verbose_name_plural = _("Point code attempts")

    def __str__(self):
        return f"{self.get_outcome_display()} ({self.created_at:%Y-%m-%d %H:%M})"


class AbstractVolumeBonus(models.Model):
    """Extra points paid once for one threshold: the ``threshold``-th K codes of a program or a batch."""

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="loyalty_volume_bonuses",
        verbose_name=_("Customer"),
    )
    # ``program:<id>`` or ``batch:<id>``: where the codes were counted.
    scope = models.CharField(_("Counted in"), max_length=32)
    program = models.ForeignKey(
        "oscar_loyalty.ManufacturerProgram",
        on_delete=models.PROTECT,
        related_name="volume_bonuses",
        verbose_name=_("Program"),
    )
    threshold = models.PositiveIntegerField(_("Threshold"))
    codes = models.PositiveIntegerField(_("Codes registered"))
    points = models.PositiveIntegerField(_("Points"))
    ledger_key = models.CharField(_("Ledger key"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("Paid"), default=timezone.now)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        ordering = ["-created_at", "-id"]
        verbose_name = _("Volume bonus")
        verbose_name_plural = _("Volume bonuses")
        constraints = [
            models.UniqueConstraint(fields=["customer", "scope", "threshold"], name="loyalty_volume_bonus_once"),
        ]

    def __str__(self):
        return f"{self.scope} #{self.threshold}: {self.points}"


class AbstractBatchRequest(models.Model):
    """A dealer asking for codes; staff answer it with a batch, or decline it."""

    OPEN, FULFILLED, DECLINED = "open", "fulfilled", "declined"
    STATUS_CHOICES = [(OPEN, _("Open")), (FULFILLED, _("Fulfilled")), (DECLINED, _("Declined"))]

    dealer = models.ForeignKey(
        "oscar_loyalty.Dealer", on_delete=models.CASCADE, related_name="batch_requests", verbose_name=_("Dealer")
    )
    program = models.ForeignKey(
        "oscar_loyalty.ManufacturerProgram",
        on_delete=models.PROTECT,
        related_name="batch_requests",
        verbose_name=_("Program"),
    )
    size = models.PositiveIntegerField(_("Number of codes"))
    comment = models.CharField(_("Comment"), max_length=255, blank=True)
    requested_by_name = models.CharField(_("Requested by"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("Requested"), default=timezone.now)
    status = models.CharField(_("Status"), max_length=16, choices=STATUS_CHOICES, default=OPEN)
    handled_at = models.DateTimeField(_("Handled"), null=True, blank=True)
    handled_by_name = models.CharField(_("Handled by"), max_length=255, blank=True)
    batch = models.ForeignKey(
        "oscar_loyalty.PointCodeBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Batch"),
    )

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        ordering = ["-created_at", "-id"]
        verbose_name = _("Request for codes")
        verbose_name_plural = _("Requests for codes")

    def __str__(self):
        return f"{self.dealer}: {self.size}"
