"""The loyalty program's KPIs, for a period and month by month.

Every figure is a set-based aggregate: a fixed number of grouped queries,
however many accounts, entries and orders there are. The journal's figures
come from its monthly roll-ups (:mod:`oscar_loyalty.reporting.rollups`, kept
by the beat) plus the entries above their watermark; a month the roll-ups
cannot serve exactly (one the period covers only in part, with entries
outside it) is read from the journal. The figures are the same either way.
Months run in the shop's time zone (``TIME_ZONE``).

What the figures mean:

- **Participants**: accounts with activity in the month: points earned,
  spent, adjusted, reversed or restored (not the automatic activations and
  expiries, nor checkout holds).
- **New participants**: accounts whose first journal entry falls in the month.
- **Points accrued**: accruals plus positive manual and accounting-system
  adjustments.
- **Points redeemed**: points spent on orders in the month.
- **Points returned to customers**: spent points that cancellations and
  returns gave back in the month (restorations). They are their own figure,
  not negative redemptions: a return in a month with little spending would
  otherwise show negative redemptions and a negative redemption rate.
- **Points expired**: points that expired unspent.
- **Outstanding liability**: available + pending points at the end of the
  month, times ``OSCAR_LOYALTY_POINT_VALUE``.
- **Redemption rate**: redeemed as a percentage of accrued (returns do not
  lower it; they are shown beside it).
- **Revenue**: the totals of Oscar orders placed in the month, without the
  ones in ``OSCAR_LOYALTY_CANCEL_STATUSES``; "participants" are customers with
  a points account, "others" are guests and customers without one.
- **Paid with points**: what those orders' points payment sources
  (``OSCAR_LOYALTY_POINTS_SOURCE_TYPE``) debited less what they refunded.
- **Tier distribution**: account holders by the tier in effect now (a pinned
  tier wins; no tier record means the entry tier).
"""

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Sum,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model

from oscar_loyalty.earning.tiers import qualifying_tier
from oscar_loyalty.reporting import rollups, tallies
from oscar_loyalty.reporting.rollups import ACTIVITY_KINDS
from oscar_loyalty.settings import loyalty_settings

Account = get_model("oscar_loyalty", "Account")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")
Tier = get_model("oscar_loyalty", "Tier")
CustomerTier = get_model("oscar_loyalty", "CustomerTier")
MovementRollup = get_model("oscar_loyalty", "MovementRollup")
AccountMonth = get_model("oscar_loyalty", "AccountMonth")
ParticipationRollup = get_model("oscar_loyalty", "ParticipationRollup")
NewAccountRollup = get_model("oscar_loyalty", "NewAccountRollup")
Order = get_model("order", "Order")
Source = get_model("payment", "Source")

ADJUSTMENT_KINDS = (JournalEntry.ADJUSTMENT, JournalEntry.ERP_CORRECTION)

#: The longest period a report covers, in months.
MAX_MONTHS = 60

ZERO_MONEY = Decimal("0.00")
PERCENT = Decimal("0.1")


def first_of_month(day):
    return day.replace(day=1)


def add_months(day, months):
    """The same day ``months`` later (or earlier), clipped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Period:
    """Whole days from ``start`` to ``end``, both included."""

    start: date
    end: date

    @classmethod
    def last_months(cls, months, *, today=None):
        """The current month and the ``months - 1`` before it, up to today."""
        today = today or timezone.localdate()
        return cls(add_months(first_of_month(today), -(months - 1)), today)

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError("A period cannot end before it starts.")

    @property
    def start_at(self):
        return _local_midnight(self.start)

    @property
    def end_at(self):
        """The first moment after the period."""
        return _local_midnight(self.end + timedelta(days=1))

    def months(self):
        """The first day of every month the period touches."""
        months, month = [], first_of_month(self.start)
        while month <= self.end:
            months.append(month)
            month = add_months(month, 1)
        return months


def _local_midnight(day):
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass
class Figures:
    """One row of the report: a month, or the whole period (``month`` None)."""

    month: date | None = None
    participants: int = 0
    new_participants: int = 0
    accrued: int = 0
    redeemed: int = 0
    returned: int = 0
    expired: int = 0
    liability_points: int = 0
    liability: Decimal = ZERO_MONEY
    revenue_participants: Decimal = ZERO_MONEY
    revenue_others: Decimal = ZERO_MONEY
    paid_with_points: Decimal = ZERO_MONEY

    @property
    def revenue(self):
        return self.revenue_participants + self.revenue_others

    @property
    def redemption_rate(self):
        """Redeemed as a % of accrued (one decimal), None when nothing was accrued."""
        return percentage(self.redeemed, self.accrued)

    @property
    def points_share(self):
        """The % of revenue paid with points (one decimal), None without revenue."""
        return percentage(self.paid_with_points, self.revenue)

    @property
    def participant_revenue_share(self):
        return percentage(self.revenue_participants, self.revenue)


def percentage(part, whole):
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(PERCENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class TierShare:
    tier: object  # a Tier, or None for customers without one
    accounts: int
    percent: Decimal | None

    @property
    def label(self):
        return self.tier.name if self.tier is not None else str(_("No tier"))


@dataclass
class Report:
    period: Period
    point_value: Decimal
    months: list = field(default_factory=list)
    total: Figures = field(default_factory=Figures)
    tiers: list = field(default_factory=list)


def build_report(period, *, now=None):
    """Every KPI of ``period``, month by month and in total."""
    if len(period.months()) > MAX_MONTHS:
        raise ValueError(f"A report covers at most {MAX_MONTHS} months.")
    now = now or timezone.now()
    point_value = loyalty_settings.POINT_VALUE
    months = {month: Figures(month=month) for month in period.months()}
    total = Figures()
    start_at, end_at = period.start_at, period.end_at
    _journal_figures(period, months, total)
    for figures in months.values():
        figures.liability = _money(figures.liability_points * point_value)

    # Revenue, split by whether the customer is in the program, and paid with points.
    placed = Q(date_placed__gte=start_at, date_placed__lt=end_at) & ~Q(status__in=loyalty_settings.CANCEL_STATUSES)
    for row in (
        Order.objects.filter(placed)
        .annotate(
            month=TruncMonth("date_placed"), participant=Exists(Account.objects.filter(user_id=OuterRef("user_id")))
        )
        .values("month", "participant")
        .annotate(revenue=_money_sum("total_incl_tax"))
        .order_by()
    ):
        figures = months[_month_key(row["month"])]
        if row["participant"]:
            figures.revenue_participants = _money(row["revenue"])
        else:
            figures.revenue_others = _money(row["revenue"])
    for row in (
        Source.objects.filter(
            order__date_placed__gte=start_at,
            order__date_placed__lt=end_at,
            source_type__name=loyalty_settings.POINTS_SOURCE_TYPE,
        )
        .exclude(order__status__in=loyalty_settings.CANCEL_STATUSES)
        .annotate(month=TruncMonth("order__date_placed"))
        .values("month")
        .annotate(paid=_money_sum(F("amount_debited") - F("amount_refunded")))
        .order_by()
    ):
        months[_month_key(row["month"])].paid_with_points = _money(row["paid"])

    rows = list(months.values())
    total.new_participants = sum(row.new_participants for row in rows)
    for name in (
        "accrued",
        "redeemed",
        "returned",
        "expired",
        "revenue_participants",
        "revenue_others",
        "paid_with_points",
    ):
        setattr(total, name, sum((getattr(row, name) for row in rows), start=getattr(total, name)))
    total.liability_points = rows[-1].liability_points
    total.liability = rows[-1].liability
    return Report(period=period, point_value=point_value, months=rows, total=total, tiers=tier_distribution(now=now))


def _journal_figures(period, months, total):
    """Participants, new participants, points moved and liability: roll-ups plus the journal they do not cover."""
    start_at, end_at = period.start_at, period.end_at
    first_month, last_month = period.months()[0], period.months()[-1]
    high = rollups.watermark()
    # Whether the period cuts a roll-up's month (entries lie outside it) is asked of the database, which
    # spares reading two moments a row.
    cut = ExpressionWrapper(Q(first_at__lt=start_at) | Q(last_at__gte=end_at), output_field=BooleanField())
    kept = (
        list(
            MovementRollup.objects.filter(month__lte=last_month)
            .order_by()
            .annotate(cut=cut)
            .values_list("month", "kind", "points_gained", "points_lost", "held_change", "cut", named=True)
        )
        if high
        else []
    )
    # A month the roll-ups serve holds, up to the watermark, only entries inside the period; the others
    # (the first and last month, when the period cuts them and entries lie outside) are read whole.
    rolled = set(months) if high else set()
    for row in kept:
        if row.month >= first_month and row.cut:
            rolled.discard(row.month)
    split = [month for month in months if month not in rolled]
    ranges = Q()
    for month in split:
        ranges |= Q(created_at__gte=_local_midnight(month), created_at__lt=_local_midnight(add_months(month, 1)))
    # The journal's part: everything above the watermark, and the split months whole.
    journal = JournalEntry.objects.filter(Q(pk__gt=high) | ranges, created_at__lt=end_at).order_by()
    in_period = journal.filter(created_at__gte=start_at)

    # Points moved, and the liability at each month's end.
    held = F("available_change") + F("pending_change")
    opening = sum(row.held_change for row in kept if row.month < first_month)
    for row in kept:
        if row.month in rolled:
            _add_movements(months[row.month], row.kind, row.points_gained, row.points_lost, row.held_change)
    # The journal's part in the roll-ups' own shape (month, kind, points each way, held points), and
    # whether it lies before the period (the opening liability).
    for row in (
        journal.annotate(
            month=TruncMonth("created_at"),
            before=ExpressionWrapper(Q(created_at__lt=start_at), output_field=BooleanField()),
        )
        .values("month", "kind", "before")
        .annotate(
            gained=_points_sum(Q(points__gt=0)),
            lost=_points_sum(Q(points__lt=0)),
            held=Coalesce(Sum(held), 0),
        )
    ):
        figures = months.get(_month_key(row["month"]))
        if row["before"] or figures is None:
            opening += row["held"]
        else:
            _add_movements(figures, row["kind"], row["gained"], row["lost"], row["held"])
    liability = opening
    for figures in months.values():
        liability += figures.liability_points
        figures.liability_points = liability

    # Participants per month: the roll-up's, and the journal's accounts it does not know in that month.
    if rolled:
        first, last = min(rolled), max(rolled)
        # Over the period, each account once: the roll-up counts the accounts whose active months in the run of
        # rolled months begin there (previous active month before the run, or none).
        for month, previous, accounts in ParticipationRollup.objects.filter(
            month__gte=first, month__lte=last
        ).values_list("month", "previous_month", "accounts"):
            months[month].participants += accounts
            if previous < first or previous == month:
                total.participants += accounts
        for month, accounts in _participants_above(high, split, start_at, end_at, first, last):
            if month is None:
                total.participants += accounts
            else:
                months[month].participants += accounts
    else:
        activity = in_period.filter(kind__in=ACTIVITY_KINDS).annotate(month=TruncMonth("created_at"))
        for row in activity.values("month").annotate(accounts=Count("account", distinct=True)).order_by():
            months[_month_key(row["month"])].participants += row["accounts"]
        total.participants = activity.aggregate(accounts=Count("account", distinct=True))["accounts"]

    # New participants: accounts whose first journal entry falls in the month (and in the period).
    if rolled:
        for row in NewAccountRollup.objects.filter(month__in=rolled).values("month", "accounts"):
            months[row["month"]].new_participants += row["accounts"]
        # Entries above the watermark may be an account's first, or come before the one the roll-up saw.
        for kept_month, above_month, accounts in _first_entries_above(high, start_at, end_at):
            if kept_month in rolled:
                months[kept_month].new_participants -= accounts
            if above_month in rolled:
                months[above_month].new_participants += accounts
    if split:
        earlier = JournalEntry.objects.filter(account=OuterRef("account"), created_at__lt=OuterRef("created_at"))
        for row in (
            JournalEntry.objects.filter(ranges, created_at__gte=start_at, created_at__lt=end_at)
            .filter(~Exists(earlier))
            .annotate(month=TruncMonth("created_at"))
            .values("month")
            .annotate(accounts=Count("account", distinct=True))
            .order_by()
        ):
            months[_month_key(row["month"])].new_participants += row["accounts"]


def _participants_above(high, split, start_at, end_at, first, last):
    """``(month, accounts)`` the roll-ups have not counted, and ``(None, accounts)`` for the whole period.

    The journal's part (entries above the watermark ``high``, and the
    ``split`` months whole) in one pass: per month, the accounts active in
    it that the roll-up does not know active in that month (every account
    of a split month); over the period, those the roll-up does not know
    active in the run of rolled months ``first`` to ``last``. Roll-ups exist
    on PostgreSQL only, and so does this query.
    """
    quote = connection.ops.quote_name
    journal, account_months = quote(JournalEntry._meta.db_table), quote(AccountMonth._meta.db_table)
    params = {
        "tz": timezone.get_current_timezone_name(),
        "high": high,
        "start": start_at,
        "end": end_at,
        "first": first,
        "last": last,
        "kinds": list(ACTIVITY_KINDS),
    }
    ranges = []
    for number, month in enumerate(split):
        params[f"from{number}"] = _local_midnight(month)
        params[f"to{number}"] = _local_midnight(add_months(month, 1))
        ranges.append(f"(e.created_at >= %(from{number})s AND e.created_at < %(to{number})s)")
    in_split = " OR ".join(ranges) or "false"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT CASE WHEN GROUPING(month) = 0 THEN month END,
                    CASE WHEN GROUPING(month) = 0 THEN count(DISTINCT account_id) FILTER (WHERE counted)
                        ELSE count(DISTINCT account_id) FILTER (WHERE NOT known_in_run) END
                FROM (
                    SELECT e.account_id, m.month,
                        ({in_split}) OR NOT EXISTS (
                            SELECT 1 FROM {account_months} k
                            WHERE k.account_id = e.account_id AND k.month = m.month AND k.active
                        ) AS counted,
                        EXISTS (
                            SELECT 1 FROM {account_months} k
                            WHERE k.account_id = e.account_id AND k.month >= %(first)s AND k.month <= %(last)s
                                AND k.active
                        ) AS known_in_run
                    FROM {journal} e
                    CROSS JOIN LATERAL (SELECT {rollups.month_sql("e.created_at")}) m(month)
                    WHERE (e.id > %(high)s OR {in_split}) AND e.created_at >= %(start)s AND e.created_at < %(end)s
                        AND e.kind = ANY(%(kinds)s)
                ) activity
                GROUP BY GROUPING SETS ((month), ())""",
            params,
        )
        return cursor.fetchall()


def _first_entries_above(high, start_at, end_at):
    """``(month of the first entry rolled up, month of the first above, accounts)`` where the one above is earlier.

    For the accounts with entries above the watermark ``high`` whose first
    entry there comes before any rolled up: the month the roll-up counted
    them new in (None if it never saw them), and the month they are new in
    (None if outside the period). Grouped in the database, so the page reads
    a few rows however many accounts moved since the last roll-up. The month
    of an account's first rolled-up entry is its first ``AccountMonth`` (one
    index probe, joined laterally: as a scalar subquery PostgreSQL would run
    it once for every condition that names it); only when that is the month
    of its first entry above does the journal say which came first, through a grouped minimum, so that
    PostgreSQL reads the account's entries by its index rather than walking
    the journal in date order (what a bare min() or LIMIT 1 would let it
    plan). Roll-ups exist on PostgreSQL only, and so does this query.
    """
    quote = connection.ops.quote_name
    journal, account_months = quote(JournalEntry._meta.db_table), quote(AccountMonth._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT kept_month,
                    CASE WHEN above >= %(start)s AND above < %(end)s THEN above_month END,
                    count(*)
                FROM (
                    SELECT firsts.account_id, above, kept.month AS kept_month,
                        {rollups.month_sql("above")} AS above_month
                    FROM (
                        SELECT account_id, min(created_at) AS above FROM {journal}
                        WHERE id > %(high)s GROUP BY account_id
                    ) firsts
                    LEFT JOIN LATERAL (
                        SELECT month FROM {account_months} m WHERE m.account_id = firsts.account_id
                        ORDER BY month LIMIT 1
                    ) kept ON true
                ) f
                WHERE kept_month IS NULL OR kept_month > above_month OR (
                    kept_month = above_month AND above < (
                        SELECT min(created_at) FROM {journal} kept
                        WHERE kept.account_id = f.account_id AND kept.id <= %(high)s GROUP BY kept.account_id
                    )
                )
                GROUP BY 1, 2""",
            {"tz": timezone.get_current_timezone_name(), "start": start_at, "end": end_at, "high": high},
        )
        return cursor.fetchall()


def _add_movements(figures, kind, gained, lost, held):
    """Add one kind of movement in a month (points gained, points lost, held points' change) to its figures."""
    points = gained + lost
    if kind == JournalEntry.ACCRUAL:
        figures.accrued += points
    elif kind in ADJUSTMENT_KINDS:
        figures.accrued += gained  # the positive side of adjustments counts as accrued
    elif kind == JournalEntry.REDEMPTION:
        figures.redeemed -= points
    elif kind == JournalEntry.RESTORATION:
        figures.returned += points
    elif kind == JournalEntry.EXPIRY:
        figures.expired -= points
    figures.liability_points += held


def _month_of(moment):
    return timezone.localtime(moment).date().replace(day=1)


def tier_distribution(*, now=None):
    """Account holders by the tier in effect at ``now``, from the entry tier up.

    On PostgreSQL from the tier tallies (:mod:`oscar_loyalty.reporting.tallies`)
    and the pins in effect: a few rows, however many customers. Elsewhere
    from the tables, in three queries: the holders are counted from the
    accounts' index alone, only the tier records are grouped, and the holders
    without one are the difference.
    """
    now = now or timezone.now()
    tiers = list(Tier.objects.all())
    counts = _tallied_counts(now) if tallies.enabled() else _counted(now)
    # Customers without a tier record are in the entry tier, as ``tier_for`` says.
    entry = qualifying_tier(tiers, Decimal(0))
    without = counts.pop(None, 0)
    if entry is not None:
        counts[entry.pk] = counts.get(entry.pk, 0) + without
        without = 0
    everyone = sum(counts.values()) + without
    shares = [TierShare(tier, counts.get(tier.pk, 0), percentage(counts.get(tier.pk, 0), everyone)) for tier in tiers]
    if without:
        shares.insert(0, TierShare(None, without, percentage(without, everyone)))
    return shares


def _tallied_counts(now):
    """``{tier id or None: holders}`` from the tallies; None holds the holders without a tier (record)."""
    holders, records = tallies.counts()
    counts = dict(records)
    for (computed, pinned), number in tallies.active_pins(now).items():
        counts[computed] = counts.get(computed, 0) - number
        counts[pinned] = counts.get(pinned, 0) + number
    counts[None] = counts.get(None, 0) + holders - sum(records.values())
    return counts


def _counted(now):
    """``{tier id or None: holders}`` counted from the accounts and the tier records."""
    holders = Account.objects.filter(user__isnull=False).count()
    pin_active = Q(pinned_tier__isnull=False) & (Q(pinned_until__isnull=True) | Q(pinned_until__gt=now))
    counts = {
        row["tier_ref"]: row["accounts"]
        for row in CustomerTier.objects.filter(Exists(Account.objects.filter(user_id=OuterRef("user_id"))))
        .annotate(
            tier_ref=Case(When(pin_active, then=F("pinned_tier")), default=F("tier"), output_field=IntegerField())
        )
        .values("tier_ref")
        .annotate(accounts=Count("pk"))
        .order_by()
        if row["tier_ref"] is not None
    }
    counts[None] = holders - sum(counts.values())
    return counts


def _points_sum(condition):
    return Coalesce(Sum("points", filter=condition), 0)


def _money_sum(expression, condition=None):
    money = DecimalField(max_digits=14, decimal_places=2)
    return Coalesce(Sum(expression, filter=condition, output_field=money), ZERO_MONEY, output_field=money)


def _money(amount):
    return Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _month_key(value):
    """The first day of a truncated month, as a date in the shop's time zone."""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.date()
    return value
