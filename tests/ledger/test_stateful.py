"""The ledger's invariants under random sequences of operations.

A few customers earn, spend, hold, return and get corrected while a virtual
clock moves on and the beat tasks' batch passes run at random moments, alone
or one after another. After every step the books must balance, history must
stay untouched, nothing pending or expired may have been spent, and the
balance a customer sees must be what their lots and reservations actually
hold at that moment.
"""

import os
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.test.utils import override_settings
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, multiple, precondition, rule
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

START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
CUSTOMERS = 2
ORDERS_PER_CUSTOMER = 4
SOON_DAYS = 30  # OSCAR_LOYALTY_EXPIRING_SOON_DAYS's default
BATCH_PASSES = ("activate_matured_lots", "expire_lots", "release_stale_reservations")

customers = st.integers(0, CUSTOMERS - 1)
orders = st.integers(0, ORDERS_PER_CUSTOMER - 1)
# Random amounts, plus the two that matter most: everything and one more.
spend_amounts = st.integers(1, 600) | st.sampled_from(["all", "one more than all"])
# Days a lot lives after its hold: the default, or often short enough to run
# out while time jumps ahead.
lifetimes = st.none() | st.integers(1, 10) | st.integers(11, 90)


def owned(balance):
    return balance.total - balance.debt


def sorted_dates(dated_points):
    return sorted(dated_points, key=lambda d: (d.date, d.points))


def comparable(balance):
    """The balance with its dated lists in a fixed order (lots due at the same moment come in any order)."""
    return replace(
        balance, pending_lots=sorted_dates(balance.pending_lots), expiring_lots=sorted_dates(balance.expiring_lots)
    )


def rows_by_pk(model):
    """Every row of ``model`` as a tuple of its columns, by primary key (the first column)."""
    columns = [f.attname for f in model._meta.concrete_fields]
    return {row[0]: row for row in model.objects.order_by().values_list(*columns)}


ENTRY_COLUMNS = [f.attname for f in JournalEntry._meta.concrete_fields]
ENTRY_ACCOUNT, ENTRY_POINTS = ENTRY_COLUMNS.index("account_id"), ENTRY_COLUMNS.index("points")


class LedgerMachine(RuleBasedStateMachine):
    reservations = Bundle("reservations")

    def __init__(self):
        super().__init__()
        # Each example runs in its own savepoint, rolled back in teardown.
        self._example = transaction.atomic()
        self._example.__enter__()
        assert not Account.objects.exists(), "the previous example was not rolled back"
        self.users = [UserFactory() for _ in range(CUSTOMERS)]
        self.clock = START
        self.keys = 0
        # (operation, args, kwargs, primary key of what it returned)
        self.successes = []
        self.seen_entries = {}
        self.seen_reversals = {}
        self.seen_lot_terms = {}
        self.seen_allocation_terms = {}
        self.seen_reservation_status = {}

    def teardown(self):
        transaction.set_rollback(True)
        self._example.__exit__(None, None, None)

    # --- helpers -----------------------------------------------------------

    def key(self, prefix):
        self.keys += 1
        return f"{prefix}-{self.keys}"

    def order_number(self, customer, order):
        return f"order-{customer}-{order}"

    def balance(self, user):
        return ledger.get_balance(user, now=self.clock)

    def succeeded(self, operation, args, kwargs, result):
        self.successes.append((operation, args, kwargs, result.pk))

    def assert_refused(self, exception, operation, *args, **kwargs):
        before = ledger_rows()
        with pytest.raises(exception) as refused:
            operation(*args, **kwargs)
        assert ledger_rows() == before
        return refused.value

    # --- crediting ---------------------------------------------------------

    @rule(
        customer=customers,
        points=st.integers(1, 500),
        hold_days=st.integers(0, 20),
        lifetime=lifetimes,
        order=st.none() | orders,
    )
    def accrue(self, customer, points, hold_days, lifetime, order):
        user = self.users[customer]
        before = self.balance(user)
        kwargs = dict(
            key=self.key("accrue"),
            reason="order completed",
            order=None if order is None else self.order_number(customer, order),
            hold_days=hold_days,
            expires_in_days=None if lifetime is None else hold_days + lifetime,
        )
        lot = ledger.accrue(user, points, now=self.clock, **kwargs)
        self.succeeded(ledger.accrue, (user, points), kwargs, lot)

        paid_off = min(before.debt, points)
        after = self.balance(user)
        assert lot.journal.get().debt_change == -paid_off
        assert after.debt == before.debt - paid_off
        if hold_days:
            assert (after.available, after.pending) == (before.available, before.pending + points - paid_off)
        else:
            assert (after.available, after.pending) == (before.available + points - paid_off, before.pending)
        assert after.reserved == before.reserved

    @rule(
        customer=customers,
        points=st.integers(1, 500),
        take_away=st.booleans(),
        lifetime=lifetimes,
    )
    def adjust(self, customer, points, take_away, lifetime):
        user = self.users[customer]
        points = -points if take_away else points
        before = self.balance(user)
        kwargs = dict(key=self.key("adjust"), reason="goodwill", actor="Support", expires_in_days=lifetime)
        if -points > before.available:
            refused = self.assert_refused(
                ledger.InsufficientPoints, ledger.adjust, user, points, now=self.clock, **kwargs
            )
            assert (refused.available, refused.requested) == (before.available, -points)
            return
        entry = ledger.adjust(user, points, now=self.clock, **kwargs)
        self.succeeded(ledger.adjust, (user, points), kwargs, entry)

        paid_off = min(before.debt, max(points, 0))
        after = self.balance(user)
        assert after.debt == before.debt - paid_off
        assert after.available == before.available + points - paid_off
        assert (after.pending, after.reserved) == (before.pending, before.reserved)

    # --- spending ----------------------------------------------------------

    def spend(self, operation, customer, points, order):
        """Reserve or redeem; refused exactly when the balance shown does not cover it."""
        user = self.users[customer]
        before = self.balance(user)
        if points == "all":
            points = max(before.available, 1)
        elif points == "one more than all":
            points = before.available + 1
        kwargs = dict(key=self.key(operation.__name__), order_number=self.order_number(customer, order))
        if points > before.available:
            refused = self.assert_refused(ledger.InsufficientPoints, operation, user, points, now=self.clock, **kwargs)
            assert (refused.available, refused.requested) == (before.available, points)
            return None, before, None
        reservation = operation(user, points, now=self.clock, **kwargs)
        self.succeeded(operation, (user, points), kwargs, reservation)
        return reservation, before, self.balance(user)

    @rule(target=reservations, customer=customers, points=spend_amounts, order=orders)
    def reserve(self, customer, points, order):
        reservation, before, after = self.spend(ledger.reserve, customer, points, order)
        if reservation is None:
            return multiple()
        assert reservation.status == Reservation.HELD
        assert after.available == before.available - reservation.points
        assert after.reserved == before.reserved + reservation.points
        assert (after.pending, after.debt) == (before.pending, before.debt)
        return reservation.pk

    @rule(target=reservations, customer=customers, points=spend_amounts, order=orders)
    def redeem(self, customer, points, order):
        reservation, before, after = self.spend(ledger.redeem, customer, points, order)
        if reservation is None:
            return multiple()
        assert reservation.status == Reservation.CAPTURED
        assert after.available == before.available - reservation.points
        assert (after.pending, after.reserved, after.debt) == (before.pending, before.reserved, before.debt)
        return reservation.pk

    @rule(reservation=reservations)
    def capture(self, reservation):
        current = Reservation.objects.select_related("account__user").get(pk=reservation)
        user = current.account.user
        if current.status == Reservation.RELEASED:
            self.assert_refused(ledger.ReservationReleased, ledger.capture, reservation, now=self.clock)
            return
        if current.status == Reservation.CAPTURED:
            before_rows = ledger_rows()
            assert ledger.capture(reservation, now=self.clock).status == Reservation.CAPTURED
            assert ledger_rows() == before_rows
            return
        before = self.balance(user)
        assert ledger.capture(reservation, now=self.clock).status == Reservation.CAPTURED
        self.successes.append((ledger.capture, (reservation,), {}, reservation))
        after = self.balance(user)
        assert after.reserved == before.reserved - current.points
        assert (after.available, after.pending, after.debt) == (before.available, before.pending, before.debt)

    @rule(reservation=reservations)
    def release(self, reservation):
        current = Reservation.objects.select_related("account__user").get(pk=reservation)
        user = current.account.user
        if current.status == Reservation.CAPTURED:
            self.assert_refused(ledger.ReservationCaptured, ledger.release, reservation, now=self.clock)
            return
        if current.status == Reservation.RELEASED:
            before_rows = ledger_rows()
            assert ledger.release(reservation, now=self.clock).status == Reservation.RELEASED
            assert ledger_rows() == before_rows
            return
        before = self.balance(user)
        assert ledger.release(reservation, now=self.clock).status == Reservation.RELEASED
        self.successes.append((ledger.release, (reservation,), {}, reservation))
        # Points whose lot expired while they were held expire now; the rest
        # pay off debt first.
        back = sum(a.points for a in current.allocations.select_related("lot") if a.lot.expires_at > self.clock)
        paid_off = min(before.debt, back)
        after = self.balance(user)
        assert after.reserved == before.reserved - current.points
        assert after.available == before.available + back - paid_off
        assert (after.pending, after.debt) == (before.pending, before.debt - paid_off)

    # --- reversing ---------------------------------------------------------

    def reverse(self, customer, order, fraction, key):
        order_number = self.order_number(customer, order)
        earlier = dict(Reversal.objects.filter(order_number=order_number).values_list("pk", "cumulative_fraction"))
        done_before = max(earlier.values(), default=Decimal(0))
        kwargs = dict(fraction=fraction, key=key, reason="returned")
        if done_before == 1:
            # Nothing is left to reverse: a new key gets None, a used one its first result.
            before = ledger_rows()
            result = ledger.reverse_order(order_number, now=self.clock, **kwargs)
            assert result is None or result.pk in earlier
            assert ledger_rows() == before
            return
        moved_points = (
            Lot.objects.filter(order_number=order_number).exists()
            or Reservation.objects.filter(order_number=order_number).exists()
        )
        reversal = ledger.reverse_order(order_number, now=self.clock, **kwargs)
        if not moved_points:
            # Recorded all the same, so the share returned is known.
            assert (reversal.points_reversed, reversal.debt_created, reversal.points_restored) == (0, 0, 0)
            assert not reversal.journal.exists()
        self.succeeded(ledger.reverse_order, (order_number,), kwargs, reversal)
        after = min(Decimal(1), done_before + Decimal(str(fraction)))
        assert reversal.cumulative_fraction == after
        # However the returns were split, each lot and each spent allocation
        # stands where one reversal of the whole share so far would leave it.
        for lot in Lot.objects.filter(order_number=order_number).exclude(origin=Lot.RESTORE):
            assert lot.reversed_points == share(lot.points, after)
        for allocation in Allocation.objects.filter(
            reservation__order_number=order_number, reservation__status=Reservation.CAPTURED
        ):
            assert allocation.restored_points == share(allocation.points, after)
        if after == 1:
            assert not Reservation.objects.filter(order_number=order_number, status=Reservation.HELD).exists()

    @rule(customer=customers, order=orders, explicit_key=st.booleans())
    def reverse_fully(self, customer, order, explicit_key):
        self.reverse(customer, order, 1, self.key("cancel") if explicit_key else None)

    @rule(customer=customers, order=orders, fraction=st.sampled_from([0.25, 0.5, 0.3, Decimal("0.3")]))
    def reverse_partly(self, customer, order, fraction):
        self.reverse(customer, order, fraction, self.key("return"))

    # --- replaying ---------------------------------------------------------

    @precondition(lambda self: self.successes)
    @rule(data=st.data())
    def replay(self, data):
        operation, args, kwargs, pk = data.draw(st.sampled_from(self.successes), label="operation")
        before = ledger_rows()
        result = operation(*args, now=self.clock, **kwargs)
        assert result.pk == pk
        assert ledger_rows() == before

    # --- time --------------------------------------------------------------

    @rule(
        days=st.integers(0, 40),
        minutes=st.sampled_from([0, 1, 29, 31, 90]),
        then_task=st.none() | st.sampled_from(BATCH_PASSES),
    )
    def time_passes(self, days, minutes, then_task):
        earlier = [owned(self.balance(user)) for user in self.users]
        self.clock += timedelta(days=days, minutes=minutes)
        for user, was in zip(self.users, earlier, strict=True):
            # Only expiry changes what a customer owns as time goes by.
            assert owned(self.balance(user)) <= was
        if then_task is not None:
            self.run_beat_task(then_task)

    @rule(task=st.sampled_from(BATCH_PASSES))
    def beat_task_runs(self, task):
        self.run_beat_task(task)

    def run_beat_task(self, task):
        before = {user.pk: comparable(self.balance(user)) for user in self.users}
        if task == "release_stale_reservations":
            self.release_stale(before)
        else:
            getattr(ledger, task)(now=self.clock)
            # The batch only writes down what balances already show.
            assert {user.pk: comparable(self.balance(user)) for user in self.users} == before

    def release_stale(self, before):
        stale = list(Reservation.objects.filter(status=Reservation.HELD, expires_at__lte=self.clock))
        allocations = list(Allocation.objects.filter(reservation__in=stale).select_related("lot", "reservation"))
        assert ledger.release_stale_reservations(now=self.clock) == len(stale)
        assert not Reservation.objects.filter(pk__in=[r.pk for r in stale], status=Reservation.HELD).exists()
        accounts = dict(Account.objects.values_list("user_id", "pk"))
        for user in self.users:
            account_id = accounts.get(user.pk)
            held = sum(r.points for r in stale if r.account_id == account_id)
            back = sum(
                a.points
                for a in allocations
                if a.reservation.account_id == account_id and a.lot.expires_at > self.clock
            )
            paid_off = min(before[user.pk].debt, back)
            after = self.balance(user)
            assert after.reserved == before[user.pk].reserved - held
            assert after.available == before[user.pk].available + back - paid_off
            assert after.debt == before[user.pk].debt - paid_off

    # --- invariants ----------------------------------------------------------

    @invariant()
    def ledger_is_sound(self):
        assert ledger.check_accounts() == []
        accounts = {account.pk: account for account in Account.objects.all()}
        lots = {lot.pk: lot for lot in Lot.objects.all()}
        reservations = {reservation.pk: reservation for reservation in Reservation.objects.all()}
        entries = rows_by_pk(JournalEntry)
        self.check_buckets_are_never_negative(accounts)
        self.check_history_is_never_rewritten(entries, rows_by_pk(Reversal))
        self.check_lots_keep_their_terms(lots)
        self.check_lots_are_settled_in_time(accounts, lots)
        self.check_reservations_only_move_forward(reservations)
        self.check_nothing_pending_or_expired_is_spent(lots, reservations)
        self.check_balance_is_what_the_lots_hold_now(accounts, lots, reservations, entries)

    def check_buckets_are_never_negative(self, accounts):
        for account in accounts.values():
            assert min(account.available, account.pending, account.reserved, account.debt) >= 0

    def check_history_is_never_rewritten(self, entries, reversals):
        for name, rows, seen in (("entry", entries, self.seen_entries), ("reversal", reversals, self.seen_reversals)):
            for pk, was in seen.items():
                assert rows.get(pk) == was, f"{name} {pk} changed or disappeared"
            seen.update(rows)

    def check_lots_keep_their_terms(self, lots):
        for lot in lots.values():
            terms = (lot.account_id, lot.points, lot.available_at, lot.expires_at, lot.origin, lot.order_number)
            assert self.seen_lot_terms.setdefault(lot.pk, terms) == terms

    def check_lots_are_settled_in_time(self, accounts, lots):
        # Operations settle an account only once its ``next_event_at`` has
        # passed, so it must never be later than a live lot's next event.
        for lot in lots.values():
            if lot.status not in (Lot.PENDING, Lot.ACTIVE) or not lot.remaining:
                continue
            due = lot.available_at if lot.status == Lot.PENDING else lot.expires_at
            settles_at = accounts[lot.account_id].next_event_at
            assert settles_at is not None and settles_at <= due, (
                f"lot {lot.pk} is due at {due} but its account settles only at {settles_at}"
            )

    def check_reservations_only_move_forward(self, reservations):
        for pk, reservation in reservations.items():
            was = self.seen_reservation_status.get(pk, Reservation.HELD)
            assert was == Reservation.HELD or reservation.status == was
            self.seen_reservation_status[pk] = reservation.status

    def check_nothing_pending_or_expired_is_spent(self, lots, reservations):
        for allocation in Allocation.objects.all():
            lot, reservation = lots[allocation.lot_id], reservations[allocation.reservation_id]
            assert lot.account_id == reservation.account_id
            assert lot.created_at <= lot.available_at <= reservation.created_at < lot.expires_at
            terms = (allocation.reservation_id, allocation.lot_id, allocation.points)
            assert self.seen_allocation_terms.setdefault(allocation.pk, terms) == terms
            assert 0 <= allocation.restored_points <= allocation.points

    def check_balance_is_what_the_lots_hold_now(self, accounts, lots, reservations, entries):
        now, horizon = self.clock, self.clock + timedelta(days=SOON_DAYS)
        live, held = defaultdict(list), defaultdict(int)
        for lot in lots.values():
            if lot.status in (Lot.PENDING, Lot.ACTIVE) and lot.remaining:
                live[lot.account_id].append(lot)
        for reservation in reservations.values():
            if reservation.status == Reservation.HELD:
                held[reservation.account_id] += reservation.points
        journal = defaultdict(int)
        for entry in entries.values():
            journal[entry[ENTRY_ACCOUNT]] += entry[ENTRY_POINTS]
        by_user = {account.user_id: account for account in accounts.values()}
        for user in self.users:
            balance = self.balance(user)
            assert min(balance.available, balance.pending, balance.reserved, balance.debt) >= 0
            account = by_user.get(user.pk)
            if account is None:
                assert owned(balance) == 0
                continue
            spendable = [lot for lot in live[account.pk] if lot.available_at <= now < lot.expires_at]
            waiting = [lot for lot in live[account.pk] if lot.available_at > now]
            expiring = [lot for lot in spendable if lot.expires_at <= horizon]
            assert balance.available == sum(lot.remaining for lot in spendable)
            assert balance.pending == sum(lot.remaining for lot in waiting)
            assert balance.expiring_soon == sum(lot.remaining for lot in expiring)
            assert sorted_dates(balance.pending_lots) == sorted_dates(
                ledger.DatedPoints(lot.remaining, lot.available_at) for lot in waiting
            )
            assert sorted_dates(balance.expiring_lots) == sorted_dates(
                ledger.DatedPoints(lot.remaining, lot.expires_at) for lot in expiring
            )
            assert balance.reserved == held[account.pk]
            assert balance.debt == account.debt
            # What the journal says the customer owns, less what has expired
            # but is not written down yet.
            unsettled = sum(lot.remaining for lot in live[account.pk] if lot.expires_at <= now)
            assert owned(balance) == journal[account.pk] - unsettled


LedgerMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLedger = pytest.mark.django_db(LedgerMachine.TestCase)


if os.environ.get("DATABASE_URL", "").startswith("postgres"):
    # On PostgreSQL the hot operations run as database functions; the same
    # machine also drives the Python path they replace.

    class PythonPathMachine(LedgerMachine):
        def __init__(self):
            self._python_path = override_settings(OSCAR_LOYALTY_DATABASE_FUNCTIONS=False)
            self._python_path.enable()
            super().__init__()

        def teardown(self):
            try:
                super().teardown()
            finally:
                self._python_path.disable()

    PythonPathMachine.TestCase.settings = LedgerMachine.TestCase.settings
    TestLedgerPythonPath = pytest.mark.django_db(PythonPathMachine.TestCase)
