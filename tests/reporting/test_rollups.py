"""The monthly roll-ups give the KPI report the figures the journal gives, whatever happened in between.

Random histories around month boundaries, with the roll-up run at random
moments and entries dated before ones already rolled up (what a transaction
that began before midnight and committed after the roll-up leaves behind):
the report, with roll-ups and the entries above their watermark, must equal
the figures computed straight from the journal, for whole months and for
periods that cut months, and ``loyalty_check`` must find the roll-ups right.
"""

import importlib
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.dashboard import kpis
from oscar_loyalty.dashboard.kpis import Period
from oscar_loyalty.reporting import rollups
from tests.dashboard.helpers import at
from tests.factories import UserFactory
from tests.reporting.journal_figures import figures_of, straight_from_journal

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

MovementRollup = get_model("oscar_loyalty", "MovementRollup")
AccountMonth = get_model("oscar_loyalty", "AccountMonth")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")

CUSTOMERS = 3
# December 2025 to April 2026; moments cluster around the midnights that start a month.
FIRST_MONTHS = [date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)]
PERIODS = [
    Period(date(2025, 12, 1), date(2026, 4, 30)),
    Period(date(2026, 1, 1), date(2026, 3, 31)),
    Period(date(2026, 2, 1), date(2026, 2, 28)),
    Period(date(2026, 1, 16), date(2026, 2, 14)),
    Period(date(2026, 1, 31), date(2026, 2, 1)),
    Period(date(2026, 3, 1), date(2026, 3, 1)),
]

near_a_boundary = st.tuples(st.sampled_from(FIRST_MONTHS[1:]), st.integers(-26 * 60, 26 * 60))
inside_a_month = st.tuples(st.sampled_from(FIRST_MONTHS), st.integers(0, 27 * 24 * 60))
moments = near_a_boundary | inside_a_month
customers = st.integers(0, CUSTOMERS - 1)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("accrue"), customers, st.integers(1, 500), moments, st.sampled_from([0, 14])),
        st.tuples(st.just("adjust"), customers, st.integers(-300, 300).filter(bool), moments),
        st.tuples(st.just("redeem"), customers, st.integers(1, 400), moments),
        st.tuples(st.just("reverse"), st.integers(0, 5), st.sampled_from(["1", "0.5"]), moments),
        st.tuples(st.just("expire"), moments),
        st.tuples(st.just("activate"), moments),
        st.tuples(st.just("roll up")),
    ),
    max_size=16,
)


def local_moment(moment):
    """A month's first midnight in the shop's time zone, plus minutes (negative: the month before)."""
    month, minutes = moment
    return timezone.make_aware(datetime(month.year, month.month, 1)) + timedelta(minutes=minutes)


def play(history):
    """Run ``history`` through the ledger (refused operations change nothing) and the roll-up."""
    users = [UserFactory() for _ in range(CUSTOMERS)]
    orders = []
    for n, step in enumerate(history):
        action, *args = step
        try:
            if action == "accrue":
                customer, points, moment, hold = args
                ledger.accrue(
                    users[customer],
                    points,
                    key=f"accrue-{n}",
                    reason="Order",
                    order=f"E-{n}",
                    hold_days=hold,
                    expires_in_days=30,
                    now=local_moment(moment),
                )
            elif action == "adjust":
                customer, points, moment = args
                ledger.adjust(
                    users[customer], points, key=f"adjust-{n}", reason="Fix", actor="Staff", now=local_moment(moment)
                )
            elif action == "redeem":
                customer, points, moment = args
                ledger.redeem(
                    users[customer], points, key=f"redeem-{n}", order_number=f"S-{n}", now=local_moment(moment)
                )
                orders.append(f"S-{n}")
            elif action == "reverse" and orders:
                which, fraction, moment = args
                ledger.reverse_order(
                    orders[which % len(orders)],
                    fraction=Decimal(fraction),
                    key=f"reverse-{n}",
                    reason="Returned",
                    now=local_moment(moment),
                )
            elif action == "expire":
                ledger.expire_lots(now=local_moment(args[0]))
            elif action == "activate":
                ledger.activate_matured_lots(now=local_moment(args[0]))
            elif action == "roll up":
                rollups.roll_up(wait_seconds=0)
        except ledger.LoyaltyError:
            pass


def assert_report_matches_the_journal():
    for period in PERIODS:
        report = kpis.build_report(period, now=at(2026, 5, 1))
        assert figures_of(report) == straight_from_journal(period), period
    assert rollups.verify_rollups() == []


@pytest.mark.parametrize("time_zone", ["UTC", "Europe/Moscow"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=steps, roll_up_at_the_end=st.booleans())
def test_the_report_equals_the_journal_whenever_and_however_often_the_roll_up_ran(
    time_zone, history, roll_up_at_the_end
):
    with override_settings(TIME_ZONE=time_zone), transaction.atomic():
        play(history)
        if roll_up_at_the_end:
            rollups.roll_up(wait_seconds=0)
        assert_report_matches_the_journal()
        transaction.set_rollback(True)


def test_an_entry_dated_before_rolled_up_ones_moves_the_first_month_and_fills_a_gap():
    """Given months rolled up for a customer active in January and March, a late February entry joins them."""
    user, other = UserFactory(), UserFactory()
    ledger.adjust(user, 10, key="jan", reason="Fix", actor="Staff", now=at(2026, 1, 10))
    ledger.adjust(user, 10, key="mar", reason="Fix", actor="Staff", now=at(2026, 3, 10))
    ledger.adjust(other, 10, key="other-mar", reason="Fix", actor="Staff", now=at(2026, 3, 31, 23, 59))
    rollups.roll_up(wait_seconds=0)
    assert_report_matches_the_journal()

    # Committed after the roll-up, dated before: February for one, a first entry in December for the other.
    ledger.adjust(user, 10, key="feb", reason="Fix", actor="Staff", now=at(2026, 2, 28, 23, 59))
    ledger.adjust(other, 10, key="other-dec", reason="Fix", actor="Staff", now=at(2025, 12, 31, 23, 59))
    assert_report_matches_the_journal()  # read above the watermark
    run = rollups.roll_up(wait_seconds=0)
    assert run.journal_id == JournalEntry.objects.order_by("-pk").first().pk
    assert_report_matches_the_journal()  # rolled up

    report = kpis.build_report(Period(date(2026, 1, 1), date(2026, 3, 31)), now=at(2026, 5, 1))
    assert [row.participants for row in report.months] == [1, 1, 2]
    assert [row.new_participants for row in report.months] == [1, 0, 0]  # the other one is new in December
    assert report.total.participants == 2


def test_the_report_reads_the_journal_until_the_roll_ups_follow_a_new_time_zone():
    user = UserFactory()
    # 22:30 UTC on 31 January is 01:30 on 1 February in Moscow.
    ledger.adjust(user, 10, key="late", reason="Goodwill", actor="Staff", now=at(2026, 1, 31, 22, 30))
    rollups.roll_up(wait_seconds=0)
    assert rollups.watermark("UTC") > 0

    with override_settings(TIME_ZONE="Europe/Moscow"):
        assert rollups.watermark() == 0
        period = Period(date(2026, 1, 1), date(2026, 2, 28))
        assert [row.accrued for row in kpis.build_report(period).months] == [0, 10]
        run = rollups.roll_up(wait_seconds=0)
        assert run.rebuilt and rollups.watermark() == run.journal_id
        assert list(MovementRollup.objects.values_list("month", "points_gained")) == [(date(2026, 2, 1), 10)]
        assert [row.accrued for row in kpis.build_report(period).months] == [0, 10]


def test_a_second_run_with_nothing_new_changes_nothing():
    user = UserFactory()
    ledger.adjust(user, 10, key="one", reason="Fix", actor="Staff", now=at(2026, 1, 10))
    first = rollups.roll_up(wait_seconds=0)
    rows = list(MovementRollup.objects.values_list("month", "kind", "entries", "points_gained"))

    second = rollups.roll_up(wait_seconds=0)

    assert second.previous == second.journal_id == first.journal_id
    assert list(MovementRollup.objects.values_list("month", "kind", "entries", "points_gained")) == rows


def test_loyalty_check_finds_a_roll_up_that_disagrees_with_the_journal_and_rebuilds_it():
    user = UserFactory()
    ledger.adjust(user, 10, key="one", reason="Fix", actor="Staff", now=at(2026, 1, 10))
    ledger.adjust(user, -4, key="two", reason="Fix", actor="Staff", now=at(2026, 2, 10))
    rollups.roll_up(wait_seconds=0)
    out = StringIO()
    call_command("loyalty_check", stdout=out)
    assert "roll-ups agree" in out.getvalue()

    MovementRollup.objects.filter(month=date(2026, 2, 1)).update(points_lost=-5)
    err = StringIO()
    with pytest.raises(CommandError, match="roll-ups disagree"):
        call_command("loyalty_check", stdout=StringIO(), stderr=err)
    assert "movements roll-up" in err.getvalue()

    call_command("loyalty_check", "--rebuild-rollups", stdout=StringIO())
    assert MovementRollup.objects.get(month=date(2026, 2, 1)).points_lost == -4


def test_the_account_months_unique_index_carries_active_and_the_roll_up_still_upserts_through_it():
    """Migration 0027: the report's probes read ``active`` from the index, and the roll-up's upsert still finds it."""
    migration = importlib.import_module("oscar_loyalty.migrations.0027_account_month_covering_unique")

    def definition():
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'loyalty_account_month_unique'")
            return cursor.fetchone()[0]

    assert definition().endswith("(account_id, month) INCLUDE (active)")
    user = UserFactory()
    ledger.adjust(user, 10, key="one", reason="Fix", actor="Staff", now=at(2026, 1, 10))
    rollups.roll_up(wait_seconds=0)
    ledger.adjust(user, 5, key="two", reason="Fix", actor="Staff", now=at(2026, 1, 11))
    rollups.roll_up(wait_seconds=0)  # the same account and month again: the upsert's conflict
    assert list(AccountMonth.objects.values_list("month", "active")) == [(date(2026, 1, 1), True)]

    with connection.schema_editor() as editor:  # backwards, then forwards again
        migration.plain(django_apps, editor)
        assert definition().endswith("(account_id, month)")
        migration.covering(django_apps, editor)
    assert definition().endswith("INCLUDE (active)")
