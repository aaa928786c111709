"""Lists kept by hand, saved filters, and the accessors campaign rules read."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty.segments import passes, services
from tests.factories import UserFactory

Segment = get_model("oscar_loyalty", "Segment")
Tier = get_model("oscar_loyalty", "Tier")
CustomerTier = get_model("oscar_loyalty", "CustomerTier")
QualifyingPurchase = get_model("oscar_loyalty", "QualifyingPurchase")

pytestmark = pytest.mark.django_db


def test_staff_keep_a_list_by_hand_and_rules_read_it():
    vip = Segment.objects.create(code="press", name="Press", kind=Segment.MANUAL)
    anna, boris = UserFactory(), UserFactory()

    assert services.add_members(vip, [anna, boris.pk, anna]) == 2
    assert services.add_members(vip, [anna]) == 0
    assert services.in_segment(anna, vip) and vip.id in services.segment_ids_of(anna.pk)
    assert set(services.members_of(vip)) == {anna, boris}

    assert services.remove_members(vip, [boris]) == 1
    assert Segment.objects.get(pk=vip.pk).size == 1
    assert not services.in_segment(boris, vip.pk)


def test_the_members_of_a_computed_segment_cannot_be_edited_by_hand():
    champions = Segment.objects.get(code="champions")
    with pytest.raises(services.SegmentError):
        services.add_members(champions, [UserFactory()])


def test_a_saved_filter_selects_by_tier_registration_window_and_purchases():
    now = timezone.now()
    gold = Tier.objects.create(
        code="gold-test", name="Gold", threshold=Decimal("50000"), cashback_percent=5, max_share_percent=30
    )
    silver = Tier.objects.create(
        code="silver-test", name="Silver", threshold=Decimal("0"), cashback_percent=3, max_share_percent=30
    )
    segment = Segment.objects.create(
        code="gold-2026",
        name="Gold, joined this year, 2+ purchases",
        kind=Segment.FILTER,
        filter_tier=gold,
        registered_from=(now - timedelta(days=30)).date(),
        min_purchases=2,
    )
    fits, pinned, too_old, one_order, silver_one = (UserFactory() for _i in range(5))
    too_old.date_joined = now - timedelta(days=60)
    too_old.save()
    CustomerTier.objects.create(user=fits, tier=gold)
    CustomerTier.objects.create(user=pinned, tier=silver, pinned_tier=gold, pinned_until=now + timedelta(days=5))
    CustomerTier.objects.create(user=too_old, tier=gold)
    CustomerTier.objects.create(user=one_order, tier=gold)
    CustomerTier.objects.create(user=silver_one, tier=gold, pinned_tier=silver)
    number = iter(range(1000, 2000))
    for user in (fits, pinned, too_old, silver_one):
        for _i in range(2):
            QualifyingPurchase.objects.create(user=user, order_number=str(next(number)), amount=10, placed_at=now)
    QualifyingPurchase.objects.create(user=one_order, order_number="1999", amount=10, placed_at=now)

    result = passes.refresh_filters(now)

    assert result.segments == 1
    assert set(services.members_of(segment)) == {fits, pinned}
    assert Segment.objects.get(pk=segment.pk).size == 2

    CustomerTier.objects.filter(user=fits).update(tier=silver)
    passes.refresh_filters(now)
    assert set(services.members_of(segment)) == {pinned}
