"""The roll-up tables (Oscar's way: abstract here, concrete in ``oscar_loyalty.models``).

They hold sums over every journal entry up to ``RollupWatermark.journal_id``
and nothing above it; only :mod:`oscar_loyalty.reporting.rollups` writes them.
Months are calendar months in the time zone the watermark names.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AbstractRollupWatermark(models.Model):
    """How far the roll-ups go: one row."""

    journal_id = models.BigIntegerField(_("Highest journal entry rolled up"), default=0)
    time_zone = models.CharField(_("Time zone of the months"), max_length=64, blank=True)
    rolled_at = models.DateTimeField(_("Rolled up at"), null=True, blank=True)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        verbose_name = _("Roll-up watermark")
        verbose_name_plural = _("Roll-up watermarks")


class AbstractMovementRollup(models.Model):
    """One kind of journal entry in one month: how many, the points each way, and the first and last moment."""

    month = models.DateField(_("Month"))
    kind = models.CharField(_("Kind"), max_length=32)
    entries = models.BigIntegerField(_("Entries"), default=0)
    points_gained = models.BigIntegerField(_("Points gained"), default=0)
    points_lost = models.BigIntegerField(_("Points lost"), default=0)
    # available + pending: what the liability counts.
    held_change = models.BigIntegerField(_("Change of held points"), default=0)
    # The report uses a month's roll-up for a period only when these lie inside it.
    first_at = models.DateTimeField(_("First entry"))
    last_at = models.DateTimeField(_("Last entry"))

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        verbose_name = _("Monthly movement roll-up")
        verbose_name_plural = _("Monthly movement roll-ups")
        constraints = [models.UniqueConstraint(fields=["month", "kind"], name="loyalty_movement_rollup_unique")]


class AbstractAccountMonth(models.Model):
    """A month in which an account has journal entries, and whether any was activity.

    What the participation counts are kept from; the report never reads it
    whole, only for the accounts of the entries above the watermark.
    """

    account = models.ForeignKey(
        "oscar_loyalty.Account", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    month = models.DateField(_("Month"))
    active = models.BooleanField(_("Active"), default=False)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        verbose_name = _("Account month")
        verbose_name_plural = _("Account months")
        constraints = [models.UniqueConstraint(fields=["account", "month"], name="loyalty_account_month_unique")]


class AbstractParticipationRollup(models.Model):
    """Accounts active in ``month`` whose previous active month was ``previous_month``.

    ``previous_month == month`` for an account's first active month. The
    accounts active at least once from month A to month B are then the rows
    of those months whose previous month is before A or is the month itself:
    a distinct count over any run of months from a few hundred rows.
    """

    month = models.DateField(_("Month"))
    previous_month = models.DateField(_("Previous active month"))
    accounts = models.BigIntegerField(_("Accounts"), default=0)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        verbose_name = _("Monthly participation roll-up")
        verbose_name_plural = _("Monthly participation roll-ups")
        constraints = [
            models.UniqueConstraint(fields=["month", "previous_month"], name="loyalty_participation_rollup_unique")
        ]


class AbstractNewAccountRollup(models.Model):
    """Accounts whose first journal entry falls in ``month``."""

    month = models.DateField(_("Month"), unique=True)
    accounts = models.BigIntegerField(_("Accounts"), default=0)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        verbose_name = _("Monthly new accounts roll-up")
        verbose_name_plural = _("Monthly new accounts roll-ups")


class AbstractTierTally(models.Model):
    """A change in how many account holders there are, or how many customers a tier has: the counts are the sums.

    Written only by database triggers on the accounts and the customers'
    tier records (PostgreSQL), in the transaction that changes them, so the
    sums are exact whenever read; the roll-up beat folds them into one row
    per count. ``kind`` "holders" counts accounts with a customer; "tier"
    counts tier records by their computed tier (``tier_ref``, the tier's id;
    None for a record without one). Pinned tiers are read from the records
    themselves: they are few, and a pin ends by the clock, not by a write.
    """

    HOLDERS, TIER = "holders", "tier"

    kind = models.CharField(_("Kind"), max_length=8)
    tier_ref = models.BigIntegerField(_("Tier"), null=True, blank=True)
    delta = models.BigIntegerField(_("Change"))

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        verbose_name = _("Tier tally")
        verbose_name_plural = _("Tier tallies")
