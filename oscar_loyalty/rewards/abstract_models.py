"""The rewards catalogue: prizes customers exchange points for, and their redemptions.

A ``Reward`` is one of three kinds: a physical prize (packed and delivered),
a discount voucher (an Oscar voucher only the customer can use, issued at
once), or an extended warranty for one of the customer's orders (its term
recorded on the redemption). A ``RewardOrder`` is one redemption: the points
it cost (spent through the ledger under the redemption's number), what was
issued, where it goes, and where it stands.

Nothing here is written to directly: ``oscar_loyalty.rewards.services`` is
the only writer, so stock, points and statuses move together.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oscar_loyalty.compat import CheckConstraint


class AbstractReward(models.Model):
    """A prize in the rewards catalogue, priced in points, with a stock."""

    PHYSICAL, VOUCHER, WARRANTY = "physical", "voucher", "warranty"
    KIND_CHOICES = [
        (PHYSICAL, _("Physical prize (delivered)")),
        (VOUCHER, _("Discount voucher")),
        (WARRANTY, _("Extended warranty")),
    ]

    PERCENTAGE, FIXED = "percentage", "fixed"
    DISCOUNT_CHOICES = [(PERCENTAGE, _("Percentage off the basket")), (FIXED, _("Fixed amount off the basket"))]

    name = models.CharField(_("Name"), max_length=128)
    image = models.ImageField(_("Picture"), upload_to="loyalty/rewards/", max_length=255)
    description = models.TextField(_("Description"), blank=True)
    kind = models.CharField(_("Kind"), max_length=16, choices=KIND_CHOICES, default=PHYSICAL)
    points = models.PositiveIntegerField(_("Price in points"))
    stock = models.PositiveIntegerField(_("In stock"), default=0)
    is_active = models.BooleanField(_("Shown in the catalogue"), default=True)
    position = models.PositiveSmallIntegerField(_("Position"), default=0)
    # Discount vouchers.
    discount_type = models.CharField(_("Discount type"), max_length=16, choices=DISCOUNT_CHOICES, blank=True)
    discount_value = models.DecimalField(_("Discount"), max_digits=12, decimal_places=2, null=True, blank=True)
    voucher_valid_days = models.PositiveSmallIntegerField(_("Voucher valid for (days)"), default=90)
    # Extended warranties.
    warranty_months = models.PositiveSmallIntegerField(_("Warranty term (months)"), null=True, blank=True)
    warranty_terms = models.TextField(_("Warranty terms"), blank=True)
    created_at = models.DateTimeField(_("Created"), default=timezone.now)
    updated_at = models.DateTimeField(_("Updated"), auto_now=True)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        ordering = ["position", "points", "pk"]
        verbose_name = _("Reward")
        verbose_name_plural = _("Rewards")
        constraints = [
            CheckConstraint(condition=Q(points__gt=0), name="loyalty_reward_points_positive"),
            CheckConstraint(
                condition=~Q(kind="voucher") | (Q(discount_value__gt=0) & ~Q(discount_type="")),
                name="loyalty_reward_voucher_has_discount",
            ),
            CheckConstraint(
                condition=~Q(kind="warranty") | Q(warranty_months__gt=0),
                name="loyalty_reward_warranty_has_term",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def needs_delivery(self):
        return self.kind == self.PHYSICAL

    @property
    def in_stock(self):
        return self.stock > 0


class AbstractRewardOrder(models.Model):
    """One redemption of a reward: the points paid, what was issued, and its way to the customer.

    A physical prize moves ``new → packed → sent → delivered``; a voucher or
    a warranty is issued at once and starts ``delivered``. Any of them may be
    cancelled, which gives the points back (once); a delivered one only as a
    return staff confirm.
    """

    NEW, PACKED, SENT, DELIVERED, CANCELLED = "new", "packed", "sent", "delivered", "cancelled"
    STATUS_CHOICES = [
        (NEW, _("New")),
        (PACKED, _("Packed")),
        (SENT, _("Sent")),
        (DELIVERED, _("Delivered")),
        (CANCELLED, _("Cancelled")),
    ]

    number = models.CharField(_("Number"), max_length=32, unique=True)
    # The customer's submission: a form sent twice is one redemption.
    key = models.CharField(_("Idempotency key"), max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="loyalty_reward_orders",
        verbose_name=_("Customer"),
    )
    # Copied so the record still names the customer after the user is deleted.
    customer_name = models.CharField(_("Customer name"), max_length=255, blank=True)
    reward = models.ForeignKey(
        "oscar_loyalty.Reward", on_delete=models.PROTECT, related_name="orders", verbose_name=_("Reward")
    )
    # Copied: the catalogue may change after the redemption.
    reward_name = models.CharField(_("Reward name"), max_length=128)
    kind = models.CharField(_("Kind"), max_length=16, choices=AbstractReward.KIND_CHOICES)
    points = models.PositiveIntegerField(_("Points"))
    status = models.CharField(_("Status"), max_length=16, choices=STATUS_CHOICES, default=NEW)
    # Delivery of a physical prize.
    recipient_name = models.CharField(_("Recipient"), max_length=255, blank=True)
    phone = models.CharField(_("Phone"), max_length=32, blank=True)
    address = models.TextField(_("Delivery address"), blank=True)
    # A discount voucher.
    voucher = models.ForeignKey(
        "voucher.Voucher",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="loyalty_reward_orders",
        verbose_name=_("Voucher"),
    )
    voucher_code = models.CharField(_("Voucher code"), max_length=128, blank=True)
    # An extended warranty.
    order = models.ForeignKey(
        "order.Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="loyalty_warranties",
        verbose_name=_("Order covered"),
    )
    order_number = models.CharField(_("Order covered"), max_length=128, blank=True)
    warranty_months = models.PositiveSmallIntegerField(_("Warranty term (months)"), null=True, blank=True)
    warranty_starts_on = models.DateField(_("Warranty starts"), null=True, blank=True)
    warranty_ends_on = models.DateField(_("Warranty ends"), null=True, blank=True)
    # The journey.
    created_at = models.DateTimeField(_("Ordered"), default=timezone.now)
    packed_at = models.DateTimeField(_("Packed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("Sent"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("Delivered"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("Cancelled"), null=True, blank=True)
    cancel_reason = models.CharField(_("Reason for cancelling"), max_length=255, blank=True)
    # A delivered prize cancelled because it came back.
    returned = models.BooleanField(_("Returned after delivery"), default=False)
    restocked = models.BooleanField(_("Put back in stock"), default=False)
    changed_by_name = models.CharField(_("Last changed by"), max_length=255, blank=True)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        ordering = ["-created_at", "-id"]
        verbose_name = _("Reward order")
        verbose_name_plural = _("Reward orders")
        indexes = [
            models.Index(fields=["status", "-created_at"], name="loyalty_reward_order_status"),
            models.Index(fields=["user", "-created_at"], name="loyalty_reward_order_user"),
        ]

    def __str__(self):
        return self.number

    @property
    def needs_delivery(self):
        return self.kind == AbstractReward.PHYSICAL

    @property
    def ledger_key(self):
        """The ledger's idempotency key for the points this redemption spends."""
        return f"reward:{self.key}"

    @property
    def refund_key(self):
        """The ledger's idempotency key for giving them back."""
        return f"reward-cancel:{self.number}"
