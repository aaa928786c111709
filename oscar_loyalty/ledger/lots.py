"""Lots and balances of a locked account: crediting, taking, holding, settling.

The ledger's own helpers (``oscar_loyalty.ledger`` is the public API). Each
function works on an account whose row the caller has locked, and changes the
account's cached buckets in memory; the caller saves them.
"""

from datetime import timedelta

from django.db.models import Min, Q
from oscar.core.loading import get_model

from oscar_loyalty.ledger import terms
from oscar_loyalty.ledger.calculations import allocate
from oscar_loyalty.ledger.exceptions import AccountBlocked, InsufficientPoints
from oscar_loyalty.ledger.people import clip
from oscar_loyalty.settings import loyalty_settings

Account = get_model("oscar_loyalty", "Account")
Lot = get_model("oscar_loyalty", "Lot")
Reservation = get_model("oscar_loyalty", "Reservation")
Allocation = get_model("oscar_loyalty", "Allocation")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")

ACCOUNT_BALANCE_FIELDS = ["available", "pending", "reserved", "debt", "next_event_at", "updated_at"]
LOT_STATE_FIELDS = ["remaining", "status", "reversed_points", "expired_points"]


class Writes:
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


def save_balances(account, now):
    account.updated_at = now
    Account.objects.filter(pk=account.pk).update(**{name: getattr(account, name) for name in ACCOUNT_BALANCE_FIELDS})


def still_live(lot, now):
    """Whether points may go back into ``lot``: not expired, by its date or by a pass already run.

    Both count: an operation's ``now`` can be a moment older than that of a
    beat pass that committed first.
    """
    return lot.status != Lot.EXPIRED and lot.expires_at > now


def earliest(current, candidate):
    return candidate if current is None or candidate < current else current


def pay_debt(account, points):
    paid_off = min(account.debt, points)
    account.debt -= paid_off
    return paid_off


def credit_lot(
    account, points, *, origin, available_at, expires_at, order_number, order_line, now, channel=None, spend_terms=None
):
    """A new lot for a credit, its points paying off debt first; the caller saves it."""
    paid_off = pay_debt(account, points)
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
        channel=channel,
        spend_terms=spend_terms,
    )
    if pending:
        account.pending += remaining
    else:
        account.available += remaining
    if remaining:
        account.next_event_at = earliest(account.next_event_at, available_at if pending else expires_at)
    return lot, paid_off


def spendable_lots(now, **account):
    """The account's lots that may be spent at ``now`` (``account=`` or ``account__user_id=``), in spending order."""
    return Lot.objects.filter(status=Lot.ACTIVE, remaining__gt=0, expires_at__gt=now, **account).order_by(
        "expires_at", "pk"
    )


def take_available(account, points, now, *, honour_terms=False, basket=None):
    """Take ``points`` from the account's available lots, soonest-expiring first.

    With ``honour_terms`` (spending), a lot with spend restrictions gives
    only what they allow for ``basket`` (nothing without one); a manual
    correction takes from any lot.
    """
    if points > account.available:
        raise InsufficientPoints.of(account.available, points)
    lots = spendable_lots(now, account=account)
    if honour_terms:
        candidates = terms.offered(
            lots.only("pk", "remaining", "expires_at", "spend_terms"), basket, loyalty_settings.POINT_VALUE
        )
        spendable = sum(amount for _lot, amount in candidates)
        if points > spendable:
            raise InsufficientPoints.of(spendable, points)
    else:
        candidates = [(lot, lot.remaining) for lot in lots.only("pk", "remaining", "expires_at")]
    taken = allocate(candidates, points)
    for lot, amount in taken:
        lot.remaining -= amount
    return taken


def hold(account, points, *, key, fp, order_number, now, basket=None):
    if account.is_blocked:
        raise AccountBlocked()
    settle(account, now)
    taken = take_available(account, points, now, honour_terms=True, basket=basket)
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


def capture_held(account, reservation, now):
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


def allocations_of(reservation):
    return list(reservation.allocations.select_related("lot").order_by("pk"))


def unhold(account, reservation, allocations, writes, *, key, reason, now):
    """Put a held reservation's points back into its lots (the account is locked).

    Points whose lot has expired meanwhile expire with it: a reservation is
    no way to extend a lot's life.
    """
    back = 0
    for allocation in allocations:
        lot = writes.lots.get(allocation.lot_id, allocation.lot)
        if still_live(lot, now):
            lot.remaining += allocation.points
            if lot.status == Lot.VOIDED:
                lot.status = Lot.ACTIVE
            back += allocation.points
            account.next_event_at = earliest(account.next_event_at, lot.expires_at)
        else:
            lot.expired_points += allocation.points
        writes.lots[lot.pk] = lot
    # Returning points settle debt first; the lots they came from give up
    # what went to the debt, soonest-expiring first.
    paid_off = pay_debt(account, back)
    if paid_off:
        still_owed = paid_off
        for lot in sorted(writes.lots.values(), key=lambda lot: (lot.expires_at, lot.pk)):
            if lot.account_id != account.pk or not still_live(lot, now) or still_owed == 0:
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


def settle(account, now):
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
    account.next_event_at = next_event(account.pk)


def next_event(account_id):
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
