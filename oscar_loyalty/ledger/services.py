"""The ledger's service API: the only code that writes ledger rows.

Every operation that changes a balance follows one pattern:

1. validate the arguments (bad input raises before anything is read);
2. open a transaction and lock the account row(s), in primary-key order;
3. if the idempotency key was used before, return the first result (or
   refuse a replay with different arguments);
4. settle the account: lots whose hold or expiry has passed are activated or
   expired first, so nothing pending or expired is ever spent;
5. re-check under the lock, write lots, entries and the account's cached
   balances, and send signals once the transaction commits.

Lots, reservations and allocations are only ever touched while their
account's row is locked, so the account lock is the one mutex they need.
"""

import functools
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Max, Min, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from oscar_loyalty import signals
from oscar_loyalty.ledger import database
from oscar_loyalty.ledger.calculations import (
    LotView,
    allocate,
    balance_as_of,
    check_days,
    check_fraction,
    check_key,
    check_points,
    fingerprint,
    share,
)
from oscar_loyalty.ledger.exceptions import (
    AccountBlocked,
    IdempotencyConflict,
    InsufficientPoints,
    InvalidAmount,
    InvalidOperation,
    LoyaltyError,
    ReservationCaptured,
    ReservationReleased,
    UnknownCustomer,
)
from oscar_loyalty.ledger.people import actor_of, clip, display_name, user_id_of
from oscar_loyalty.settings import loyalty_settings

Account = get_model("oscar_loyalty", "Account")
Lot = get_model("oscar_loyalty", "Lot")
Reservation = get_model("oscar_loyalty", "Reservation")
Allocation = get_model("oscar_loyalty", "Allocation")
Reversal = get_model("oscar_loyalty", "Reversal")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")

ACCOUNT_BALANCE_FIELDS = ["available", "pending", "reserved", "debt", "next_event_at", "updated_at"]
LOT_STATE_FIELDS = ["remaining", "status", "reversed_points", "expired_points"]


def _replay_on_collision(operation):
    """Run a keyed operation again if a concurrent call with the same key got there first.

    The first run reads the key in the snapshot of its lock statement (see
    ``_lock_for_operation``). If a call with the same key committed while it
    waited, the first run either collides on the key's unique index or is
    refused on the stale state (say, for insufficient points); in both cases
    a fresh look finds the key, and the second run replays the first result.

    The database functions look the key up after the lock is granted, in a
    fresh snapshot, so on that path only the unique index can intervene.
    """

    @functools.wraps(operation)
    def run(*args, **kwargs):
        try:
            return operation(*args, **kwargs)
        except IntegrityError:
            return operation(*args, **kwargs)
        except LoyaltyError:
            if not database.enabled() and JournalEntry.objects.filter(key=kwargs.get("key")).exists():
                return operation(*args, **kwargs)
            raise

    return run


# --- Reading ----------------------------------------------------------------


def get_balance(user, *, now=None):
    """The customer's balance: one or two queries, whatever the history's length.

    A customer without an account has a zero balance; reading never creates
    an account.
    """
    now = now or timezone.now()
    user_id = user_id_of(user)
    soon_days = loyalty_settings.EXPIRING_SOON_DAYS
    horizon = now + timedelta(days=soon_days)
    if database.enabled():
        row = database.balance_rows(user_id, horizon)
        if row is None:
            return _no_balance(now)
        available, pending, reserved, debt, status, lots = row
        return balance_as_of(
            available=available,
            pending=pending,
            reserved=reserved,
            debt=debt,
            blocked=status == Account.BLOCKED,
            lots=[LotView(*lot) for lot in lots],
            now=now,
            soon_days=soon_days,
        )
    try:
        account = Account.objects.get(user_id=user_id)
    except Account.DoesNotExist:
        return _no_balance(now)
    lots = ()
    # next_event_at is never later than the first lot event: with nothing
    # pending and no event before the horizon, no lot needs a look.
    if account.pending or (account.next_event_at is not None and account.next_event_at <= horizon):
        lots = [
            LotView(*row)
            for row in Lot.objects.filter(
                Q(status=Lot.PENDING) | Q(expires_at__lte=horizon),
                account=account,
                status__in=[Lot.PENDING, Lot.ACTIVE],
                remaining__gt=0,
            ).values_list("remaining", "status", "available_at", "expires_at")
        ]
    return balance_as_of(
        available=account.available,
        pending=account.pending,
        reserved=account.reserved,
        debt=account.debt,
        blocked=account.is_blocked,
        lots=lots,
        now=now,
        soon_days=soon_days,
    )


def _no_balance(now):
    return balance_as_of(available=0, pending=0, reserved=0, debt=0, blocked=False, lots=(), now=now, soon_days=0)


# --- Crediting --------------------------------------------------------------


@_replay_on_collision
def accrue(
    user,
    points,
    *,
    key,
    reason,
    order=None,
    order_line="",
    hold_days=None,
    expires_in_days=None,
    origin=None,
    actor=None,
    now=None,
):
    """Credit ``points`` as a new lot and return the lot.

    The lot is pending for ``hold_days`` (default ``OSCAR_LOYALTY_HOLD_DAYS``)
    and expires ``expires_in_days`` after now (default
    ``OSCAR_LOYALTY_EXPIRY_DAYS``). Outstanding debt is paid off first.
    ``order`` is an order number, or anything with a ``number``.
    """
    points = check_points(points)
    key = check_key(key)
    hold_days = check_days(hold_days, name=_("The hold period"), minimum=0)
    expires_in_days = check_days(expires_in_days, name=_("The expiry period"), minimum=1)
    hold_days = loyalty_settings.HOLD_DAYS if hold_days is None else hold_days
    expires_in_days = loyalty_settings.EXPIRY_DAYS if expires_in_days is None else expires_in_days
    if expires_in_days <= hold_days:
        raise InvalidAmount(_("Points would expire before they become available."))
    order_number = _order_number(order)
    origin = origin or (Lot.ORDER if order_number else Lot.MANUAL)
    if origin not in {Lot.ORDER, Lot.MANUAL, Lot.CAMPAIGN, Lot.ERP}:
        raise InvalidOperation(_("Unknown origin of points: %(origin)s.") % {"origin": origin})
    user_id = user_id_of(user)
    actor_user, actor_name = actor_of(actor)
    now = now or timezone.now()
    fp = fingerprint(
        "accrue",
        user=user_id,
        points=points,
        order=order_number,
        line=order_line,
        hold=hold_days,
        expires=expires_in_days,
        origin=origin,
    )
    available_at = now + timedelta(days=hold_days)
    expires_at = now + timedelta(days=expires_in_days)
    if database.enabled():
        lot, replayed = _in_database(
            database.accrue,
            user_id,
            points,
            key=key,
            fingerprint=fp,
            reason=clip(reason),
            order_number=order_number,
            order_line=str(order_line or ""),
            origin=origin,
            available_at=available_at,
            expires_at=expires_at,
            actor_id=actor_user.pk if actor_user is not None else None,
            actor_name=actor_name,
            now=now,
        )
        if not replayed:
            _send_on_commit(signals.points_accrued, lot=lot)
        return lot
    with transaction.atomic():
        account, replayed = _lock_for_operation(user_id, key, fp)
        if replayed is not None:
            return replayed.lot
        if account.is_blocked:
            raise AccountBlocked()
        _settle(account, now)
        lot, paid_off = _credit_lot(
            account,
            points,
            origin=origin,
            available_at=available_at,
            expires_at=expires_at,
            order_number=order_number,
            order_line=str(order_line or ""),
            now=now,
        )
        lot.save()
        bucket = "pending_change" if lot.status == Lot.PENDING else "available_change"
        JournalEntry.objects.create(
            account=account,
            kind=JournalEntry.ACCRUAL,
            points=points,
            debt_change=-paid_off,
            lot=lot,
            order_number=order_number,
            key=key,
            fingerprint=fp,
            actor=actor_user,
            actor_name=actor_name,
            reason=clip(reason),
            created_at=now,
            **{bucket: lot.remaining},
        )
        _save_balances(account, now)
        _send_on_commit(signals.points_accrued, lot=lot)
    return lot


@_replay_on_collision
def adjust(user, points, *, key, reason, actor, origin=None, hold_days=0, expires_in_days=None, now=None):
    """A manual (or accounting-system) correction of ``points``, positive or negative.

    A positive adjustment is a new lot (available at once unless
    ``hold_days``); a negative one takes available points, soonest-expiring
    first, and never more than there are. Returns the journal entry.
    """
    points = check_points(points, signed=True)
    key = check_key(key)
    if not (reason or "").strip():
        raise InvalidOperation(_("A manual adjustment needs a reason."))
    if actor is None or actor == "":
        raise InvalidOperation(_("A manual adjustment needs the name of who made it."))
    origin = origin or Lot.MANUAL
    if origin not in {Lot.MANUAL, Lot.ERP, Lot.CAMPAIGN}:
        raise InvalidOperation(_("Unknown origin of points: %(origin)s.") % {"origin": origin})
    hold_days = check_days(hold_days, name=_("The hold period"), minimum=0) or 0
    expires_in_days = check_days(expires_in_days, name=_("The expiry period"), minimum=1)
    expires_in_days = loyalty_settings.EXPIRY_DAYS if expires_in_days is None else expires_in_days
    if expires_in_days <= hold_days:
        raise InvalidAmount(_("Points would expire before they become available."))
    user_id = user_id_of(user)
    actor_user, actor_name = actor_of(actor)
    now = now or timezone.now()
    kind = JournalEntry.ERP_CORRECTION if origin == Lot.ERP else JournalEntry.ADJUSTMENT
    fp = fingerprint("adjust", user=user_id, points=points, origin=origin, hold=hold_days, expires=expires_in_days)
    with transaction.atomic():
        account, replayed = _lock_for_operation(user_id, key, fp)
        if replayed is not None:
            return replayed
        _settle(account, now)
        entry = JournalEntry(
            account=account,
            kind=kind,
            points=points,
            key=key,
            fingerprint=fp,
            actor=actor_user,
            actor_name=actor_name,
            reason=clip(reason),
            created_at=now,
        )
        if points > 0:
            lot, paid_off = _credit_lot(
                account,
                points,
                origin=origin,
                available_at=now + timedelta(days=hold_days),
                expires_at=now + timedelta(days=expires_in_days),
                order_number="",
                order_line="",
                now=now,
            )
            lot.save()
            entry.lot = lot
            entry.debt_change = -paid_off
            if lot.status == Lot.PENDING:
                entry.pending_change = lot.remaining
            else:
                entry.available_change = lot.remaining
        else:
            taken = _take_available(account, -points, now)
            Lot.objects.bulk_update([lot for lot, _taken in taken], ["remaining"])
            account.available += points
            entry.available_change = points
            if len(taken) == 1:
                entry.lot = taken[0][0]
        entry.save()
        _save_balances(account, now)
        _send_on_commit(signals.points_adjusted, entry=entry)
    return entry


# --- Spending ---------------------------------------------------------------


@_replay_on_collision
def reserve(user, points, *, key, order_number, now=None):
    """Hold ``points`` for an order being placed; returns the reservation.

    The points leave the available balance at once, taken from the lots
    that expire soonest. ``capture`` spends them, ``release`` gives them back;
    a held reservation older than ``OSCAR_LOYALTY_RESERVATION_TIMEOUT_MINUTES``
    is released by the beat task.
    """
    return _spend("reserve", user, points, key=key, order_number=order_number, now=now)


def capture(reservation, *, now=None):
    """Spend a held reservation (the order now exists). Capturing twice is harmless."""
    now = now or timezone.now()
    if database.enabled():
        reservation_id = reservation.pk if isinstance(reservation, Reservation) else reservation
        captured, replayed = database.capture(reservation_id, now=now)
        if isinstance(reservation, Reservation):
            reservation.status, reservation.captured_at = captured.status, captured.captured_at
            captured = reservation
        if not replayed:
            _send_on_commit(signals.points_captured, reservation=captured)
        return captured
    with transaction.atomic():
        account, reservation = _lock_reservation(reservation, fresh=False)
        # Under the account's lock: claim the reservation if it is still held.
        claimed = Reservation.objects.filter(pk=reservation.pk, status=Reservation.HELD).update(
            status=Reservation.CAPTURED, captured_at=now
        )
        if not claimed:
            reservation.refresh_from_db(fields=["status", "captured_at", "released_at"])
            if reservation.status == Reservation.CAPTURED:
                return reservation
            raise ReservationReleased()
        _capture_held(account, reservation, now)
        _save_balances(account, now)
        _send_on_commit(signals.points_captured, reservation=reservation)
    return reservation


@_replay_on_collision
def redeem(user, points, *, key, order_number, now=None):
    """Reserve and capture in one transaction, for spending outside checkout."""
    return _spend("redeem", user, points, key=key, order_number=order_number, now=now)


def _spend(operation, user, points, *, key, order_number, now):
    points = check_points(points)
    key = check_key(key)
    order_number = _required_order_number(order_number)
    user_id = user_id_of(user)
    now = now or timezone.now()
    fp = fingerprint(operation, user=user_id, points=points, order=order_number)
    if database.enabled():
        try:
            reservation, replayed = database.spend(
                user_id,
                points,
                key=key,
                fingerprint=fp,
                order_number=order_number,
                capture=operation == "redeem",
                expires_at=now + timedelta(minutes=loyalty_settings.RESERVATION_TIMEOUT_MINUTES),
                now=now,
            )
        except database.NoAccount:
            # Nothing to spend; and a refused operation leaves no account behind.
            if not get_user_model().objects.filter(pk=user_id).exists():
                raise UnknownCustomer() from None
            raise InsufficientPoints.of(0, points) from None
        if not replayed:
            signal = signals.points_captured if operation == "redeem" else signals.points_reserved
            _send_on_commit(signal, reservation=reservation)
        return reservation
    with transaction.atomic():
        account, replayed = _lock_for_operation(user_id, key, fp)
        if replayed is not None:
            return replayed.reservation
        reservation = _hold(account, points, key=key, fp=fp, order_number=order_number, now=now)
        if operation == "redeem":
            Reservation.objects.filter(pk=reservation.pk).update(status=Reservation.CAPTURED, captured_at=now)
            _capture_held(account, reservation, now)
        _save_balances(account, now)
        signal = signals.points_captured if operation == "redeem" else signals.points_reserved
        _send_on_commit(signal, reservation=reservation)
    return reservation


def release(reservation, *, reason="", now=None):
    """Give a held reservation's points back to the lots they came from.

    Points whose lot expired while they were held expire now. Releasing twice
    is harmless; releasing a captured reservation is refused (reverse the
    order instead).
    """
    now = now or timezone.now()
    with transaction.atomic():
        account, reservation = _lock_reservation(reservation)
        if reservation.status == Reservation.RELEASED:
            return reservation
        if reservation.status == Reservation.CAPTURED:
            raise ReservationCaptured()
        _settle(account, now)
        writes = _Writes()
        _unhold(
            account,
            reservation,
            _allocations(reservation),
            writes,
            key=f"{reservation.key}:release",
            reason=reason,
            now=now,
        )
        writes.flush()
        _save_balances(account, now)
        _send_on_commit(signals.points_released, reservation=reservation)
    return reservation


# --- Reversing --------------------------------------------------------------


def reverse_order(order_number, *, fraction=1, key=None, reason="", actor=None, now=None):
    """Undo an order's points, in full or for the returned share of it.

    ``fraction`` is the share of the order this reversal covers (a partial
    return of 30% is ``Decimal("0.3")``); successive reversals add up to at
    most the whole order, and the last one is clipped to what is left. Per
    lot and per spent allocation the reversed amount is
    ``round_half_up(points × share reversed so far)``, so a series of
    partial returns ends exactly where a full one would.

    What the order accrued is taken back from its lots; what was spent of
    them already becomes debt that later credits pay off first. What the order
    spent goes back into its original lots with their original expiry, or,
    if a lot has expired since, into a new lot that lives for
    ``OSCAR_LOYALTY_RESTORE_GRACE_DAYS``. A full reversal also releases the
    order's held reservations.

    A full reversal's key defaults to the order number; a partial one needs
    its own (e.g. the return's number). Returns the ``Reversal`` record (kept
    even for an order that moved no points, so the share returned is known),
    or ``None`` when the order was already reversed in full.
    """
    order_number = _required_order_number(order_number)
    fraction = check_fraction(fraction)
    if key is None:
        if fraction != 1:
            raise InvalidOperation(_("A partial reversal needs its own key, e.g. the return's number."))
        key = f"reverse:{order_number}"
    key = check_key(key)
    actor_user, actor_name = actor_of(actor)
    now = now or timezone.now()
    fp = fingerprint("reverse", order=order_number, fraction=fraction)
    with transaction.atomic():
        account_ids = set(
            Lot.objects.filter(order_number=order_number)
            .exclude(origin=Lot.RESTORE)
            .values_list("account_id", flat=True)
        )
        account_ids.update(Reservation.objects.filter(order_number=order_number).values_list("account_id", flat=True))
        accounts = _lock_accounts(account_ids)
        existing = Reversal.objects.filter(key=key).first()
        if existing is not None:
            if existing.fingerprint != fp:
                raise IdempotencyConflict()
            return existing
        before = Reversal.objects.filter(order_number=order_number).aggregate(done=Max("cumulative_fraction"))["done"]
        before = before or Decimal(0)
        after = min(Decimal(1), before + fraction)
        if after <= before:
            return None  # the order is fully reversed already
        for account in accounts.values():
            _settle(account, now)

        writes = _Writes()
        reversal = Reversal(
            order_number=order_number,
            key=key,
            fingerprint=fp,
            fraction=after - before,
            cumulative_fraction=after,
            actor=actor_user,
            actor_name=actor_name,
            reason=clip(reason),
            created_at=now,
        )
        common = dict(order_number=order_number, actor=actor_user, actor_name=actor_name, reason=clip(reason))
        _take_back_accruals(accounts, reversal, writes, after=after, key=key, now=now, common=common)
        _restore_spent(accounts, reversal, writes, after=after, key=key, now=now, common=common)
        if after == 1:
            held = Reservation.objects.filter(order_number=order_number, status=Reservation.HELD).order_by("pk")
            for reservation in held:
                _unhold(
                    accounts[reservation.account_id],
                    reservation,
                    _allocations(reservation),
                    writes,
                    key=f"{key}:release:{reservation.pk}",
                    reason=reason,
                    now=now,
                )
                reversal.reservations_released += 1
        reversal.save()
        for entry in writes.entries:
            entry.reversal = reversal
        writes.flush()
        for account in accounts.values():
            _save_balances(account, now)
        _send_on_commit(signals.order_reversed, reversal=reversal)
    return reversal


def _take_back_accruals(accounts, reversal, writes, *, after, key, now, common):
    lots = Lot.objects.filter(order_number=reversal.order_number).exclude(origin=Lot.RESTORE).order_by("pk")
    for lot in lots:
        delta = share(lot.points, after) - lot.reversed_points
        if delta <= 0:
            continue
        account = accounts[lot.account_id]
        was_pending = lot.status == Lot.PENDING
        taken = min(delta, lot.remaining)
        from_expired = min(delta - taken, lot.expired_points)
        owed = delta - taken - from_expired
        lot.remaining -= taken
        lot.expired_points -= from_expired
        lot.reversed_points += delta
        if lot.remaining == 0 and lot.reversed_points == lot.points and lot.status in (Lot.PENDING, Lot.ACTIVE):
            lot.status = Lot.VOIDED
        writes.lots[lot.pk] = lot
        if was_pending:
            account.pending -= taken
        else:
            account.available -= taken
        account.debt += owed
        reversal.points_reversed += delta
        reversal.debt_created += owed
        if taken or owed:
            writes.entries.append(
                JournalEntry(
                    account=account,
                    kind=JournalEntry.REVERSAL,
                    points=-(taken + owed),
                    pending_change=-taken if was_pending else 0,
                    available_change=0 if was_pending else -taken,
                    debt_change=owed,
                    lot=lot,
                    key=f"{key}:lot:{lot.pk}",
                    created_at=now,
                    **common,
                )
            )


def _restore_spent(accounts, reversal, writes, *, after, key, now, common):
    allocations = (
        Allocation.objects.filter(
            reservation__order_number=reversal.order_number, reservation__status=Reservation.CAPTURED
        )
        .select_related("lot", "reservation")
        .order_by("pk")
    )
    for allocation in allocations:
        restored = share(allocation.points, after) - allocation.restored_points
        if restored <= 0:
            continue
        account = accounts[allocation.reservation.account_id]
        allocation.restored_points += restored
        writes.allocations.append(allocation)
        paid_off = _pay_debt(account, restored)
        back = restored - paid_off
        lot = writes.lots.get(allocation.lot_id, allocation.lot)
        if _still_live(lot, now):
            lot.remaining += back
            if back and lot.status == Lot.VOIDED:
                lot.status = Lot.ACTIVE
            writes.lots[lot.pk] = lot
            account.next_event_at = _earliest(account.next_event_at, lot.expires_at)
        elif back:
            lot = Lot(
                account=account,
                points=back,
                remaining=back,
                status=Lot.ACTIVE,
                available_at=now,
                expires_at=now + timedelta(days=loyalty_settings.RESTORE_GRACE_DAYS),
                origin=Lot.RESTORE,
                order_number=reversal.order_number,
                parent=lot,
                created_at=now,
            )
            writes.new_lots.append(lot)
            account.next_event_at = _earliest(account.next_event_at, lot.expires_at)
        account.available += back
        reversal.points_restored += restored
        writes.entries.append(
            JournalEntry(
                account=account,
                kind=JournalEntry.RESTORATION,
                points=restored,
                available_change=back,
                debt_change=-paid_off,
                lot=lot,
                reservation=allocation.reservation,
                key=f"{key}:allocation:{allocation.pk}",
                created_at=now,
                **common,
            )
        )


# --- Account state ----------------------------------------------------------


def set_blocked(user, blocked):
    """Block (or unblock) a customer's account: a blocked account neither earns nor spends."""
    user_id = user_id_of(user)
    with transaction.atomic():
        account = _lock_account(user_id)
        account.status = Account.BLOCKED if blocked else Account.ACTIVE
        account.save(update_fields=["status", "updated_at"])
    return account


# --- Internals: locking and idempotency ---------------------------------------


def _in_database(function, user_id, *args, **kwargs):
    """Run a database function for the customer, creating their account first if they have none."""
    try:
        return function(user_id, *args, **kwargs)
    except database.NoAccount:
        pass
    with transaction.atomic():  # the new account is written with the operation, or not at all
        _lock_account(user_id)
        return function(user_id, *args, **kwargs)


def _lock_account(user_id):
    """The customer's account row, locked; created on first use."""
    try:
        return Account.objects.select_for_update().get(user_id=user_id)
    except Account.DoesNotExist:
        pass
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise UnknownCustomer()
    try:
        with transaction.atomic():
            Account.objects.create(user_id=user_id, customer_name=display_name(user))
    except IntegrityError:
        pass  # created concurrently: lock theirs
    return Account.objects.select_for_update().get(user_id=user_id)


def _lock_accounts(account_ids):
    """Several accounts locked in primary-key order, so two callers never deadlock."""
    if not account_ids:
        return {}
    locked = Account.objects.select_for_update().filter(pk__in=sorted(account_ids)).order_by("pk")
    return {account.pk: account for account in locked}


def _lock_reservation(reservation, *, fresh=True):
    """Lock the reservation's account, then (if ``fresh``) read the reservation again under that lock.

    Without ``fresh`` the caller gets the instance it passed and must only
    trust its immutable fields (points, key, order number, account).
    """
    if isinstance(reservation, Reservation):
        if not fresh:
            return Account.objects.select_for_update().get(pk=reservation.account_id), reservation
        reservation_id, account_id = reservation.pk, reservation.account_id
    else:
        reservation_id = reservation
        account_id = Reservation.objects.filter(pk=reservation_id).values_list("account_id", flat=True).first()
        if account_id is None:
            raise InvalidOperation(_("There is no such reservation."))
    account = Account.objects.select_for_update().get(pk=account_id)
    return account, Reservation.objects.get(pk=reservation_id)


def _lock_for_operation(user_id, key, fp):
    """Lock the customer's account and look up the operation's key, in one round trip.

    Returns ``(account, entry)``: the entry an earlier call with this key
    wrote, or None. The key is read in the lock statement's snapshot, which
    can predate a call with the same key that committed while this one waited
    for the lock; the write then collides on the key's unique index and
    ``_replay_on_collision`` runs the operation again, which finds it.
    """
    earlier = JournalEntry.objects.filter(key=key).values("fingerprint")[:1]
    account = (
        Account.objects.select_for_update()
        .annotate(replay_fingerprint=Subquery(earlier))
        .filter(user_id=user_id)
        .first()
    )
    if account is None:
        return _lock_account(user_id), _replayed(key, fp)
    if account.replay_fingerprint is None:
        return account, None
    if account.replay_fingerprint != fp:
        raise IdempotencyConflict()
    return account, _replayed(key, fp)


def _replayed(key, fp):
    """The entry an earlier call with this key wrote, or None; refuses a key reused differently."""
    entry = JournalEntry.objects.filter(key=key).select_related("lot", "reservation").order_by().first()
    if entry is not None and entry.fingerprint != fp:
        raise IdempotencyConflict()
    return entry


def _order_number(order):
    if order is None or order == "":
        return ""
    number = getattr(order, "number", order)
    if isinstance(number, bool):
        raise InvalidOperation(_("An order number is required."))
    number = str(number).strip()
    if len(number) > 128:
        raise InvalidOperation(_("An order number may be at most 128 characters long."))
    return number


def _required_order_number(order):
    number = _order_number(order)
    if not number:
        raise InvalidOperation(_("An order number is required."))
    return number


def _send_on_commit(signal, **kwargs):
    transaction.on_commit(lambda: signal.send_robust(sender=Account, **kwargs))


# --- Internals: balances and lots -------------------------------------------


class _Writes:
    """Rows changed by one operation, written with a fixed number of queries."""

    def __init__(self):
        self.lots = {}
        self.new_lots = []
        self.allocations = []
        self.reservations = []
        self.entries = []

    def flush(self):
        if self.new_lots:
            Lot.objects.bulk_create(self.new_lots)
        if self.lots:
            Lot.objects.bulk_update(list(self.lots.values()), LOT_STATE_FIELDS)
        if self.allocations:
            Allocation.objects.bulk_update(self.allocations, ["restored_points"])
        if self.reservations:
            Reservation.objects.bulk_update(self.reservations, ["status", "released_at"])
        if self.entries:
            JournalEntry.objects.bulk_create(self.entries)


def _save_balances(account, now):
    account.updated_at = now
    Account.objects.filter(pk=account.pk).update(**{name: getattr(account, name) for name in ACCOUNT_BALANCE_FIELDS})


def _still_live(lot, now):
    """Whether points may go back into ``lot``: not expired, by its date or by a pass already run.

    Both count: an operation's ``now`` can be a moment older than that of a
    beat pass that committed first.
    """
    return lot.status != Lot.EXPIRED and lot.expires_at > now


def _earliest(current, candidate):
    return candidate if current is None or candidate < current else current


def _pay_debt(account, points):
    paid_off = min(account.debt, points)
    account.debt -= paid_off
    return paid_off


def _credit_lot(account, points, *, origin, available_at, expires_at, order_number, order_line, now):
    """A new lot for a credit, its points paying off debt first; the caller saves it."""
    paid_off = _pay_debt(account, points)
    remaining = points - paid_off
    pending = available_at > now
    lot = Lot(
        account=account,
        points=points,
        remaining=remaining,
        status=Lot.PENDING if pending else Lot.ACTIVE,
        available_at=available_at,
        expires_at=expires_at,
        origin=origin,
        order_number=order_number,
        order_line=order_line,
        created_at=now,
    )
    if pending:
        account.pending += remaining
    else:
        account.available += remaining
    if remaining:
        account.next_event_at = _earliest(account.next_event_at, available_at if pending else expires_at)
    return lot, paid_off


def _take_available(account, points, now):
    """Take ``points`` from the account's available lots, soonest-expiring first."""
    if points > account.available:
        raise InsufficientPoints.of(account.available, points)
    lots = Lot.objects.filter(account=account, status=Lot.ACTIVE, remaining__gt=0, expires_at__gt=now).order_by(
        "expires_at", "pk"
    )
    taken = allocate([(lot, lot.remaining) for lot in lots.only("pk", "remaining", "expires_at")], points)
    for lot, amount in taken:
        lot.remaining -= amount
    return taken


def _hold(account, points, *, key, fp, order_number, now):
    if account.is_blocked:
        raise AccountBlocked()
    _settle(account, now)
    taken = _take_available(account, points, now)
    Lot.objects.bulk_update([lot for lot, _amount in taken], ["remaining"])
    reservation = Reservation.objects.create(
        account=account,
        points=points,
        order_number=order_number,
        key=key,
        created_at=now,
        expires_at=now + timedelta(minutes=loyalty_settings.RESERVATION_TIMEOUT_MINUTES),
    )
    Allocation.objects.bulk_create(
        [Allocation(reservation=reservation, lot=lot, points=amount) for lot, amount in taken]
    )
    JournalEntry.objects.create(
        account=account,
        kind=JournalEntry.RESERVATION,
        points=0,
        available_change=-points,
        reserved_change=points,
        reservation=reservation,
        order_number=order_number,
        key=key,
        fingerprint=fp,
        created_at=now,
    )
    account.available -= points
    account.reserved += points
    return reservation


def _capture_held(account, reservation, now):
    """Write the redemption of a reservation whose row the caller has marked captured."""
    JournalEntry.objects.create(
        account=account,
        kind=JournalEntry.REDEMPTION,
        points=-reservation.points,
        reserved_change=-reservation.points,
        reservation=reservation,
        order_number=reservation.order_number,
        key=f"{reservation.key}:capture",
        created_at=now,
    )
    reservation.status = Reservation.CAPTURED
    reservation.captured_at = now
    account.reserved -= reservation.points


def _allocations(reservation):
    return list(reservation.allocations.select_related("lot").order_by("pk"))


def _unhold(account, reservation, allocations, writes, *, key, reason, now):
    """Put a held reservation's points back into its lots (the account is locked).

    Points whose lot has expired meanwhile expire with it: a reservation is
    no way to extend a lot's life.
    """
    back = 0
    for allocation in allocations:
        lot = writes.lots.get(allocation.lot_id, allocation.lot)
        if _still_live(lot, now):
            lot.remaining += allocation.points
            if lot.status == Lot.VOIDED:
                lot.status = Lot.ACTIVE
            back += allocation.points
            account.next_event_at = _earliest(account.next_event_at, lot.expires_at)
        else:
            lot.expired_points += allocation.points
        writes.lots[lot.pk] = lot
    # Returning points settle debt first; the lots they came from give up
    # what went to the debt, soonest-expiring first.
    paid_off = _pay_debt(account, back)
    if paid_off:
        still_owed = paid_off
        for lot in sorted(writes.lots.values(), key=lambda lot: (lot.expires_at, lot.pk)):
            if lot.account_id != account.pk or not _still_live(lot, now) or still_owed == 0:
                continue
            take = min(lot.remaining, still_owed)
            lot.remaining -= take
            still_owed -= take
    account.reserved -= reservation.points
    account.available += back - paid_off
    reservation.status = Reservation.RELEASED
    reservation.released_at = now
    writes.reservations.append(reservation)
    writes.entries.append(
        JournalEntry(
            account=account,
            kind=JournalEntry.RELEASE,
            points=back - reservation.points,
            available_change=back - paid_off,
            reserved_change=-reservation.points,
            debt_change=-paid_off,
            reservation=reservation,
            order_number=reservation.order_number,
            key=key,
            reason=clip(reason),
            created_at=now,
        )
    )


def _settle(account, now):
    """Activate and expire the account's lots whose time has come (the account is locked)."""
    if account.next_event_at is None or account.next_event_at > now:
        return
    due = Lot.objects.filter(
        Q(status=Lot.PENDING, available_at__lte=now) | Q(expires_at__lte=now),
        account=account,
        status__in=[Lot.PENDING, Lot.ACTIVE],
    ).order_by("pk")
    entries, lots = [], []
    for lot in due:
        if lot.status == Lot.PENDING and lot.available_at <= now:
            if lot.remaining:
                entries.append(_activation_entry(account, lot))
            account.pending -= lot.remaining
            account.available += lot.remaining
            lot.status = Lot.ACTIVE
        if lot.expires_at <= now:
            if lot.remaining:
                entries.append(_expiry_entry(account, lot, lot.remaining))
                account.available -= lot.remaining
            lot.expired_points += lot.remaining
            lot.remaining = 0
            lot.status = Lot.EXPIRED
        lots.append(lot)
    if lots:
        Lot.objects.bulk_update(lots, ["status", "remaining", "expired_points"])
    if entries:
        JournalEntry.objects.bulk_create(entries)
    account.next_event_at = _next_event(account.pk)


def _next_event(account_id):
    upcoming = Lot.objects.filter(
        account_id=account_id, status__in=[Lot.PENDING, Lot.ACTIVE], remaining__gt=0
    ).aggregate(activation=Min("available_at", filter=Q(status=Lot.PENDING)), expiry=Min("expires_at"))
    dates = [d for d in (upcoming["activation"], upcoming["expiry"]) if d is not None]
    return min(dates) if dates else None


def _activation_entry(account, lot):
    return JournalEntry(
        account=account,
        kind=JournalEntry.ACTIVATION,
        points=0,
        available_change=lot.remaining,
        pending_change=-lot.remaining,
        lot=lot,
        order_number=lot.order_number,
        key=f"activate:{lot.pk}",
        created_at=lot.available_at,
    )


def _expiry_entry(account, lot, points):
    return JournalEntry(
        account=account,
        kind=JournalEntry.EXPIRY,
        points=-points,
        available_change=-points,
        lot=lot,
        order_number=lot.order_number,
        key=f"expire:{lot.pk}",
        created_at=lot.expires_at,
    )
