"""An order's points follow its life: accrued once when paid, reversed when cancelled or returned."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.test import override_settings
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.earning import services, tiers
from tests.earning.factories import order_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Tier = get_model("oscar_loyalty", "Tier")
TierChange = get_model("oscar_loyalty", "TierChange")
Lot = get_model("oscar_loyalty", "Lot")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")
MarginGroup = get_model("oscar_loyalty", "MarginGroup")
MarginGroupAssignment = get_model("oscar_loyalty", "MarginGroupAssignment")


def test_a_completed_order_accrues_pending_points_at_the_customers_tier():
    user = UserFactory()
    order = order_for(user, "10000.00", "2000.00")

    order.set_status("Complete")

    lot = Lot.objects.get(order_number=order.number)
    assert lot.points == 360  # Silver 3% of 12,000
    assert lot.status == Lot.PENDING
    assert ledger.get_balance(user).pending == 360


def test_a_status_bouncing_back_and_forth_accrues_once():
    user = UserFactory()
    order = order_for(user, "5000.00")

    order.set_status("Complete")
    order.set_status("Being processed")
    order.set_status("Complete")
    services.accrue_for_order(order)  # and the accounting system reports it paid too

    assert JournalEntry.objects.filter(kind="accrual", order_number=order.number).count() == 1
    assert ledger.get_balance(user).pending == 150


def test_cancelling_a_completed_order_reverses_its_points_and_volume():
    user = UserFactory()
    order = order_for(user, "40000.00")
    order.set_status("Complete")
    assert tiers.tier_for(user).code == "gold"

    order.set_status("Cancelled")

    assert ledger.get_balance(user).pending == 0
    assert tiers.tier_for(user).code == "silver"
    assert list(TierChange.objects.values_list("new_tier__code", flat=True)) == ["silver", "gold"]


def test_a_guest_order_earns_nothing_and_breaks_nothing():
    order = order_for(None, "1000.00")
    order.set_status("Complete")
    assert not Lot.objects.exists()


def test_an_order_earns_at_the_tier_before_it_and_upgrades_the_customer():
    user = UserFactory()
    first = order_for(user, "29000.00")
    first.set_status("Complete")
    second = order_for(user, "2000.00")
    second.set_status("Complete")  # volume 31,000 → Gold, but this order earns at Silver
    third = order_for(user, "1000.00")
    third.set_status("Complete")

    points = dict(Lot.objects.values_list("order_number", "points"))
    assert points == {str(first.number): 870, str(second.number): 60, str(third.number): 50}
    assert tiers.tier_for(user).code == "gold"


def test_a_partial_return_reverses_that_share_and_lowers_the_volume():
    user = UserFactory()
    order = order_for(user, "10000.00", "10000.00")
    order.set_status("Complete")

    services.record_return(order, D("5000.00"), key="return-1")
    services.record_return(order, D("5000.00"), key="return-1")  # the same return, again

    lot = Lot.objects.get(order_number=order.number)
    assert lot.reversed_points == 150
    assert tiers.purchase_volume(user.pk, now=timezone.now()) == D("15000.00")


@pytest.mark.parametrize(
    ("assign", "points"),
    [
        (None, 300),  # the default group (standard, 1.0)
        ("product_class", 600),  # high margin: 2.0
        ("category", 150),  # low margin: 0.5, beats the class
        ("product", 600),  # the product itself wins over everything
    ],
)
def test_the_most_specific_margin_group_wins(assign, points):
    from oscar.apps.catalogue.categories import create_from_breadcrumbs
    from oscar.test.factories import create_product

    user = UserFactory()
    product = create_product(product_class="Bicycle", price=D("10000.00"), num_in_stock=5)
    category = create_from_breadcrumbs("Bikes > Road")
    product.categories.add(category)
    high, low = MarginGroup.objects.get(code="high"), MarginGroup.objects.get(code="low")
    if assign in ("product_class", "category", "product"):
        MarginGroupAssignment.objects.create(group=high, product_class=product.get_product_class())
    if assign in ("category", "product"):
        MarginGroupAssignment.objects.create(group=low, category=category.get_parent())
    if assign == "product":
        MarginGroupAssignment.objects.create(group=high, product=product)

    order = order_for(user, "10000.00", products=[product])
    order.set_status("Complete")

    assert Lot.objects.get(order_number=order.number).points == points


def test_points_paid_on_the_order_earn_nothing():
    from oscar.core.loading import get_model as gm

    Source, SourceType = gm("payment", "Source"), gm("payment", "SourceType")
    user = UserFactory()
    order = order_for(user, "10000.00")
    Source.objects.create(
        order=order,
        source_type=SourceType.objects.create(name="Bonus points"),
        amount_allocated=D("1000.00"),
        amount_debited=D("1000.00"),
    )
    order.set_status("Complete")
    assert Lot.objects.get(order_number=order.number).points == 270


class TestTiers:
    def test_a_pinned_tier_wins_until_it_ends(self):
        user = UserFactory()
        now = timezone.now()
        vip = Tier.objects.get(code="vip")
        tiers.pin_tier(user, vip, actor="1C", reason="Card issued in store", until=now + timedelta(days=30), now=now)
        assert tiers.tier_for(user, now=now).code == "vip"
        assert tiers.tier_for(user, now=now + timedelta(days=31)).code == "silver"

        assert tiers.evaluate_tiers(now=now + timedelta(days=31)) == 1
        change = TierChange.objects.first()
        assert (change.old_tier.code, change.new_tier.code, change.source) == ("vip", "silver", "downgrade")

    @override_settings(OSCAR_LOYALTY_TIER_WINDOW_DAYS=365, OSCAR_LOYALTY_TIER_DOWNGRADE=True)
    def test_rolling_window_downgrades_when_old_purchases_fall_out(self):
        user = UserFactory()
        order = order_for(user, "35000.00")
        order.set_status("Complete")
        assert tiers.tier_for(user).code == "gold"

        later = timezone.now() + timedelta(days=400)
        assert tiers.evaluate_tiers(now=later) == 1
        assert tiers.tier_for(user, now=later).code == "silver"
        assert tiers.evaluate_tiers(now=later) == 0

    @override_settings(OSCAR_LOYALTY_TIER_WINDOW_DAYS=365)
    def test_without_downgrades_the_window_only_upgrades(self):
        user = UserFactory()
        order_for(user, "35000.00").set_status("Complete")
        assert tiers.evaluate_tiers(now=timezone.now() + timedelta(days=400)) == 0
        assert tiers.tier_for(user).code == "gold"

    @override_settings(OSCAR_LOYALTY_TIER_INACTIVITY_DAYS=180)
    def test_inactivity_drops_to_the_first_tier(self):
        user = UserFactory()
        order_for(user, "35000.00").set_status("Complete")
        assert tiers.evaluate_tiers(now=timezone.now() + timedelta(days=200)) == 1
        assert tiers.tier_for(user, now=timezone.now() + timedelta(days=200)).code == "silver"

    def test_qualifying_tier_table(self):
        table = list(Tier.objects.all())
        cases = [
            (D("0"), "silver"),
            (D("29999.99"), "silver"),
            (D("30000"), "gold"),
            (D("100000"), "platinum"),
            (D("299999.99"), "platinum"),
            (D("300000"), "vip"),
            (D("5000000"), "vip"),
        ]
        for volume, code in cases:
            assert tiers.qualifying_tier(table, volume).code == code


def test_a_blocked_customer_still_completes_orders_but_earns_nothing():
    user = UserFactory()
    ledger.set_blocked(user, True)
    order = order_for(user, "40000.00")

    order.set_status("Complete")

    assert order.status == "Complete"
    assert not Lot.objects.filter(order_number=order.number).exists()
    assert tiers.tier_for(user).code == "gold"  # the purchase still counts towards the tier
