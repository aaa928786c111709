"""What staff and dealers read about batches and dealers: counts, rates, points. Read-only."""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import TruncDate
from oscar.core.loading import get_model

PointCodeBatch = get_model("oscar_loyalty", "PointCodeBatch")
PointCode = get_model("oscar_loyalty", "PointCode")
Dealer = get_model("oscar_loyalty", "Dealer")

REGISTERED = Q(codes__registered_at__isnull=False, codes__reversed_at__isnull=True)


def rate(part, whole):
    """``part`` of ``whole`` in percent, one decimal, half up; 0 of nothing is 0."""
    if not whole:
        return Decimal(0)
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class BatchFigures:
    batch: object
    codes: int
    registered: int
    reversed: int
    points: int
    first_registered_at: datetime | None
    last_registered_at: datetime | None

    @property
    def rate(self):
        return rate(self.registered, self.codes)


def batch_figures(batches):
    """One :class:`BatchFigures` per batch of the queryset, in its order (codes not yet exported count as 0)."""
    annotated = batches.select_related("program", "dealer").annotate(
        n_codes=Count("codes"),
        n_registered=Count("codes", filter=REGISTERED),
        n_reversed=Count("codes", filter=Q(codes__reversed_at__isnull=False)),
        n_points=Sum("codes__points", filter=REGISTERED),
        first_at=Min("codes__registered_at", filter=REGISTERED),
        last_at=Max("codes__registered_at", filter=REGISTERED),
    )
    return [
        BatchFigures(
            batch=batch,
            codes=batch.n_codes,
            registered=batch.n_registered,
            reversed=batch.n_reversed,
            points=batch.n_points or 0,
            first_registered_at=batch.first_at,
            last_registered_at=batch.last_at,
        )
        for batch in annotated
    ]


@dataclass(frozen=True)
class DealerFigures:
    dealer: object
    batches: int
    codes: int
    registered: int
    points: int

    @property
    def rate(self):
        return rate(self.registered, self.codes)


def dealer_figures(dealers):
    """One :class:`DealerFigures` per dealer of the queryset: their batches, codes, registrations and points."""
    registered = Q(batches__codes__registered_at__isnull=False, batches__codes__reversed_at__isnull=True)
    annotated = dealers.annotate(
        n_batches=Count("batches", distinct=True),
        n_codes=Count("batches__codes"),
        n_registered=Count("batches__codes", filter=registered),
        n_points=Sum("batches__codes__points", filter=registered),
    )
    return [
        DealerFigures(
            dealer=dealer,
            batches=dealer.n_batches,
            codes=dealer.n_codes,
            registered=dealer.n_registered,
            points=dealer.n_points or 0,
        )
        for dealer in annotated
    ]


def registrations_by_day(batch):
    """``[(date, count)]`` of the batch's registrations (reversed ones left out), oldest first."""
    return list(
        PointCode.objects.filter(batch=batch, registered_at__isnull=False, reversed_at__isnull=True)
        .annotate(day=TruncDate("registered_at"))
        .values("day")
        .annotate(count=Count("id"))
        .order_by("day")
        .values_list("day", "count")
    )


def registrations(batch):
    """The batch's registered codes, newest first (who registered them is the caller's to show or not)."""
    return PointCode.objects.filter(batch=batch, registered_at__isnull=False).order_by("-registered_at", "-id")
