"""RFM: quintiles and the score-to-segment table (pure), and the set-based pass over paid purchases."""

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty.segments import passes, rfm
from tests.factories import UserFactory

Segment = get_model("oscar_loyalty", "Segment")
SegmentMembership = get_model("oscar_loyalty", "SegmentMembership")
SegmentSnapshot = get_model("oscar_loyalty", "SegmentSnapshot")
RFMScore = get_model("oscar_loyalty", "RFMScore")
QualifyingPurchase = get_model("oscar_loyalty", "QualifyingPurchase")


@pytest.mark.parametrize(
    ("rank", "score"),
    [(0, 1), (Decimal("0.1999"), 1), (Decimal("0.2"), 2), (0.5, 3), (Decimal("0.6"), 4), (Decimal("0.8"), 5), (1, 5)],
)
def test_a_percent_rank_falls_in_its_quintile(rank, score):
    assert rfm.quintile(rank) == score


@pytest.mark.parametrize("rank", [-0.1, 1.01])
def test_a_percent_rank_outside_zero_to_one_is_refused(rank):
    with pytest.raises(ValueError):
        rfm.quintile(rank)


@pytest.mark.parametrize(
    ("recency", "frequency", "segment"),
    [
        (5, 5, "champions"),
        (5, 4, "champions"),
        (5, 1, "new"),
        (4, 1, "promising"),
        (4, 5, "loyal"),
        (3, 4, "loyal"),
        (3, 3, "need_attention"),
        (3, 1, "about_to_sleep"),
        (5, 2, "potential_loyalists"),
        (2, 4, "at_risk"),
        (1, 5, "cant_lose"),
        (1, 1, "sleeping"),
        (2, 2, "sleeping"),
    ],
)
def test_the_documented_table_names_every_score(recency, frequency, segment):
    assert rfm.segment_for(recency, frequency) == segment


def test_every_cell_of_the_table_has_a_named_segment():
    named = {rfm.segment_for(r, f) for r in range(1, 6) for f in range(1, 6)}
    assert named == set(rfm.SEGMENTS)


def test_scores_outside_one_to_five_are_refused():
    with pytest.raises(ValueError):
        rfm.segment_for(0, 3)
    with pytest.raises(ValueError):
        rfm.segment_for(3, 6)


ORDER_NUMBERS = itertools.count(100000)


def purchase(user, number, amount, days_ago, now, returned="0"):
    return QualifyingPurchase.objects.create(
        user=user,
        order_number=str(number),
        amount=Decimal(amount),
        returned=Decimal(returned),
        placed_at=now - timedelta(days=days_ago),
    )


def shop_with_customers(count, now):
    """Customer i bought i+1 times, the last time 100 - 10*i days ago: the later ones are better on every score."""
    users = []
    for i in range(count):
        user = UserFactory()
        for j in range(i + 1):
            purchase(user, next(ORDER_NUMBERS), "100.00", 100 - 10 * i + j, now)
        users.append(user)
    return users


def segment_code_of(user):
    return (
        SegmentMembership.objects.filter(user=user, segment__kind=Segment.RFM)
        .values_list("segment__code", flat=True)
        .get()
    )


@pytest.mark.django_db
def test_the_best_customers_are_champions_and_the_lapsed_ones_sleeping():
    now = timezone.now()
    users = shop_with_customers(10, now)

    result = passes.compute_rfm(now)

    assert result.customers == 10
    assert segment_code_of(users[-1]) == "champions"
    assert segment_code_of(users[0]) == "sleeping"
    best = RFMScore.objects.get(user=users[-1])
    assert (best.recency, best.frequency, best.monetary) == (5, 5, 5)
    assert best.purchases == 10 and best.amount == Decimal("1000.00")
    assert Segment.objects.get(code="champions").size == 2  # the top fifth of ten


@pytest.mark.django_db
def test_one_time_buyers_all_score_one_for_frequency_and_a_recent_one_is_new():
    now = timezone.now()
    regulars = shop_with_customers(5, now)
    newcomer = UserFactory()
    purchase(newcomer, 5000, "50.00", 0, now)

    passes.compute_rfm(now)

    score = RFMScore.objects.get(user=newcomer)
    assert (score.recency, score.frequency) == (5, 1)
    assert segment_code_of(newcomer) == "new"
    assert RFMScore.objects.get(user=regulars[0]).frequency == 1  # one purchase too: the same score, not a spread


@pytest.mark.django_db
def test_returned_purchases_do_not_count_and_customers_without_purchases_are_in_no_rfm_segment():
    now = timezone.now()
    buyer, returner, browser = UserFactory(), UserFactory(), UserFactory()
    purchase(buyer, 1, "100.00", 3, now)
    purchase(buyer, 2, "100.00", 2, now, returned="40.00")
    purchase(returner, 3, "100.00", 1, now, returned="100.00")

    passes.compute_rfm(now)

    assert RFMScore.objects.get(user=buyer).amount == Decimal("160.00")
    assert not RFMScore.objects.filter(user__in=[returner, browser]).exists()
    assert not SegmentMembership.objects.filter(user__in=[returner, browser]).exists()


@pytest.mark.django_db
def test_a_customer_who_stays_keeps_the_date_they_joined_and_one_who_moves_changes_segment():
    now = timezone.now()
    users = shop_with_customers(5, now)
    passes.compute_rfm(now)
    joined = SegmentMembership.objects.get(user=users[-1], segment__kind=Segment.RFM).since

    later = now + timedelta(days=1)
    passes.compute_rfm(later)
    assert SegmentMembership.objects.get(user=users[-1], segment__kind=Segment.RFM).since == joined

    purchase(users[0], 9999, "5000.00", -1, now)  # the lapsed customer comes back, big
    passes.compute_rfm(later)

    assert segment_code_of(users[0]) != "sleeping"
    assert SegmentMembership.objects.filter(user=users[0], segment__kind=Segment.RFM).get().since == later


@pytest.mark.django_db
def test_the_pass_costs_the_same_queries_for_five_customers_as_for_twenty_five():
    now = timezone.now()
    shop_with_customers(5, now)
    with CaptureQueriesContext(connection) as few:
        passes.compute_rfm(now)
    shop_with_customers(20, now - timedelta(days=300))
    with CaptureQueriesContext(connection) as many:
        passes.compute_rfm(now)

    assert RFMScore.objects.count() == 25
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.django_db
def test_each_month_keeps_its_scores_and_sizes_for_the_movement():
    now = timezone.now()
    users = shop_with_customers(5, now)
    next_month = passes.month_of(timezone.localdate(now)).replace(day=28) + timedelta(days=5)
    later = now + (next_month - timezone.localdate(now))

    passes.refresh_segments(now)
    passes.refresh_segments(now)  # a second pass in the same month rewrites that month
    passes.refresh_segments(later)

    assert RFMScore.objects.filter(user=users[0]).count() == 2
    champions = Segment.objects.get(code="champions")
    assert SegmentSnapshot.objects.filter(segment=champions).count() == 2
    assert SegmentSnapshot.objects.filter(segment=champions, month=passes.month_of(next_month)).get().size == 1
