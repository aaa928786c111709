"""Spending points: reserve, capture and release for checkout; redeem outside it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty import signals
from oscar_loyalty.ledger import database
from oscar_loyalty.ledger.accounts import (
    lock_for_operation,
    lock_reservation,
    replay_on_collision,
    required_order_number,
    send_on_commit,
)
from oscar_loyalty.ledger.calculations import check_key, check_points, fingerprint
from oscar_loyalty.ledger.exceptions import (
    InsufficientPoints,
    ReservationCaptured,
    ReservationReleased,
    UnknownCustomer,
)
from oscar_loyalty.ledger.lots import Writes, allocations_of, capture_held, hold, save_balances, settle, unhold
from oscar_loyalty.ledger.people import user_id_of
from oscar_loyalty.ledger.terms import SpendBasket
from oscar_loyalty.settings import loyalty_settings

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from oscar_loyalty.abstract_models import AbstractReservation

Reservation = get_model("oscar_loyalty", "Reservation")


@replay_on_collision
def reserve(
    user: AbstractBaseUser | int,
    points: int,
    *,
    key: str,
    order_number: str,
    now: datetime | None = None,
    basket: SpendBasket | None = None,
) -> AbstractReservation:
    """Hold ``points`` for an order being placed; returns the reservation.

    The points leave the available balance at once, taken from the lots
    that expire soonest. ``capture`` spends them, ``release`` gives them back;
    a held reservation older than ``OSCAR_LOYALTY_RESERVATION_TIMEOUT_MINUTES``
    is released by the beat task. A lot with spend restrictions pays only
    what they allow for ``basket`` (the order's goods), and nothing without one.
    """
    return _spend("reserve", user, points, key=key, order_number=order_number, now=now, basket=basket)


def capture(reservation: AbstractReservation | int, *, now: datetime | None = None) -> AbstractReservation:
    """Spend a held reservation (the order now exists). Capturing twice is harmless."""
    now = now or timezone.now()
    if database.enabled():
        reservation_id = reservation.pk if isinstance(reservation, Reservation) else reservation
        captured, replayed = database.capture(reservation_id, now=now)
        if isinstance(reservation, Reservation):
            reservation.status, reservation.captured_at = captured.status, captured.captured_at
            captured = reservation
        if not replayed:
            send_on_commit(signals.points_captured, reservation=captured)
        return captured
    with transaction.atomic():
        account, reservation = lock_reservation(reservation, fresh=False)
        # Under the account's lock: claim the reservation if it is still held.
        claimed = Reservation.objects.filter(pk=reservation.pk, status=Reservation.HELD).update(
            status=Reservation.CAPTURED, captured_at=now
        )
        if not claimed:
            reservation.refresh_from_db(fields=["status", "captured_at", "released_at"])
            if reservation.status == Reservation.CAPTURED:
                return reservation
            raise ReservationReleased()
        capture_held(account, reservation, now)
        save_balances(account, now)
        send_on_commit(signals.points_captured, reservation=reservation)
    return reservation


@replay_on_collision
def redeem(
    user: AbstractBaseUser | int,
    points: int,
    *,
    key: str,
    order_number: str,
    now: datetime | None = None,
    basket: SpendBasket | None = None,
) -> AbstractReservation:
    """Reserve and capture in one transaction, for spending outside checkout."""
    return _spend("redeem", user, points, key=key, order_number=order_number, now=now, basket=basket)


def _spend(operation, user, points, *, key, order_number, now, basket=None):
    points = check_points(points)
    key = check_key(key)
    order_number = required_order_number(order_number)
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
        except database.RestrictedLots:
            # Lots with spend restrictions are weighed against the basket in Python, below.
            pass
        else:
            if not replayed:
                signal = signals.points_captured if operation == "redeem" else signals.points_reserved
                send_on_commit(signal, reservation=reservation)
            return reservation
    with transaction.atomic():
        account, replayed = lock_for_operation(user_id, key, fp)
        if replayed is not None:
            return replayed.reservation
        reservation = hold(account, points, key=key, fp=fp, order_number=order_number, now=now, basket=basket)
        if operation == "redeem":
            Reservation.objects.filter(pk=reservation.pk).update(status=Reservation.CAPTURED, captured_at=now)
            capture_held(account, reservation, now)
        save_balances(account, now)
        signal = signals.points_captured if operation == "redeem" else signals.points_reserved
        send_on_commit(signal, reservation=reservation)
    return reservation


def release(
    reservation: AbstractReservation | int, *, reason: str = "", now: datetime | None = None
) -> AbstractReservation:
    """Give a held reservation's points back to the lots they came from.

    Points whose lot expired while they were held expire now. Releasing twice
    is harmless; releasing a captured reservation is refused (reverse the
    order instead).
    """
    now = now or timezone.now()
    with transaction.atomic():
        account, reservation = lock_reservation(reservation)
        if reservation.status == Reservation.RELEASED:
            return reservation
        if reservation.status == Reservation.CAPTURED:
            raise ReservationCaptured()
        settle(account, now)
        writes = Writes()
        unhold(
            account,
            reservation,
            allocations_of(reservation),
            writes,
            key=f"{reservation.key}:release",
            reason=reason,
            now=now,
        )
        writes.flush()
        save_balances(account, now)
        send_on_commit(signals.points_released, reservation=reservation)
    return reservation
