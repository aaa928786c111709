"""Reversing an order's points: cancellations and returns."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from oscar_loyalty import signals
from oscar_loyalty.ledger.accounts import lock_accounts, required_order_number, send_on_commit
from oscar_loyalty.ledger.calculations import check_fraction, check_key, fingerprint
from oscar_loyalty.ledger.calculations import share as points_share
from oscar_loyalty.ledger.exceptions import IdempotencyConflict, InvalidOperation
from oscar_loyalty.ledger.lots import (
    Writes,
    allocations_of,
    earliest,
    pay_debt,
    save_balances,
    settle,
    still_live,
    unhold,
)
from oscar_loyalty.ledger.people import actor_of, clip
from oscar_loyalty.settings import loyalty_settings

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from oscar_loyalty.abstract_models import AbstractReversal

Lot = get_model("oscar_loyalty", "Lot")
Reservation = get_model("oscar_loyalty", "Reservation")
Allocation = get_model("oscar_loyalty", "Allocation")
Reversal = get_model("oscar_loyalty", "Reversal")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")


WHOLE: Any = object()  # no share given: the whole order


def reverse_order(
    order_number: str,
    *,
    fraction: Decimal | Fraction | int | str = WHOLE,
    share: Decimal | Fraction | int | str | None = None,
    key: str | None = None,
    reason: str = "",
    actor: AbstractBaseUser | str | None = None,
    now: datetime | None = None,
) -> AbstractReversal | None:
    """Undo an order's points, in full or for the returned share of it.

    Give either ``fraction`` or ``share`` (neither: the whole order).

    ``fraction`` is the share of the order this reversal covers (a partial
    return of 30% is ``Decimal("0.3")``); successive reversals add up to at
    most the whole order, and the last one is clipped to what is left.

    ``share`` is a target: the share of the order that stands returned from
    now on, in [0, 1], whatever was returned before. It moves the order both
    ways: a lower share than before gives the accrual back to its lots and
    takes back the spent points that were restored (from the lot they went
    back to, as far as it still holds them; the rest becomes debt). A share
    already in force changes nothing and returns None. This is how an
    accounting system's edits of an order apply, and how an accrual that
    comes after a refund honours it.

    Per lot and per spent allocation the reversed amount is
    ``round_half_up(points × share reversed so far)``, so a series of
    partial returns ends exactly where a full one would.

    What the order accrued is taken back from its lots; what was spent of
    them already becomes debt that later credits pay off first. What the order
    spent goes back into its original lots with their original expiry, or,
    if a lot has expired since, into a new lot that lives for
    ``OSCAR_LOYALTY_RESTORE_GRACE_DAYS``. A full reversal also releases the
    order's held reservations.

    A full reversal's key defaults to the order number; any other needs its
    own (e.g. the return's number). Returns the ``Reversal`` record (kept
    even for an order that moved no points, so the share returned is known),
    or ``None`` when there was nothing left to do.
    """
    order_number = required_order_number(order_number)
    if share is not None and fraction is not WHOLE:
        raise InvalidOperation(_("A reversal takes a share of the order or a target share, not both."))
    if share is not None:
        target = check_fraction(share, allow_zero=True)
        fp = fingerprint("reverse-to", order=order_number, share=target)
    else:
        target = None
        fraction = check_fraction(1 if fraction is WHOLE else fraction)
        fp = fingerprint("reverse", order=order_number, fraction=fraction)
    if key is None:
        if target is not None or fraction != 1:
            raise InvalidOperation(_("A partial reversal needs its own key, e.g. the return's number."))
        key = f"reverse:{order_number}"
    key = check_key(key)
    actor_user, actor_name = actor_of(actor)
    now = now or timezone.now()
    with transaction.atomic():
        account_ids = set(
            Lot.objects.filter(order_number=order_number)
            .exclude(origin=Lot.RESTORE)
            .values_list("account_id", flat=True)
        )
        account_ids.update(Reservation.objects.filter(order_number=order_number).values_list("account_id", flat=True))
        accounts = lock_accounts(account_ids)
        existing = Reversal.objects.filter(key=key).first()
        if existing is not None:
            if existing.fingerprint != fp:
                raise IdempotencyConflict()
            return existing
        before = returned_share(order_number)
        if target is None:
            after = min(Decimal(1), before + fraction)
            if after <= before:
                return None  # the order is fully reversed already
        else:
            after = target
        for account in accounts.values():
            settle(account, now)

        writes = Writes()
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
        held = []
        if after == 1:
            held = Reservation.objects.filter(order_number=order_number, status=Reservation.HELD).order_by("pk")
            for reservation in held:
                unhold(
                    accounts[reservation.account_id],
                    reservation,
                    allocations_of(reservation),
                    writes,
                    key=f"{key}:release:{reservation.pk}",
                    reason=reason,
                    now=now,
                )
                reversal.reservations_released += 1
        if after == before and not (writes.lots or writes.allocations or writes.entries):
            return None  # the target share is in force already, on every lot
        reversal.save()
        for entry in writes.entries:
            entry.reversal = reversal
        writes.flush()
        for account in accounts.values():
            save_balances(account, now)
        send_on_commit(signals.order_reversed, reversal=reversal)
    return reversal


def returned_share(order_number: str) -> Decimal:
    """The share of the order that stands returned: the latest reversal's, or 0."""
    latest = (
        Reversal.objects.filter(order_number=order_number)
        .order_by("-pk")
        .values_list("cumulative_fraction", flat=True)[:1]
    )
    return latest[0] if latest else Decimal(0)


def _take_back_accruals(accounts, reversal, writes, *, after, key, now, common):
    lots = Lot.objects.filter(order_number=reversal.order_number).exclude(origin=Lot.RESTORE).order_by("pk")
    for lot in lots:
        delta = points_share(lot.points, after) - lot.reversed_points
        if delta > 0:
            _take_back(accounts[lot.account_id], lot, delta, reversal, writes, key=key, now=now, common=common)
        elif delta < 0:
            _give_back(accounts[lot.account_id], lot, -delta, reversal, writes, key=key, now=now, common=common)


def _take_back(account, lot, delta, reversal, writes, *, key, now, common):
    """Take ``delta`` of a lot's accrual back: from what it holds, then from what expired, the rest as debt."""
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


def _give_back(account, lot, points, reversal, writes, *, key, now, common):
    """Return ``points`` of a reversed accrual to its lot (the order's returned share went down).

    They pay off debt first, as every credit does. A lot that has expired
    since keeps them as expired: they would have expired with it.
    """
    lot.reversed_points -= points
    if not still_live(lot, now):
        lot.expired_points += points
        writes.lots[lot.pk] = lot
        reversal.points_reversed -= points
        return
    paid_off = pay_debt(account, points)
    back = points - paid_off
    if lot.status == Lot.VOIDED:
        lot.status = Lot.PENDING if lot.available_at > now else Lot.ACTIVE
    pending = lot.status == Lot.PENDING
    lot.remaining += back
    writes.lots[lot.pk] = lot
    if pending:
        account.pending += back
    else:
        account.available += back
    if back:
        account.next_event_at = earliest(account.next_event_at, lot.available_at if pending else lot.expires_at)
    reversal.points_reversed -= points
    writes.entries.append(
        JournalEntry(
            account=account,
            kind=JournalEntry.REVERSAL,
            points=points,
            pending_change=back if pending else 0,
            available_change=0 if pending else back,
            debt_change=-paid_off,
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
        restored = points_share(allocation.points, after) - allocation.restored_points
        account = accounts[allocation.reservation.account_id]
        if restored > 0:
            _restore(account, allocation, restored, reversal, writes, key=key, now=now, common=common)
        elif restored < 0:
            _unrestore(account, allocation, -restored, reversal, writes, key=key, now=now, common=common)


def _restore(account, allocation, restored, reversal, writes, *, key, now, common):
    """Give back ``restored`` spent points: into their lot while it lives, else into a grace lot."""
    allocation.restored_points += restored
    writes.allocations.append(allocation)
    paid_off = pay_debt(account, restored)
    back = restored - paid_off
    lot = writes.lots.get(allocation.lot_id, allocation.lot)
    if still_live(lot, now):
        lot.remaining += back
        if back and lot.status == Lot.VOIDED:
            lot.status = Lot.ACTIVE
        writes.lots[lot.pk] = lot
        account.next_event_at = earliest(account.next_event_at, lot.expires_at)
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
        account.next_event_at = earliest(account.next_event_at, lot.expires_at)
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


def _unrestore(account, allocation, points, reversal, writes, *, key, now, common):
    """Take back ``points`` restored to the customer (the order's returned share went down).

    From the lot they went back to (the original, or the grace lots made for
    them) as far as it still holds them; what the customer spent since
    becomes debt, as an accrual taken back does.
    """
    allocation.restored_points -= points
    writes.allocations.append(allocation)
    original = writes.lots.get(allocation.lot_id, allocation.lot)
    holders = [original] if still_live(original, now) else []
    holders += [
        writes.lots.get(lot.pk, lot)
        for lot in Lot.objects.filter(
            parent_id=allocation.lot_id,
            origin=Lot.RESTORE,
            order_number=reversal.order_number,
            status=Lot.ACTIVE,
            remaining__gt=0,
            expires_at__gt=now,
        ).order_by("pk")
    ]
    taken, entry_lot = 0, None
    for lot in holders:
        take = min(lot.remaining, points - taken)
        if take <= 0:
            continue
        lot.remaining -= take
        writes.lots[lot.pk] = lot
        taken += take
        entry_lot = entry_lot or lot
    owed = points - taken
    account.available -= taken
    account.debt += owed
    reversal.points_restored -= points
    reversal.debt_created += owed
    writes.entries.append(
        JournalEntry(
            account=account,
            kind=JournalEntry.RESTORATION,
            points=-points,
            available_change=-taken,
            debt_change=owed,
            lot=entry_lot,
            reservation=allocation.reservation,
            key=f"{key}:allocation:{allocation.pk}",
            created_at=now,
            **common,
        )
    )
