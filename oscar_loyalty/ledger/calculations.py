"""Pure calculations of the ledger: plain values in, plain values out."""

import hashlib
import json
import math
import numbers
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from decimal import InvalidOperation as DecimalInvalid
from fractions import Fraction

from django.utils.translation import gettext as _

from oscar_loyalty.ledger.exceptions import InvalidAmount, InvalidOperation

FRACTION_PLACES = Decimal("0.000001")


def check_points(points, *, signed=False):
    """Return ``points`` if it is a whole number of points, else raise InvalidAmount.

    ``signed`` allows negative amounts (manual adjustments); zero is never a
    movement.
    """
    if isinstance(points, bool) or not isinstance(points, numbers.Integral):
        raise InvalidAmount(_("Points must be a whole number, not %(value)r.") % {"value": points})
    points = int(points)
    if points == 0 or (points < 0 and not signed):
        raise InvalidAmount(
            _("Points must be a positive whole number, not %(value)s.") % {"value": points}
            if not signed
            else _("An adjustment of zero points changes nothing.")
        )
    return points


# The shapes of the keys the ledger derives for its own entries: a capture or
# release is named after its reservation's key, a reversal's entries after the
# reversal's key, and the beat passes' entries after their lot. A caller's key
# of such a shape could take a name the ledger needs later (and fail a capture
# after the payment was taken), so callers may not use them.
RESERVED_KEY = re.compile(r"(:(capture|release)|:(release|lot|allocation):\d+)$|^(activate|expire):\d+$")


def check_key(key):
    if not isinstance(key, str) or not key.strip():
        raise InvalidOperation(_("Every points operation needs an idempotency key."))
    if len(key) > 200:
        raise InvalidOperation(_("An idempotency key may be at most 200 characters long."))
    if RESERVED_KEY.search(key):
        raise InvalidOperation(
            _("The key %(key)s has a shape reserved for the ledger's own entries; choose another.") % {"key": key}
        )
    return key


def check_days(value, *, name, minimum):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise InvalidAmount(
            _("%(name)s must be a whole number of days, at least %(minimum)s.") % {"name": name, "minimum": minimum}
        )
    return int(value)


def check_fraction(value, *, allow_zero=False):
    """The share of an order a reversal covers: a number in (0, 1] (or [0, 1]), kept to six places."""
    try:
        fraction = (
            Decimal(str(value)) if not isinstance(value, Fraction) else Decimal(value.numerator) / value.denominator
        )
    except (DecimalInvalid, ValueError, TypeError):
        raise InvalidAmount(_("The share of the order must be a number between 0 and 1.")) from None
    if isinstance(value, bool) or not fraction.is_finite():
        raise InvalidAmount(_("The share of the order must be a number between 0 and 1."))
    fraction = fraction.quantize(FRACTION_PLACES, rounding=ROUND_DOWN)
    if allow_zero and 0 <= fraction <= 1:
        return fraction
    if not (0 < fraction <= 1):
        raise InvalidAmount(_("The share of the order must be more than 0 and at most 1."))
    return fraction


def share(points, fraction):
    """``points × fraction`` rounded half up to whole points."""
    exact = Fraction(points) * Fraction(fraction)
    return math.floor(exact + Fraction(1, 2))


def fingerprint(operation, **arguments):
    """A stable hash of an operation and its economically relevant arguments."""
    payload = json.dumps([operation, arguments], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def allocate(lots, points):
    """Split ``points`` over ``lots`` (pairs of lot and its remaining points) in the given order.

    Returns ``[(lot, taken)]``; the caller has checked that enough remains.
    """
    taken = []
    needed = points
    for lot, remaining in lots:
        if needed <= 0:
            break
        take = min(remaining, needed)
        if take > 0:
            taken.append((lot, take))
            needed -= take
    if needed > 0:
        raise InvalidOperation(_("The lots hold fewer points than the account says."))
    return taken


@dataclass(frozen=True)
class DatedPoints:
    points: int
    date: datetime


@dataclass(frozen=True)
class Balance:
    """What a customer has, as of ``as_of``."""

    available: int = 0
    pending: int = 0
    reserved: int = 0
    debt: int = 0
    expiring_soon: int = 0
    pending_lots: tuple = field(default=())
    expiring_lots: tuple = field(default=())
    blocked: bool = False
    as_of: datetime | None = None

    @property
    def total(self):
        return self.available + self.pending + self.reserved


@dataclass(frozen=True)
class LotView:
    """The few fields of a live lot a balance needs."""

    remaining: int
    status: str
    available_at: datetime
    expires_at: datetime


def balance_as_of(*, available, pending, reserved, debt, blocked, lots, now, soon_days):
    """Turn an account's cached buckets into the balance at ``now``.

    ``lots`` must hold every live lot that is pending, or that expires within
    ``soon_days`` (including those already due but not yet settled by the
    beat task). The cached buckets may lag behind time; this corrects them
    without writing anything.
    """
    horizon = now + timedelta(days=soon_days)
    pending_lots, expiring_lots = [], []
    expiring_soon = 0
    for lot in lots:
        if lot.remaining <= 0:
            continue
        is_pending = lot.status == "pending"
        if lot.expires_at <= now:
            if is_pending:
                pending -= lot.remaining
            else:
                available -= lot.remaining
            continue
        if is_pending and lot.available_at <= now:
            pending -= lot.remaining
            available += lot.remaining
            is_pending = False
        if is_pending:
            pending_lots.append(DatedPoints(lot.remaining, lot.available_at))
        elif lot.expires_at <= horizon:
            expiring_soon += lot.remaining
            expiring_lots.append(DatedPoints(lot.remaining, lot.expires_at))
    return Balance(
        available=available,
        pending=pending,
        reserved=reserved,
        debt=debt,
        expiring_soon=expiring_soon,
        pending_lots=tuple(sorted(pending_lots, key=lambda d: d.date)),
        expiring_lots=tuple(sorted(expiring_lots, key=lambda d: d.date)),
        blocked=blocked,
        as_of=now,
    )
