"""Earning's tables, as abstract models a shop can extend: tiers, the purchases that decide them, margin groups.

A customer's ``CustomerTier`` records the tier their ``QualifyingPurchase``
rows earn (or a staff pin), and every change is a ``TierChange``. Margin
groups (``MarginGroup``, assigned to products or categories by
``MarginGroupAssignment``) weigh what an order line earns.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from oscar_loyalty.abstract_models import AppendOnlyModel
from oscar_loyalty.compat import CheckConstraint


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
