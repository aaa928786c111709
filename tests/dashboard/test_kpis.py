"""The KPI figures against a hand-built history whose numbers were worked out by hand.

Every test runs twice: with the journal alone (the beat has not rolled it up
yet), and with the monthly roll-ups made just before the report.
"""

from datetime import date
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.dashboard import kpis
from oscar_loyalty.dashboard.kpis import Period
from oscar_loyalty.reporting import rollups
from tests.dashboard.helpers import at, place_order
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Tier = get_model("oscar_loyalty", "Tier")
CustomerTier = get_model("oscar_loyalty", "CustomerTier")

Q1 = Period(date(2026, 1, 1), date(2026, 3, 31))
BUILD_REPORT = kpis.build_report  # as it is, without the roll-up the fixture may run before it


@pytest.fixture(autouse=True, params=["journal only", "rolled up"])
def reading(request, monkeypatch):
    """With "rolled up", each report is preceded by a run of the beat's roll-up (PostgreSQL only)."""
    if request.param == "rolled up":
        if connection.vendor != "postgresql":
            pytest.skip("the roll-ups are kept on PostgreSQL")

        def rolled_up_first(*args, **kwargs):
            rollups.roll_up(wait_seconds=0)
            return BUILD_REPORT(*args, **kwargs)

        monkeypatch.setattr(kpis, "build_report", rolled_up_first)
    return request.param


def build_history():
    """Four participants, one customer outside the program and a guest, around the first quarter of 2026.

    Dec 2025  A earns 1000 (available at once, expires 8 Feb).
    Jan       A spends 300; B earns 500 (pending 14 days); C gets +200 by hand.
    Feb       A's remaining 700 expire; C loses 50 by hand; B spends 100 on an order that is cancelled.
    Mar       D earns 250; A earns 400.
    Apr       A earns 999 (after the period).
    """
    a, b, c, d, e = (UserFactory() for _ in range(5))
    ledger.accrue(
        a, 1000, key="a-dec", reason="Order A-0", order="A-0", hold_days=0, expires_in_days=60, now=at(2025, 12, 10)
    )
    ledger.redeem(a, 300, key="a-spend", order_number="A-1", now=at(2026, 1, 15))
    ledger.accrue(b, 500, key="b-jan", reason="Order B-0", order="B-0", now=at(2026, 1, 20))
    ledger.adjust(c, 200, key="c-plus", reason="Goodwill", actor="Staff", now=at(2026, 1, 25))
    ledger.activate_matured_lots(now=at(2026, 2, 5))
    ledger.expire_lots(now=at(2026, 2, 10))
    ledger.adjust(c, -50, key="c-minus", reason="Duplicate", actor="Staff", now=at(2026, 2, 15))
    ledger.redeem(b, 100, key="b-spend", order_number="B-1", now=at(2026, 2, 20))
    ledger.reverse_order("B-1", key="b-cancel", reason="Cancelled", now=at(2026, 2, 25))
    ledger.accrue(d, 250, key="d-mar", reason="Order D-0", order="D-0", now=at(2026, 3, 5))
    ledger.accrue(a, 400, key="a-mar", reason="Order A-2", order="A-2", now=at(2026, 3, 10))
    ledger.accrue(a, 999, key="a-apr", reason="Order A-3", order="A-3", now=at(2026, 4, 2))

    place_order("A-1", a, "5000.00", at(2026, 1, 10), points_paid=D("300.00"))
    place_order("E-1", e, "2000.00", at(2026, 1, 12))
    place_order("G-1", None, "1000.00", at(2026, 1, 20))
    place_order("B-0", b, "3000.00", at(2026, 2, 15), status="Cancelled")
    place_order("B-1", b, "1500.00", at(2026, 2, 20), points_paid=D("100.00"), points_refunded=D("100.00"))
    place_order("A-2", a, "4000.00", at(2026, 3, 10))
    place_order("A-3", a, "9999.00", at(2026, 4, 2))
    return a, b, c, d, e


def test_month_by_month_figures_match_the_hand_computed_ones():
    build_history()

    report = kpis.build_report(Q1, now=at(2026, 4, 1))

    jan, feb, mar = report.months
    assert [row.month for row in report.months] == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    # participants, new, accrued, redeemed, returned, expired, liability (points)
    assert (jan.participants, jan.new_participants, jan.accrued, jan.redeemed, jan.expired) == (3, 2, 700, 300, 0)
    assert (feb.participants, feb.new_participants, feb.accrued, feb.redeemed, feb.expired) == (2, 0, 0, 100, 700)
    assert (mar.participants, mar.new_participants, mar.accrued, mar.redeemed, mar.expired) == (2, 1, 650, 0, 0)
    assert [row.returned for row in report.months] == [0, 100, 0]  # B's cancelled order gave its 100 back
    assert [row.liability_points for row in report.months] == [1400, 650, 1300]
    assert [row.liability for row in report.months] == [D("1400.00"), D("650.00"), D("1300.00")]
    assert [row.redemption_rate for row in report.months] == [D("42.9"), None, D("0.0")]
    assert [(row.revenue_participants, row.revenue_others) for row in report.months] == [
        (D("5000.00"), D("3000.00")),
        (D("1500.00"), D("0.00")),
        (D("4000.00"), D("0.00")),
    ]
    assert [row.paid_with_points for row in report.months] == [D("300.00"), D("0.00"), D("0.00")]
    assert [row.points_share for row in report.months] == [D("3.8"), D("0.0"), D("0.0")]


def test_period_totals_count_each_participant_once():
    build_history()

    total = kpis.build_report(Q1, now=at(2026, 4, 1)).total

    assert (total.participants, total.new_participants) == (4, 3)
    assert (total.accrued, total.redeemed, total.returned, total.expired) == (1350, 400, 100, 700)
    assert total.redemption_rate == D("29.6")
    assert (total.liability_points, total.liability) == (1300, D("1300.00"))
    assert (total.revenue_participants, total.revenue_others, total.revenue) == (
        D("10500.00"),
        D("3000.00"),
        D("13500.00"),
    )
    assert total.points_share == D("2.2")


@override_settings(OSCAR_LOYALTY_POINT_VALUE=D("0.50"))
def test_liability_is_priced_at_the_point_value():
    build_history()

    report = kpis.build_report(Q1, now=at(2026, 4, 1))

    assert [row.liability for row in report.months] == [D("700.00"), D("325.00"), D("650.00")]


def test_a_partial_period_counts_only_its_days():
    build_history()

    report = kpis.build_report(Period(date(2026, 1, 16), date(2026, 2, 14)), now=at(2026, 4, 1))

    jan, feb = report.months
    # A's spending on 15 January is outside; B's accrual and C's adjustment are in.
    assert (jan.participants, jan.accrued, jan.redeemed) == (2, 700, 0)
    assert (feb.participants, feb.expired) == (0, 700)
    assert report.total.liability_points == 650 + 50  # C's write-off on 15 February is after the end


@override_settings(TIME_ZONE="Europe/Moscow")
def test_months_run_in_the_shops_time_zone():
    user = UserFactory()
    # 22:30 UTC on 31 January is 01:30 on 1 February in Moscow.
    ledger.adjust(user, 10, key="late", reason="Goodwill", actor="Staff", now=at(2026, 1, 31, 22, 30))

    report = kpis.build_report(Period(date(2026, 1, 1), date(2026, 2, 28)), now=at(2026, 3, 1))

    assert [row.accrued for row in report.months] == [0, 10]


def test_tier_distribution_follows_pins_and_counts_customers_without_a_record_in_the_entry_tier():
    a, b, c, d, _e = build_history()
    tiers = {tier.code: tier for tier in Tier.objects.all()}
    CustomerTier.objects.create(user=b, tier=tiers["silver"], pinned_tier=tiers["gold"])
    CustomerTier.objects.create(user=c, tier=tiers["platinum"])
    # D's pin has ended: the computed tier counts.
    CustomerTier.objects.create(user=d, tier=None, pinned_tier=tiers["vip"], pinned_until=at(2026, 3, 1))

    shares = kpis.tier_distribution(now=at(2026, 4, 1))

    assert [(share.tier.code, share.accounts, share.percent) for share in shares] == [
        ("silver", 2, D("50.0")),
        ("gold", 1, D("25.0")),
        ("platinum", 1, D("25.0")),
        ("vip", 0, D("0.0")),
    ]


def test_points_given_back_in_a_later_month_are_returned_not_negative_redemptions():
    spender, earner = UserFactory(), UserFactory()
    ledger.accrue(spender, 1000, key="s-dec", reason="Order S-0", order="S-0", hold_days=0, now=at(2025, 12, 10))
    ledger.redeem(spender, 400, key="s-spend", order_number="S-1", now=at(2026, 1, 15))
    ledger.accrue(earner, 500, key="e-feb", reason="Order E-0", order="E-0", hold_days=0, now=at(2026, 2, 3))
    # The order paid with points in January is returned in February: 300 of the 400 come back.
    ledger.reverse_order("S-1", fraction=D("0.75"), key="s-return", reason="Returned", now=at(2026, 2, 10))

    report = kpis.build_report(Q1, now=at(2026, 4, 1))

    jan, feb, mar = report.months
    assert [(row.redeemed, row.returned) for row in report.months] == [(400, 0), (0, 300), (0, 0)]
    assert feb.redemption_rate == D("0.0")
    assert (report.total.redeemed, report.total.returned) == (400, 300)
    assert all(row.redeemed >= 0 and (row.redemption_rate or 0) >= 0 for row in [*report.months, report.total])
    assert [row.liability_points for row in report.months] == [600, 1400, 1400]


def test_an_empty_program_reports_zeros_and_no_rates():
    report = kpis.build_report(Q1, now=at(2026, 4, 1))

    assert [row.participants for row in report.months] == [0, 0, 0]
    assert report.total.redemption_rate is None
    assert report.total.points_share is None
    assert report.total.liability == D("0.00")


def busy_program(first, last):
    """Customers ``first`` to ``last - 1``, each earning, spending, losing points and ordering in the first quarter."""
    for n in range(first, last):
        user = UserFactory()
        ledger.accrue(
            user,
            100 + n,
            key=f"busy-{n}-a",
            reason="Order",
            order=f"BUSY-{n}",
            hold_days=0,
            expires_in_days=40,
            now=at(2026, 1, 2),
        )
        ledger.redeem(user, 50, key=f"busy-{n}-r", order_number=f"BUSY-{n}-2", now=at(2026, 1, 20))
        place_order(f"BUSY-{n}-2", user, "1000.00", at(2026, 1, 20), points_paid=D("50.00"))
        ledger.adjust(user, 5, key=f"busy-{n}-j", reason="Goodwill", actor="Staff", now=at(2026, 3, 3))
    ledger.expire_lots(now=at(2026, 2, 20))


def queries_for_report(reading="journal only"):
    """The queries of one report (after a roll-up outside the count when ``reading`` is "rolled up")."""
    if reading == "rolled up":
        rollups.roll_up(wait_seconds=0)
    with CaptureQueriesContext(connection) as queries:
        report = BUILD_REPORT(Q1, now=at(2026, 4, 1))
    return len(queries), report


def test_the_number_of_queries_does_not_grow_with_accounts_or_entries(reading):
    busy_program(0, 3)
    small, small_report = queries_for_report(reading)
    busy_program(3, 30)
    large, large_report = queries_for_report(reading)

    assert small_report.total.participants == 3 and large_report.total.participants == 30
    assert large_report.total.expired == sum(100 + n - 50 for n in range(30))
    assert small == large
    assert large <= 14


@pytest.mark.postgres
def test_the_number_of_queries_is_the_same_with_entries_above_the_roll_ups_watermark():
    busy_program(0, 3)
    rollups.roll_up(wait_seconds=0)
    rolled, _report = queries_for_report()
    busy_program(3, 30)  # above the watermark: read from the journal
    mixed, mixed_report = queries_for_report()
    again, again_report = queries_for_report("rolled up")

    assert mixed_report.total.participants == again_report.total.participants == 30
    assert mixed_report.total.expired == again_report.total.expired
    assert rolled == mixed == again
    assert again <= 14
