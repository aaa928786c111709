"""The beat's segment passes: RFM scores, saved filters and the monthly sizes, set-based.

Each pass runs in one transaction that first locks the segments it
rewrites, in primary-key order, so two workers running it at once take
turns. The RFM pass costs a fixed number of queries whatever the number of
customers (row writes are batched by ``BATCH_SIZE``); a saved filter costs a
few queries per segment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Max, OuterRef, Q, Subquery, Sum
from django.db.models.expressions import Window
from django.db.models.functions import Coalesce
from django.db.models.functions.window import PercentRank
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty.segments import rfm

Segment = get_model("oscar_loyalty", "Segment")
SegmentMembership = get_model("oscar_loyalty", "SegmentMembership")
SegmentSnapshot = get_model("oscar_loyalty", "SegmentSnapshot")
RFMScore = get_model("oscar_loyalty", "RFMScore")
QualifyingPurchase = get_model("oscar_loyalty", "QualifyingPurchase")

BATCH_SIZE = 1000


@dataclass(frozen=True)
class PassResult:
    customers: int
    segments: int


def month_of(day: date) -> date:
    """The first day of ``day``'s month: how months are stored."""
    return day.replace(day=1)


def paid_purchases():
    """Qualifying purchases not returned in full: what RFM and saved filters count."""
    return QualifyingPurchase.objects.filter(amount__gt=F("returned"))


def rfm_rows():
    """One row per customer with paid purchases: last purchase, count, net amount and their three percent ranks."""
    net = ExpressionWrapper(F("amount") - F("returned"), output_field=DecimalField(max_digits=14, decimal_places=2))
    return (
        paid_purchases()
        .values("user_id")
        .annotate(last=Max("placed_at"), purchases=Count("id"), spent=Sum(net))
        .annotate(
            r=Window(PercentRank(), order_by=F("last").asc()),
            f=Window(PercentRank(), order_by=F("purchases").asc()),
            m=Window(PercentRank(), order_by=F("spent").asc()),
        )
        .order_by("user_id")
    )


def compute_rfm(now=None) -> PassResult:
    """Score every customer with paid purchases and put them in their RFM segment; keep this month's scores."""
    now = now or timezone.now()
    month = month_of(timezone.localdate(now))
    with transaction.atomic():
        segments = _lock_rfm_segments()
        by_code = {segment.code: segment for segment in segments}
        scores = []
        for row in rfm_rows():
            recency, frequency, monetary = rfm.quintile(row["r"]), rfm.quintile(row["f"]), rfm.quintile(row["m"])
            scores.append(
                RFMScore(
                    user_id=row["user_id"],
                    month=month,
                    recency=recency,
                    frequency=frequency,
                    monetary=monetary,
                    segment_code=rfm.segment_for(recency, frequency),
                    purchases=row["purchases"],
                    amount=row["spent"],
                    last_purchase_at=row["last"],
                    computed_at=now,
                )
            )
        RFMScore.objects.filter(month=month).delete()
        RFMScore.objects.bulk_create(scores, batch_size=BATCH_SIZE)
        # A customer who stays in their segment keeps the date they joined it.
        memberships = SegmentMembership.objects.filter(segment__in=segments)
        since = {
            (user_id, segment_id): at
            for user_id, segment_id, at in memberships.values_list("user_id", "segment_id", "since")
        }
        memberships.delete()
        rows = []
        for score in scores:
            segment_id = by_code[score.segment_code].pk
            rows.append(
                SegmentMembership(
                    segment_id=segment_id, user_id=score.user_id, since=since.get((score.user_id, segment_id), now)
                )
            )
        SegmentMembership.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        _store_sizes(Segment.objects.filter(kind=Segment.RFM), now)
    return PassResult(customers=len(scores), segments=len(segments))


def _lock_rfm_segments():
    # The RFM segments exist from the migration on; ones a shop deleted come back here.
    present = set(Segment.objects.filter(kind=Segment.RFM).values_list("code", flat=True))
    missing = [
        Segment(code=code, name=str(name), kind=Segment.RFM)
        for code, name in rfm.SEGMENTS.items()
        if code not in present
    ]
    Segment.objects.bulk_create(missing, ignore_conflicts=True)
    return list(Segment.objects.select_for_update().filter(kind=Segment.RFM, code__in=rfm.SEGMENTS).order_by("pk"))


def filter_matches(segment, now):
    """The users a saved filter selects right now."""
    users = get_user_model().objects.all()
    if segment.filter_tier_id is not None:
        pinned = Q(loyalty_tier__pinned_tier__isnull=False) & (
            Q(loyalty_tier__pinned_until__isnull=True) | Q(loyalty_tier__pinned_until__gt=now)
        )
        users = users.filter(
            (pinned & Q(loyalty_tier__pinned_tier_id=segment.filter_tier_id))
            | (~pinned & Q(loyalty_tier__tier_id=segment.filter_tier_id))
        )
    if segment.registered_from is not None:
        users = users.filter(date_joined__date__gte=segment.registered_from)
    if segment.registered_to is not None:
        users = users.filter(date_joined__date__lte=segment.registered_to)
    if segment.min_purchases:
        counts = paid_purchases().filter(user_id=OuterRef("pk")).values("user_id").annotate(n=Count("id")).values("n")
        users = users.annotate(paid=Coalesce(Subquery(counts), 0)).filter(paid__gte=segment.min_purchases)
    return users


def refresh_filters(now=None) -> PassResult:
    """Recompute the members of every saved filter: a few queries per segment, none per customer."""
    now = now or timezone.now()
    customers = 0
    with transaction.atomic():
        segments = list(Segment.objects.select_for_update().filter(kind=Segment.FILTER).order_by("pk"))
        for segment in segments:
            matches = filter_matches(segment, now).values("pk")
            SegmentMembership.objects.filter(segment=segment).exclude(user_id__in=matches).delete()
            present = SegmentMembership.objects.filter(segment=segment).values("user_id")
            new_ids = filter_matches(segment, now).exclude(pk__in=present).values_list("pk", flat=True)
            rows = [SegmentMembership(segment=segment, user_id=pk, since=now) for pk in new_ids]
            SegmentMembership.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        _store_sizes(Segment.objects.filter(pk__in=[segment.pk for segment in segments]), now)
        customers = SegmentMembership.objects.filter(segment__in=segments).count()
    return PassResult(customers=customers, segments=len(segments))


def _store_sizes(segments, now):
    count = (
        SegmentMembership.objects.filter(segment=OuterRef("pk")).values("segment").annotate(n=Count("id")).values("n")
    )
    segments.update(size=Coalesce(Subquery(count), 0), refreshed_at=now)


def take_snapshot(now=None) -> int:
    """Keep every segment's size for the current month (the last pass of a month is what stays)."""
    now = now or timezone.now()
    month = month_of(timezone.localdate(now))
    rows = [
        SegmentSnapshot(segment_id=pk, month=month, size=size, taken_at=now)
        for pk, size in Segment.objects.values_list("pk", "size")
    ]
    SegmentSnapshot.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["segment", "month"], update_fields=["size", "taken_at"]
    )
    return len(rows)


def refresh_segments(now=None) -> dict:
    """The daily pass: RFM, saved filters, then this month's sizes."""
    now = now or timezone.now()
    scored = compute_rfm(now)
    filtered = refresh_filters(now)
    snapshots = take_snapshot(now)
    return {"rfm_customers": scored.customers, "filter_segments": filtered.segments, "snapshots": snapshots}
