"""Secret codes' tables, as abstract models a shop can extend: the codes staff issue, and every attempt to enter one."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oscar_loyalty.abstract_models import AppendOnlyModel
from oscar_loyalty.compat import CheckConstraint


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
            CheckConstraint(condition=Q(expires_at__gt=F("created_at")), name="loyalty_secret_code_expires_after"),
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
