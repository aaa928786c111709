"""Campaign rules, their budgets and awards, as abstract models a shop can extend.

A rule is data staff create in the dashboard: who earns (audience), where
(sales channels), when (dates, weekdays, hours, around the birthday), on what
basis (the order, some lines, amount brackets, the Nth purchase, an event),
how much (a percentage, a multiplier of the base cashback, fixed points), the
terms of the lot it credits, and how it combines with other rules.

Every save publishes the rule: ``spec`` holds all of it (many-to-many choices
included) as plain JSON under a new ``version``, so an accrual reads one
consistent version in one row, and records that version on its award.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from oscar_loyalty.compat import CheckConstraint


class AbstractCampaignRule(models.Model):
    # Who
    EVERYONE, TIERS, SEGMENTS, REGISTERED, PURCHASED = "everyone", "tiers", "segments", "registered", "purchased"
    AUDIENCE_CHOICES = [
        (EVERYONE, _("Everyone")),
        (TIERS, _("Customers of the chosen tiers")),
        (SEGMENTS, _("Customers in the chosen segments")),
        (REGISTERED, _("Customers who registered within the window")),
        (PURCHASED, _("Customers who purchased within the window")),
    ]
    # Basis
    ORDER, LINES, BRACKETS, NTH, EVENT = "order", "lines", "brackets", "nth", "event"
    BASIS_CHOICES = [
        (ORDER, _("The whole order")),
        (LINES, _("Order lines of chosen products, categories, classes or margin groups")),
        (BRACKETS, _("Order amount brackets")),
        (NTH, _("Every Nth purchase")),
        (EVENT, _("An event")),
    ]
    REGISTRATION, BIRTHDAY, REFERRAL, REFERRED, CODE = "registration", "birthday", "referral", "referred", "code"
    FRIEND_PURCHASE = "friend_purchase"
    EVENT_CHOICES = [
        (REGISTRATION, _("Registration")),
        (BIRTHDAY, _("Birthday")),
        (REFERRAL, _("A referred friend's first order")),
        (FRIEND_PURCHASE, _("Every paid order of a referred friend")),
        (REFERRED, _("Joining through a friend's invitation")),
        (CODE, _("A code entered")),
    ]
    # How much
    PERCENT, MULTIPLIER, FIXED = "percent", "multiplier", "fixed"
    REWARD_CHOICES = [
        (PERCENT, _("A percentage of the amount")),
        (MULTIPLIER, _("A multiplier of the base cashback")),
        (FIXED, _("A fixed number of points")),
    ]
    # Stacking
    STACK, BEST = "stack", "best"
    STACKING_CHOICES = [
        (STACK, _("Adds to the base cashback and to other rules")),
        (BEST, _("The best rule wins")),
    ]

    name = models.CharField(_("Name"), max_length=128)
    description = models.TextField(_("Description"), blank=True)
    template = models.SlugField(_("Created from template"), max_length=32, blank=True)
    is_active = models.BooleanField(_("Active"), default=True)
    version = models.PositiveIntegerField(_("Version"), default=0, editable=False)
    spec = models.JSONField(_("Published rule"), default=dict, editable=False)

    audience = models.CharField(_("Who"), max_length=16, choices=AUDIENCE_CHOICES, default=EVERYONE)
    tiers = models.ManyToManyField("oscar_loyalty.Tier", blank=True, related_name="+", verbose_name=_("Tiers"))
    segments = models.ManyToManyField("oscar_loyalty.Segment", blank=True, related_name="+", verbose_name=_("Segments"))
    audience_from = models.DateField(_("Window from"), null=True, blank=True)
    audience_to = models.DateField(_("Window to"), null=True, blank=True)

    channels = models.JSONField(
        _("Sales channels"),
        default=list,
        blank=True,
        help_text=_('Channel codes, e.g. "web", "store:12", "partner:acme". None: every channel.'),
    )

    starts_at = models.DateTimeField(_("Starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("Ends"), null=True, blank=True)
    weekdays = models.JSONField(_("Days of the week"), default=list, blank=True)
    hour_from = models.PositiveSmallIntegerField(_("From hour"), null=True, blank=True)
    hour_to = models.PositiveSmallIntegerField(_("To hour"), null=True, blank=True)
    birthday_days = models.PositiveSmallIntegerField(
        _("Days around the birthday"),
        null=True,
        blank=True,
        help_text=_("Only within this many days before or after the customer's birthday."),
    )

    basis = models.CharField(_("Basis"), max_length=16, choices=BASIS_CHOICES, default=ORDER)
    products = models.ManyToManyField("catalogue.Product", blank=True, related_name="+", verbose_name=_("Products"))
    categories = models.ManyToManyField(
        "catalogue.Category", blank=True, related_name="+", verbose_name=_("Categories")
    )
    product_classes = models.ManyToManyField(
        "catalogue.ProductClass", blank=True, related_name="+", verbose_name=_("Product types")
    )
    margin_groups = models.ManyToManyField(
        "oscar_loyalty.MarginGroup", blank=True, related_name="+", verbose_name=_("Margin groups")
    )
    brackets = models.JSONField(_("Amount brackets"), default=list, blank=True)
    nth_every = models.PositiveSmallIntegerField(_("Every Nth purchase"), null=True, blank=True)
    nth_min_amount = models.DecimalField(
        _("Purchases count from"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    event = models.CharField(_("Event"), max_length=16, choices=EVENT_CHOICES, blank=True)
    event_code = models.CharField(_("Code"), max_length=64, blank=True)
    event_days = models.PositiveSmallIntegerField(
        _("For days after the friend joined"),
        null=True,
        blank=True,
        help_text=_("A referred friend's orders earn the referrer for this many days after the friend joined."),
    )

    reward = models.CharField(_("How much"), max_length=16, choices=REWARD_CHOICES, default=PERCENT)
    value = models.DecimalField(_("Value"), max_digits=12, decimal_places=2, default=0)

    hold_days = models.PositiveSmallIntegerField(_("Hold period (days)"), null=True, blank=True)
    expires_in_days = models.PositiveSmallIntegerField(_("Expire after (days)"), null=True, blank=True)
    expires_on = models.DateField(_("Points burn on"), null=True, blank=True)
    spend_max_percent = models.DecimalField(
        _("Pay at most this % of an order"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    spend_min_order = models.DecimalField(
        _("Pay only orders from"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    spend_products = models.ManyToManyField(
        "catalogue.Product", blank=True, related_name="+", verbose_name=_("Pay only for products")
    )
    spend_categories = models.ManyToManyField(
        "catalogue.Category", blank=True, related_name="+", verbose_name=_("Pay only for categories")
    )
    spend_from = models.DateTimeField(_("Pay only from"), null=True, blank=True)
    spend_until = models.DateTimeField(_("Pay only until"), null=True, blank=True)

    stacking = models.CharField(_("Stacking"), max_length=8, choices=STACKING_CHOICES, default=STACK)
    budget_total = models.PositiveBigIntegerField(_("Total budget (points)"), null=True, blank=True)
    budget_per_customer = models.PositiveBigIntegerField(_("Budget per customer (points)"), null=True, blank=True)
    awards_per_customer = models.PositiveIntegerField(_("Awards per customer"), null=True, blank=True)

    created_at = models.DateTimeField(_("Created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Updated"), auto_now=True)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        ordering = ["-is_active", "name", "pk"]
        verbose_name = _("Campaign rule")
        verbose_name_plural = _("Campaign rules")
        constraints = [
            CheckConstraint(condition=Q(value__gte=0), name="loyalty_campaign_value_not_negative"),
        ]

    def __str__(self):
        return self.name


class AbstractCampaignBudget(models.Model):
    """What a rule has given so far: the row locked while an award checks and spends the budget."""

    rule = models.OneToOneField("oscar_loyalty.CampaignRule", on_delete=models.CASCADE, related_name="budget")
    points = models.BigIntegerField(_("Points awarded"), default=0)
    awards = models.PositiveIntegerField(_("Awards"), default=0)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        verbose_name = _("Campaign budget")
        verbose_name_plural = _("Campaign budgets")

    def __str__(self):
        return f"{self.rule_id}: {self.points}"


class AbstractCampaignAward(models.Model):
    """One rule's award: the lot it credited, the rule's version used, the channel and the occasion."""

    rule = models.ForeignKey(
        "oscar_loyalty.CampaignRule", on_delete=models.PROTECT, related_name="awards", verbose_name=_("Rule")
    )
    rule_version = models.PositiveIntegerField(_("Rule version"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    lot = models.OneToOneField(
        "oscar_loyalty.Lot", on_delete=models.PROTECT, related_name="campaign_award", verbose_name=_("Lot")
    )
    points = models.PositiveBigIntegerField(_("Points"))
    key = models.CharField(_("Idempotency key"), max_length=200, unique=True)
    order_number = models.CharField(_("Order number"), max_length=128, blank=True)
    event = models.CharField(_("Event"), max_length=16, blank=True)
    channel = models.CharField(_("Sales channel"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("Created"))

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        ordering = ["-created_at", "-pk"]
        verbose_name = _("Campaign award")
        verbose_name_plural = _("Campaign awards")
        indexes = [
            models.Index(fields=["rule", "user"], name="loyalty_award_rule_user"),
            models.Index(fields=["order_number"], name="loyalty_award_order"),
        ]

    def __str__(self):
        return f"{self.rule_id} → {self.user_id}: {self.points}"
