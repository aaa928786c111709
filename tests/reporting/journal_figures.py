"""The KPI report's journal figures computed straight from the journal, as the report did before roll-ups.

The reference the roll-ups are held to: every entry in the period read and
grouped, and each account's first entry found by grouping the whole journal.
Slow on a big journal, obviously right on a small one.
"""

from django.db.models import Count, F, Min, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty.dashboard.kpis import ADJUSTMENT_KINDS, _month_key
from oscar_loyalty.reporting.rollups import ACTIVITY_KINDS

JournalEntry = get_model("oscar_loyalty", "JournalEntry")

FIELDS = ("participants", "new_participants", "accrued", "redeemed", "returned", "expired", "liability_points")


def figures_of(report):
    """The journal's figures of a report: one tuple per month, then the total."""
    rows = [*report.months, report.total]
    return [tuple(getattr(row, name) for name in FIELDS) for row in rows]


def straight_from_journal(period):
    """The same tuples as :func:`figures_of`, from the journal alone."""
    months = {month: dict.fromkeys(FIELDS, 0) for month in period.months()}
    start_at, end_at = period.start_at, period.end_at
    in_period = JournalEntry.objects.filter(created_at__gte=start_at, created_at__lt=end_at).order_by()
    activity = in_period.filter(kind__in=ACTIVITY_KINDS)
    for row in (
        activity.annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(accounts=Count("account", distinct=True))
    ):
        months[_month_key(row["month"])]["participants"] = row["accounts"]
    total = dict.fromkeys(FIELDS, 0)
    total["participants"] = activity.aggregate(accounts=Count("account", distinct=True))["accounts"]
    # Each account's first entry, in one grouped pass (a subquery per account would walk a big journal
    # in date order for each of them).
    for first in (
        JournalEntry.objects.order_by()
        .values("account")
        .annotate(first=Min("created_at"))
        .filter(first__gte=start_at, first__lt=end_at)
        .values_list("first", flat=True)
        .iterator(chunk_size=10_000)
    ):
        months[timezone.localtime(first).date().replace(day=1)]["new_participants"] += 1
    held = F("available_change") + F("pending_change")
    liability = JournalEntry.objects.filter(created_at__lt=start_at).aggregate(points=Sum(held))["points"] or 0

    def points(condition):
        return Coalesce(Sum("points", filter=condition), 0)

    flows = {
        _month_key(row["month"]): row
        for row in in_period.annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(
            accrued=points(Q(kind=JournalEntry.ACCRUAL) | Q(kind__in=ADJUSTMENT_KINDS, points__gt=0)),
            redeemed=points(Q(kind=JournalEntry.REDEMPTION)),
            restored=points(Q(kind=JournalEntry.RESTORATION)),
            expired=points(Q(kind=JournalEntry.EXPIRY)),
            held=Sum(held),
        )
    }
    for month, figures in months.items():
        row = flows.get(month)
        if row is not None:
            figures.update(
                accrued=row["accrued"], redeemed=-row["redeemed"], returned=row["restored"], expired=-row["expired"]
            )
            liability += row["held"] or 0
        figures["liability_points"] = liability
    for name in ("new_participants", "accrued", "redeemed", "returned", "expired"):
        total[name] = sum(figures[name] for figures in months.values())
    total["liability_points"] = liability
    return [tuple(figures[name] for name in FIELDS) for figures in [*months.values(), total]]
