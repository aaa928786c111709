"""Customer segments, their monthly history, RFM scores and birthdays, as abstract models.

A segment is a named set of customers. Its members are rows of
``SegmentMembership``, whatever the kind:

- **rfm**: written by the RFM pass (``segments.rfm``) from the customers'
  paid purchases; one RFM segment per customer at most;
- **manual**: a list staff keep by hand;
- **filter**: a saved filter (tier, registration window, minimum number of
  purchases) that the beat pass turns into members.

Campaign rules target a segment by foreign key and read its members; the
dashboard shows sizes from ``SegmentSnapshot`` (one row per segment and
month) and movement between RFM segments from ``RFMScore`` (one row per
customer and month).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from oscar_loyalty.compat import CheckConstraint


class AbstractSegment(models.Model):
    """A named group of customers that campaign rules target and the mailing tool exports."""

    RFM, MANUAL, FILTER = "rfm", "manual", "filter"
    KIND_CHOICES = [(RFM, _("RFM (computed)")), (MANUAL, _("List of customers")), (FILTER, _("Saved filter"))]

    code = models.SlugField(_("Code"), max_length=64, unique=True)
    name = models.CharField(_("Name"), max_length=128)
    kind = models.CharField(_("Kind"), max_length=16, choices=KIND_CHOICES, default=MANUAL)
    description = models.TextField(_("Description"), blank=True)

    # A saved filter: every condition set must hold; unset ones are ignored.
    filter_tier = models.ForeignKey(
        "oscar_loyalty.Tier",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Tier"),
    )
    registered_from = models.DateField(_("Registered on or after"), null=True, blank=True)
    registered_to = models.DateField(_("Registered on or before"), null=True, blank=True)
    min_purchases = models.PositiveIntegerField(_("At least this many paid purchases"), null=True, blank=True)

    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="oscar_loyalty.SegmentMembership",
        related_name="loyalty_segments",
        verbose_name=_("Members"),
        blank=True,
    )
    size = models.PositiveIntegerField(_("Members"), default=0)
    refreshed_at = models.DateTimeField(_("Members last computed"), null=True, blank=True)
    created_at = models.DateTimeField(_("Created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Updated"), auto_now=True)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        ordering = ["kind", "name"]
        verbose_name = _("Customer segment")
        verbose_name_plural = _("Customer segments")

    def __str__(self):
        return self.name

    @property
    def is_computed(self):
        """Members come from a pass (RFM, saved filter), not from staff."""
        return self.kind in {self.RFM, self.FILTER}


class AbstractSegmentMembership(models.Model):
    """A customer in a segment, since when."""

    segment = models.ForeignKey("oscar_loyalty.Segment", on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("Customer")
    )
    since = models.DateTimeField(_("Member since"))

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        verbose_name = _("Segment member")
        verbose_name_plural = _("Segment members")
        constraints = [models.UniqueConstraint(fields=["segment", "user"], name="loyalty_segment_member_once")]
        indexes = [models.Index(fields=["user"], name="loyalty_segment_member_user")]

    def __str__(self):
        return f"{self.segment_id}: {self.user_id}"


class AbstractSegmentSnapshot(models.Model):
    """A segment's size in a month (the first day of the month), kept for the dashboard's movement."""

    segment = models.ForeignKey("oscar_loyalty.Segment", on_delete=models.CASCADE, related_name="snapshots")
    month = models.DateField(_("Month"))
    size = models.PositiveIntegerField(_("Members"))
    taken_at = models.DateTimeField(_("Taken"))

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        ordering = ["-month", "segment"]
        verbose_name = _("Segment size in a month")
        verbose_name_plural = _("Segment sizes by month")
        constraints = [models.UniqueConstraint(fields=["segment", "month"], name="loyalty_segment_snapshot_month")]


class AbstractRFMScore(models.Model):
    """A customer's recency, frequency and monetary quintiles in a month, and the segment they put them in.

    The row for the current month is rewritten by every pass in that month;
    earlier months are the history the dashboard's movement is read from.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("Customer")
    )
    month = models.DateField(_("Month"))
    recency = models.PositiveSmallIntegerField(_("Recency score"))
    frequency = models.PositiveSmallIntegerField(_("Frequency score"))
    monetary = models.PositiveSmallIntegerField(_("Monetary score"))
    segment_code = models.SlugField(_("Segment"), max_length=64)
    purchases = models.PositiveIntegerField(_("Paid purchases"))
    amount = models.DecimalField(_("Paid amount"), max_digits=14, decimal_places=2)
    last_purchase_at = models.DateTimeField(_("Last purchase"))
    computed_at = models.DateTimeField(_("Computed"))

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        ordering = ["-month", "user"]
        verbose_name = _("RFM score")
        verbose_name_plural = _("RFM scores")
        constraints = [
            models.UniqueConstraint(fields=["user", "month"], name="loyalty_rfm_score_month"),
            CheckConstraint(
                condition=Q(recency__gte=1, recency__lte=5)
                & Q(frequency__gte=1, frequency__lte=5)
                & Q(monetary__gte=1, monetary__lte=5),
                name="loyalty_rfm_score_quintiles",
            ),
        ]
        indexes = [models.Index(fields=["month", "segment_code"], name="loyalty_rfm_score_segment")]

    def __str__(self):
        return f"{self.user_id} {self.month:%Y-%m}: {self.recency}{self.frequency}{self.monetary}"


class AbstractCustomerBirthday(models.Model):
    """A customer's date of birth: set once by the customer, changed only by staff.

    The birthday bonus's idempotency key carries the year, so a date changed
    (by anyone) never earns a second bonus in the same calendar year.
    """

    CUSTOMER, STAFF = "customer", "staff"
    SOURCE_CHOICES = [(CUSTOMER, _("The customer")), (STAFF, _("Staff"))]

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="loyalty_birthday",
        verbose_name=_("Customer"),
    )
    birthday = models.DateField(_("Date of birth"))
    set_by = models.CharField(_("Set by"), max_length=16, choices=SOURCE_CHOICES)
    changed_by_name = models.CharField(_("Last changed by"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("Set"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Updated"), auto_now=True)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        verbose_name = _("Customer's birthday")
        verbose_name_plural = _("Customers' birthdays")
        indexes = [models.Index(fields=["birthday"], name="loyalty_birthday_date")]

    def __str__(self):
        return f"{self.user_id}: {self.birthday}"
