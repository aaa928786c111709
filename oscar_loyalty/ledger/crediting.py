"""Crediting points: accruals and manual or accounting-system adjustments."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from oscar_loyalty import signals
from oscar_loyalty.ledger import database, terms
from oscar_loyalty.ledger.accounts import (
    clean_order_number,
    in_database,
    lock_for_operation,
    replay_on_collision,
    send_on_commit,
)
from oscar_loyalty.ledger.calculations import check_days, check_key, check_points, fingerprint
from oscar_loyalty.ledger.exceptions import AccountBlocked, InvalidAmount, InvalidOperation
from oscar_loyalty.ledger.lots import credit_lot, save_balances, settle, take_available
from oscar_loyalty.ledger.people import actor_of, clip, user_id_of
from oscar_loyalty.settings import loyalty_settings

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from oscar.apps.order.abstract_models import AbstractOrder

    from oscar_loyalty.abstract_models import AbstractJournalEntry, AbstractLot

Lot = get_model("oscar_loyalty", "Lot")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")


@replay_on_collision
def accrue(
    user: AbstractBaseUser | int,
    points: int,
    *,
    key: str,
    reason: str,
    order: AbstractOrder | str | None = None,
    order_line: str = "",
    hold_days: int | None = None,
    expires_in_days: int | None = None,
    origin: str | None = None,
    actor: AbstractBaseUser | str | None = None,
    now: datetime | None = None,
    channel: str | None = None,
    spend_terms: dict | None = None,
) -> AbstractLot:
    """Credit ``points`` as a new lot and return the lot.

    The lot is pending for ``hold_days`` (default ``OSCAR_LOYALTY_HOLD_DAYS``)
    and expires ``expires_in_days`` after now (default
    ``OSCAR_LOYALTY_EXPIRY_DAYS``). Outstanding debt is paid off first.
    ``order`` is an order number, or anything with a ``number``. ``channel``
    records where the points were earned; ``spend_terms`` restricts what the
    lot may pay for (see ``oscar_loyalty.ledger.terms``).
    """
    points = check_points(points)
    key = check_key(key)
    hold_days = check_days(hold_days, name=_("The hold period"), minimum=0)
    expires_in_days = check_days(expires_in_days, name=_("The expiry period"), minimum=1)
    hold_days = loyalty_settings.HOLD_DAYS if hold_days is None else hold_days
    expires_in_days = loyalty_settings.EXPIRY_DAYS if expires_in_days is None else expires_in_days
    if expires_in_days <= hold_days:
        raise InvalidAmount(_("Points would expire before they become available."))
    order_number = clean_order_number(order)
    origin = origin or (Lot.ORDER if order_number else Lot.MANUAL)
    if origin not in {Lot.ORDER, Lot.MANUAL, Lot.CAMPAIGN, Lot.ERP}:
        raise InvalidOperation(_("Unknown origin of points: %(origin)s.") % {"origin": origin})
    spend_terms = terms.check_terms(spend_terms)
    channel = str(channel)[:64] if channel else None
    user_id = user_id_of(user)
    actor_user, actor_name = actor_of(actor)
    now = now or timezone.now()
    # Lot terms join the fingerprint only when given: keys written before them replay as they did.
    extra = {"terms": spend_terms} if spend_terms else {}
    fp = fingerprint(
        "accrue",
        user=user_id,
        points=points,
        order=order_number,
        line=order_line,
        hold=hold_days,
        expires=expires_in_days,
        origin=origin,
        **extra,
    )
    available_at = now + timedelta(days=hold_days)
    expires_at = now + timedelta(days=expires_in_days)
    if database.enabled():
        # The database function predates the channel and the terms: they are set in the same transaction.
        with transaction.atomic() if (channel or spend_terms) else nullcontext():
            lot, replayed = in_database(
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
            if not replayed and (channel or spend_terms):
                Lot.objects.filter(pk=lot.pk).update(channel=channel, spend_terms=spend_terms)
                lot.channel, lot.spend_terms = channel, spend_terms
        if not replayed:
            send_on_commit(signals.points_accrued, lot=lot)
        return lot
    with transaction.atomic():
        account, replayed = lock_for_operation(user_id, key, fp)
        if replayed is not None:
            return replayed.lot
        if account.is_blocked:
            raise AccountBlocked()
        settle(account, now)
        lot, paid_off = credit_lot(
            account,
            points,
            origin=origin,
            available_at=available_at,
            expires_at=expires_at,
            order_number=order_number,
            order_line=str(order_line or ""),
            now=now,
            channel=channel,
            spend_terms=spend_terms,
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
        save_balances(account, now)
        send_on_commit(signals.points_accrued, lot=lot)
    return lot


@replay_on_collision
def adjust(
    user: AbstractBaseUser | int,
    points: int,
    *,
    key: str,
    reason: str,
    actor: AbstractBaseUser | str,
    origin: str | None = None,
    hold_days: int = 0,
    expires_in_days: int | None = None,
    now: datetime | None = None,
) -> AbstractJournalEntry:
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
        account, replayed = lock_for_operation(user_id, key, fp)
        if replayed is not None:
            return replayed
        settle(account, now)
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
            lot, paid_off = credit_lot(
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
            taken = take_available(account, -points, now)
            Lot.objects.bulk_update([lot for lot, _taken in taken], ["remaining"])
            account.available += points
            entry.available_change = points
            if len(taken) == 1:
                entry.lot = taken[0][0]
        entry.save()
        save_balances(account, now)
        send_on_commit(signals.points_adjusted, entry=entry)
    return entry
