"""The ledger's behaviour, pinned as scenarios: given a history, when something happens, then this."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.ledger.calculations import share
from tests.factories import UserFactory
from tests.ledger.snapshots import ledger_rows

Account = get_model("oscar_loyalty", "Account")
Lot = get_model("oscar_loyalty", "Lot")
Reservation = get_model("oscar_loyalty", "Reservation")
Allocation = get_model("oscar_loyalty", "Allocation")
Reversal = get_model("oscar_loyalty", "Reversal")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 1, 10, 12, 0, tzinfo=UTC)


def day(n, **extra):
    return T0 + timedelta(days=n, **extra)


def accrue(user, points, *, key, order="", hold_days=0, expires_in_days=None, now=T0):
    return ledger.accrue(
        user,
        points,
        key=key,
        reason="order",
        order=order,
        hold_days=hold_days,
        expires_in_days=expires_in_days,
        now=now,
    )


def entries(kind):
    return JournalEntry.objects.filter(kind=kind).order_by("pk")


@pytest.fixture
def user():
    return UserFactory()


# --- hold and activation ------------------------------------------------------------


@pytest.mark.parametrize(
    "settled_by",
    [["an operation"], ["the batch"], ["the batch", "an operation"], ["an operation", "the batch"]],
    ids=" then ".join,
)
def test_given_points_on_hold_when_the_hold_ends_then_one_activation_entry_makes_them_spendable(user, settled_by):
    lot = accrue(user, 100, key="a", order="1", hold_days=14)
    on_hold = ledger.get_balance(user, now=day(13))
    assert (on_hold.available, on_hold.pending) == (0, 100)
    assert on_hold.pending_lots == (ledger.DatedPoints(100, day(14)),)
    with pytest.raises(ledger.InsufficientPoints):
        ledger.reserve(user, 1, key="too-early", order_number="2", now=day(13))

    for step, settle in enumerate(settled_by):
        if settle == "the batch":
            ledger.activate_matured_lots(now=day(15))
        else:
            ledger.reserve(user, 10, key=f"spend-{step}", order_number="2", now=day(15))

    assert list(
        entries(JournalEntry.ACTIVATION).values_list("lot", "points", "available_change", "pending_change")
    ) == [(lot.pk, 0, 100, -100)]
    assert entries(JournalEntry.ACTIVATION).get().created_at == day(14)
    lot.refresh_from_db()
    assert lot.status == Lot.ACTIVE
    assert ledger.check_accounts() == []


def test_given_points_on_hold_when_the_hold_ends_to_the_second_then_they_are_available(user):
    accrue(user, 100, key="a", hold_days=14)
    assert ledger.get_balance(user, now=day(14, seconds=-1)).available == 0
    assert ledger.get_balance(user, now=day(14)).available == 100
    assert ledger.redeem(user, 100, key="r", order_number="2", now=day(14)).points == 100


# --- expiry ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settled_by",
    [
        ["the batch", "the batch", "an operation"],
        ["an operation", "the batch"],
        ["the batch", "an operation", "the batch"],
    ],
    ids=" then ".join,
)
def test_given_unspent_points_when_they_expire_then_one_expiry_entry_however_often_it_is_settled(user, settled_by):
    lot = accrue(user, 100, key="a", expires_in_days=30)
    ledger.redeem(user, 30, key="r", order_number="2", now=day(1))

    expired = []
    for step, settle in enumerate(settled_by):
        if settle == "the batch":
            expired.append(ledger.expire_lots(now=day(31)))
        else:
            accrue(user, 5, key=f"later-{step}", now=day(31))

    assert sum(expired) == (1 if settled_by[0] == "the batch" else 0)
    assert list(entries(JournalEntry.EXPIRY).values_list("lot", "points", "available_change", "created_at")) == [
        (lot.pk, -70, -70, day(30))
    ]
    lot.refresh_from_db()
    assert (lot.status, lot.remaining, lot.expired_points) == (Lot.EXPIRED, 0, 70)
    assert ledger.get_balance(user, now=day(31)).available == 5 * settled_by.count("an operation")
    assert ledger.check_accounts() == []


def test_given_points_expiring_when_the_balance_is_read_before_anything_settles_then_they_are_gone(user):
    accrue(user, 100, key="a", expires_in_days=30)
    accrue(user, 10, key="b", expires_in_days=60)
    assert ledger.get_balance(user, now=day(30, seconds=-1)).available == 110
    assert ledger.get_balance(user, now=day(30)).available == 10
    assert not entries(JournalEntry.EXPIRY).exists()


def test_given_a_lot_matured_and_another_expired_when_only_the_expiry_batch_ran_then_the_matured_points_are_spendable(
    user,
):
    accrue(user, 100, key="matures", hold_days=10, expires_in_days=100)
    accrue(user, 50, key="expires", expires_in_days=5)
    ledger.expire_lots(now=day(20))

    assert ledger.get_balance(user, now=day(20)).available == 100
    assert ledger.redeem(user, 100, key="r", order_number="2", now=day(20)).points == 100
    assert ledger.check_accounts() == []


def test_given_a_lot_matured_and_expired_when_only_the_activation_batch_ran_then_its_points_are_not_spendable(user):
    accrue(user, 100, key="matures-and-expires", hold_days=5, expires_in_days=10)
    accrue(user, 50, key="lasts", expires_in_days=100)
    ledger.activate_matured_lots(now=day(20))

    assert ledger.get_balance(user, now=day(20)).available == 50
    with pytest.raises(ledger.InsufficientPoints) as refused:
        ledger.redeem(user, 51, key="r", order_number="2", now=day(20))
    assert (refused.value.available, refused.value.requested) == (50, 51)
    assert ledger.redeem(user, 50, key="r2", order_number="2", now=day(20)).points == 50
    assert ledger.get_balance(user, now=day(20)).available == 0
    assert ledger.check_accounts() == []


# --- which points are spent -----------------------------------------------------------------

# (expires in days, points) in the order they were credited
LOTS = [(90, 50), (30, 40), (60, 30), (30, 20)]


@pytest.mark.parametrize(
    "spend, taken",
    [
        (10, [(1, 10)]),
        (40, [(1, 40)]),
        (41, [(1, 40), (3, 1)]),
        (75, [(1, 40), (3, 20), (2, 15)]),
        (140, [(1, 40), (3, 20), (2, 30), (0, 50)]),
    ],
)
def test_spending_takes_the_soonest_expiring_points_first_and_the_older_lot_on_a_tie(user, spend, taken):
    lots = [accrue(user, points, key=f"lot-{i}", expires_in_days=expires) for i, (expires, points) in enumerate(LOTS)]
    reservation = ledger.reserve(user, spend, key="r", order_number="2", now=day(1))
    allocations = reservation.allocations.order_by("pk").values_list("lot", "points")
    assert list(allocations) == [(lots[index].pk, points) for index, points in taken]


# --- idempotency ---------------------------------------------------------------------


REPLAYABLE = {
    "accrue": lambda u, now: ledger.accrue(u, 50, key="k", reason="order", order="7", now=now),
    "reserve": lambda u, now: ledger.reserve(u, 20, key="k", order_number="8", now=now),
    "redeem": lambda u, now: ledger.redeem(u, 20, key="k", order_number="8", now=now),
    "adjust up": lambda u, now: ledger.adjust(u, 15, key="k", reason="goodwill", actor="Support", now=now),
    "adjust down": lambda u, now: ledger.adjust(u, -15, key="k", reason="fix", actor="Support", now=now),
    "reverse_order in full": lambda u, now: ledger.reverse_order("1", now=now),
    "reverse_order in part": lambda u, now: ledger.reverse_order("1", fraction=Decimal("0.3"), key="k", now=now),
}


@pytest.mark.parametrize("operation", REPLAYABLE.values(), ids=REPLAYABLE.keys())
@pytest.mark.parametrize("retried", [timedelta(0), timedelta(days=2)], ids=["at once", "two days later"])
def test_given_an_operation_done_when_it_is_retried_with_its_key_then_the_first_result_is_returned(
    user, operation, retried
):
    accrue(user, 100, key="setup", order="1")
    first = operation(user, day(1))
    before = ledger_rows()

    again = operation(user, day(1) + retried)

    assert (type(again), again.pk) == (type(first), first.pk)
    assert ledger_rows() == before


@pytest.mark.parametrize(
    "operation, status",
    [(ledger.capture, Reservation.CAPTURED), (ledger.release, Reservation.RELEASED)],
    ids=["capture", "release"],
)
@pytest.mark.parametrize("by", ["object", "pk"])
def test_capturing_or_releasing_twice_is_harmless(user, operation, status, by):
    accrue(user, 100, key="setup")
    reservation = ledger.reserve(user, 40, key="r", order_number="2", now=day(1))
    operation(reservation, now=day(1))
    before = ledger_rows()

    again = operation(reservation if by == "object" else reservation.pk, now=day(1, minutes=5))

    assert (again.pk, again.status) == (reservation.pk, status)
    assert ledger_rows() == before


# --- abandoned checkouts --------------------------------------------------------------------


@pytest.mark.parametrize(
    "timeout, minutes_later, released",
    [(30, 29, False), (30, 30, True), (30, 31, True), (10, 9, False), (10, 10, True), (10, 29, True)],
)
def test_a_held_reservation_is_released_by_the_batch_once_the_checkout_timeout_has_passed(
    user, settings, timeout, minutes_later, released
):
    settings.OSCAR_LOYALTY_RESERVATION_TIMEOUT_MINUTES = timeout
    accrue(user, 100, key="setup")
    reservation = ledger.reserve(user, 40, key="r", order_number="2", now=day(1))

    count = ledger.release_stale_reservations(now=day(1, minutes=minutes_later))

    reservation.refresh_from_db()
    assert count == int(released)
    assert reservation.status == (Reservation.RELEASED if released else Reservation.HELD)
    balance = ledger.get_balance(user, now=day(1, minutes=minutes_later))
    assert (balance.available, balance.reserved) == ((100, 0) if released else (60, 40))


def test_a_captured_reservation_is_never_released_by_the_batch(user):
    accrue(user, 100, key="setup")
    reservation = ledger.redeem(user, 40, key="r", order_number="2", now=day(1))
    assert ledger.release_stale_reservations(now=day(3)) == 0
    reservation.refresh_from_db()
    assert reservation.status == Reservation.CAPTURED


# --- reversals: what the order earned ------------------------------------------------------------


def test_given_an_accrual_still_on_hold_when_the_order_is_cancelled_then_its_lot_is_voided(user):
    lot = accrue(user, 100, key="a", order="1", hold_days=14)

    reversal = ledger.reverse_order("1", now=day(2))

    lot.refresh_from_db()
    assert (lot.status, lot.remaining, lot.reversed_points) == (Lot.VOIDED, 0, 100)
    assert (reversal.points_reversed, reversal.debt_created) == (100, 0)
    assert list(
        entries(JournalEntry.REVERSAL).values_list("points", "pending_change", "available_change", "debt_change")
    ) == [(-100, -100, 0, 0)]
    assert ledger.activate_matured_lots(now=day(20)) == 0
    balance = ledger.get_balance(user, now=day(20))
    assert (balance.available, balance.pending, balance.debt) == (0, 0, 0)
    assert ledger.check_accounts() == []


def test_given_earned_points_already_spent_when_the_order_is_cancelled_then_debt_is_paid_off_by_the_next_accruals(
    user,
):
    accrue(user, 100, key="a", order="1")
    ledger.redeem(user, 70, key="r", order_number="2", now=day(1))

    reversal = ledger.reverse_order("1", now=day(2))

    assert (reversal.points_reversed, reversal.debt_created) == (100, 70)
    balance = ledger.get_balance(user, now=day(2))
    assert (balance.available, balance.debt) == (0, 70)

    first = accrue(user, 50, key="b", order="3", now=day(3))
    assert first.remaining == 0
    assert first.journal.values_list("debt_change", "available_change").get() == (-50, 0)
    second = accrue(user, 50, key="c", order="4", hold_days=14, now=day(4))
    assert second.remaining == 30
    assert second.journal.values_list("debt_change", "pending_change").get() == (-20, 30)
    balance = ledger.get_balance(user, now=day(4))
    assert (balance.available, balance.pending, balance.debt) == (0, 30, 0)
    assert ledger.check_accounts() == []


@pytest.mark.parametrize("spent, debt", [(0, 0), (60, 60), (100, 100)])
def test_given_earned_points_that_expired_when_the_order_is_cancelled_then_only_the_spent_part_becomes_debt(
    user, spent, debt
):
    lot = accrue(user, 100, key="a", order="1", expires_in_days=30)
    if spent:
        ledger.redeem(user, spent, key="r", order_number="2", now=day(1))
    ledger.expire_lots(now=day(31))

    reversal = ledger.reverse_order("1", now=day(40))

    assert (reversal.points_reversed, reversal.debt_created) == (100, debt)
    assert ledger.get_balance(user, now=day(40)).debt == debt
    lot.refresh_from_db()
    assert (lot.reversed_points, lot.expired_points, lot.remaining) == (100, 0, 0)
    assert ledger.check_accounts() == []


# --- reversals: what the order spent -----------------------------------------------------------------


def test_given_an_order_paid_with_points_when_it_is_cancelled_then_they_go_back_into_their_lots(user):
    early = accrue(user, 40, key="early", expires_in_days=30)
    late = accrue(user, 100, key="late", expires_in_days=90)
    ledger.redeem(user, 60, key="r", order_number="S", now=day(1))

    reversal = ledger.reverse_order("S", now=day(5))

    early.refresh_from_db()
    late.refresh_from_db()
    assert (early.remaining, early.expires_at) == (40, day(30))
    assert (late.remaining, late.expires_at) == (100, day(90))
    assert Lot.objects.count() == 2
    assert reversal.points_restored == 60
    assert list(entries(JournalEntry.RESTORATION).values_list("lot", "points", "available_change")) == [
        (early.pk, 40, 40),
        (late.pk, 20, 20),
    ]
    balance = ledger.get_balance(user, now=day(5))
    assert (balance.available, balance.expiring_lots) == (140, (ledger.DatedPoints(40, day(30)),))
    assert ledger.check_accounts() == []


@pytest.mark.parametrize("grace_days", [30, 7])
def test_given_an_order_paid_from_a_lot_that_has_expired_since_when_it_is_cancelled_then_a_new_lot_gets_a_grace_period(
    user, settings, grace_days
):
    settings.OSCAR_LOYALTY_RESTORE_GRACE_DAYS = grace_days
    early = accrue(user, 40, key="early", expires_in_days=30)
    late = accrue(user, 100, key="late", expires_in_days=90)
    ledger.redeem(user, 60, key="r", order_number="S", now=day(1))

    ledger.reverse_order("S", now=day(45))

    restored = Lot.objects.get(origin=Lot.RESTORE)
    assert (restored.points, restored.remaining, restored.status) == (40, 40, Lot.ACTIVE)
    assert (restored.available_at, restored.expires_at) == (day(45), day(45 + grace_days))
    assert (restored.parent, restored.order_number) == (early, "S")
    early.refresh_from_db()
    late.refresh_from_db()
    assert (early.status, early.remaining) == (Lot.EXPIRED, 0)
    assert late.remaining == 100
    assert ledger.get_balance(user, now=day(45)).available == 140
    assert ledger.get_balance(user, now=day(45 + grace_days)).available == 100
    assert ledger.check_accounts() == []


# --- partial returns ------------------------------------------------------------------------------

# points, reversed after 30%, after 60%: round half up, per lot
ROUNDING = [(1, 0, 1), (3, 1, 2), (7, 2, 4), (100, 30, 60), (333, 100, 200)]


@pytest.mark.parametrize("points, after_first, after_second", ROUNDING)
def test_returns_of_30_and_30_percent_and_the_rest_take_back_exactly_what_the_order_earned(
    user, points, after_first, after_second
):
    assert (share(points, Decimal("0.3")), share(points, Decimal("0.6"))) == (after_first, after_second)
    lot = accrue(user, points, key="a", order="1", hold_days=14)

    for key, fraction, reversed_so_far in [
        ("ret-1", Decimal("0.3"), after_first),
        ("ret-2", Decimal("0.3"), after_second),
        ("ret-3", Decimal("1"), points),
    ]:
        ledger.reverse_order("1", fraction=fraction, key=key, now=day(1))
        lot.refresh_from_db()
        assert (lot.reversed_points, lot.remaining) == (reversed_so_far, points - reversed_so_far)

    assert Reversal.objects.get(key="ret-3").fraction == Decimal("0.4")
    assert sum(entries(JournalEntry.REVERSAL).values_list("points", flat=True)) == -points
    assert lot.status == Lot.VOIDED
    assert ledger.get_balance(user, now=day(1)).pending == 0


@pytest.mark.parametrize("points, after_first, after_second", ROUNDING)
def test_returns_of_30_and_30_percent_and_the_rest_give_back_exactly_what_the_order_spent(
    user, points, after_first, after_second
):
    accrue(user, 1000, key="a")
    reservation = ledger.redeem(user, points, key="r", order_number="S", now=day(1))
    allocation = reservation.allocations.get()

    for key, fraction, restored_so_far in [
        ("ret-1", Decimal("0.3"), after_first),
        ("ret-2", Decimal("0.3"), after_second),
        ("ret-3", Decimal("0.4"), points),
    ]:
        ledger.reverse_order("S", fraction=fraction, key=key, now=day(2))
        allocation.refresh_from_db()
        assert allocation.restored_points == restored_so_far

    assert ledger.get_balance(user, now=day(2)).available == 1000


def test_a_partial_return_rounds_each_lot_of_the_order_on_its_own(user):
    sizes = [points for points, _first, _second in ROUNDING]
    lots = [
        ledger.accrue(user, points, key=f"line-{i}", reason="order", order="1", order_line=str(i), now=T0)
        for i, points in enumerate(sizes)
    ]
    ledger.reverse_order("1", fraction=Decimal("0.3"), key="ret-1", now=day(1))
    assert [Lot.objects.get(pk=lot.pk).reversed_points for lot in lots] == [first for _p, first, _s in ROUNDING]
    ledger.reverse_order("1", fraction=Decimal("0.3"), key="ret-2", now=day(1))
    assert [Lot.objects.get(pk=lot.pk).reversed_points for lot in lots] == [second for _p, _f, second in ROUNDING]
    reversal = ledger.reverse_order("1", fraction=Decimal("0.4"), key="ret-3", now=day(1))
    assert [Lot.objects.get(pk=lot.pk).reversed_points for lot in lots] == sizes
    assert sum(Reversal.objects.values_list("points_reversed", flat=True)) == sum(sizes)
    assert reversal.cumulative_fraction == 1


def test_reversing_an_order_again_changes_nothing(user):
    accrue(user, 100, key="a", order="1")
    first = ledger.reverse_order("1", now=day(1))
    before = ledger_rows()

    assert ledger.reverse_order("1", now=day(2)).pk == first.pk
    assert ledger.reverse_order("1", key="cancelled-again", now=day(2)) is None
    assert ledger.reverse_order("1", fraction=Decimal("0.5"), key="late-return", now=day(2)) is None
    assert ledger_rows() == before


def test_cancelling_an_order_in_full_releases_its_held_reservations(user):
    accrue(user, 100, key="a")
    reservation = ledger.reserve(user, 40, key="r", order_number="S", now=day(1))

    reversal = ledger.reverse_order("S", now=day(1, minutes=5))

    reservation.refresh_from_db()
    assert (reservation.status, reversal.reservations_released) == (Reservation.RELEASED, 1)
    assert ledger.get_balance(user, now=day(1, minutes=5)).available == 100


# --- balances -----------------------------------------------------------------------------------


def test_the_balance_lists_pending_points_with_the_dates_they_become_available(user):
    accrue(user, 100, key="a", hold_days=14)
    accrue(user, 50, key="b", hold_days=3)
    accrue(user, 20, key="c")

    balance = ledger.get_balance(user, now=day(1))
    assert (balance.available, balance.pending) == (20, 150)
    assert balance.pending_lots == (ledger.DatedPoints(50, day(3)), ledger.DatedPoints(100, day(14)))

    balance = ledger.get_balance(user, now=day(5))
    assert (balance.available, balance.pending) == (70, 100)
    assert balance.pending_lots == (ledger.DatedPoints(100, day(14)),)


def test_the_balance_shows_points_expiring_within_30_days_with_their_dates(user):
    for key, expires in [("a", 10), ("b", 30), ("c", 31), ("d", 365)]:
        accrue(user, {"a": 10, "b": 20, "c": 40, "d": 80}[key], key=key, expires_in_days=expires)

    balance = ledger.get_balance(user, now=T0)
    assert (balance.available, balance.expiring_soon) == (150, 30)
    assert balance.expiring_lots == (ledger.DatedPoints(10, day(10)), ledger.DatedPoints(20, day(30)))

    balance = ledger.get_balance(user, now=day(11))
    assert (balance.available, balance.expiring_soon) == (140, 60)
    assert balance.expiring_lots == (ledger.DatedPoints(20, day(30)), ledger.DatedPoints(40, day(31)))


@pytest.mark.parametrize("history", [10, 200])
def test_reading_a_balance_takes_two_queries_however_long_the_history(user, django_assert_max_num_queries, history):
    for i in range(history // 2):
        accrue(user, 10, key=f"a-{i}", hold_days=i % 20, now=day(i % 5))
        ledger.adjust(user, 1, key=f"b-{i}", reason="goodwill", actor="Support", now=day(5))
    assert JournalEntry.objects.count() >= history

    with django_assert_max_num_queries(2):
        balance = ledger.get_balance(user, now=day(6))

    assert balance.total == 11 * (history // 2)


def test_reading_the_balance_of_a_customer_without_an_account_creates_none(user, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        balance = ledger.get_balance(user, now=T0)
    assert (balance.available, balance.pending, balance.reserved, balance.debt) == (0, 0, 0, 0)
    assert not Account.objects.exists()


# --- the audit ----------------------------------------------------------------------------------


@pytest.fixture
def history(user):
    other = UserFactory()
    accrue(user, 100, key="a", order="1")
    accrue(other, 300, key="b", order="2", hold_days=14)
    ledger.redeem(user, 30, key="r", order_number="3", now=day(1))
    ledger.reserve(user, 20, key="h", order_number="4", now=day(1))
    ledger.reverse_order("1", fraction=Decimal("0.5"), key="ret", now=day(2))
    return user


def test_loyalty_check_passes_when_every_account_agrees_with_its_journal(history):
    out = StringIO()
    call_command("loyalty_check", stdout=out)
    assert "agree" in out.getvalue()


@pytest.mark.parametrize("column", ["available", "pending", "reserved", "debt"])
def test_loyalty_check_fails_when_an_account_row_was_changed_behind_the_ledgers_back(history, column):
    account = Account.objects.get(user=history)
    table, quoted = connection.ops.quote_name(Account._meta.db_table), connection.ops.quote_name(column)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {quoted} = {quoted} + 5 WHERE id = %s", [account.pk])

    err = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("loyalty_check", stdout=StringIO(), stderr=err)

    assert failure.value.returncode != 0
    assert f"{column} is {getattr(account, column) + 5} but the journal sums to {getattr(account, column)}" in (
        err.getvalue()
    )


# --- the journal is append-only ---------------------------------------------------------------------

REFUSED_CHANGES = {
    "saving a changed row": lambda obj: (setattr(obj, "reason", "rewritten"), obj.save()),
    "deleting a row": lambda obj: obj.delete(),
    "updating through a queryset": lambda obj: type(obj).objects.filter(pk=obj.pk).update(reason="rewritten"),
    "deleting through a queryset": lambda obj: type(obj).objects.filter(pk=obj.pk).delete(),
}


@pytest.mark.parametrize("change", REFUSED_CHANGES.values(), ids=REFUSED_CHANGES.keys())
@pytest.mark.parametrize("model", [JournalEntry, Reversal], ids=lambda m: m.__name__)
def test_journal_entries_and_reversals_cannot_be_changed_or_deleted(history, model, change):
    before = ledger_rows()
    with pytest.raises(TypeError, match="append-only"):
        change(model.objects.first())
    assert ledger_rows() == before


@pytest.mark.postgres
@pytest.mark.parametrize("statement", ["UPDATE {table} SET points = 0", "DELETE FROM {table}"])
def test_postgresql_itself_refuses_to_change_the_journal(history, statement):
    before = ledger_rows()
    table = connection.ops.quote_name(JournalEntry._meta.db_table)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement.format(table=table))
    assert ledger_rows() == before


# --- the admin ---------------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model", [Account, JournalEntry, Lot, Reservation, Reversal], ids=lambda m: m.__name__)
def test_the_admin_shows_the_ledger_read_only(history, staff_client, model):
    name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    obj = model.objects.first()

    listing = staff_client.get(reverse(f"{name}_changelist"))
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == model.objects.count()
    assert listing.context["has_add_permission"] is False
    assert "delete_selected" not in listing.content.decode()

    detail = staff_client.get(reverse(f"{name}_change", args=[obj.pk]))
    assert detail.status_code == 200
    assert detail.context["has_change_permission"] is False
    assert detail.context["has_delete_permission"] is False
    assert 'name="_save"' not in detail.content.decode()

    before = ledger_rows()
    assert staff_client.get(reverse(f"{name}_add")).status_code == 403
    assert staff_client.post(reverse(f"{name}_change", args=[obj.pk]), {}).status_code == 403
    assert staff_client.post(reverse(f"{name}_delete", args=[obj.pk]), {"post": "yes"}).status_code == 403
    assert ledger_rows() == before
