"""Accounts: finding and locking them, idempotency keys, blocking.

The helpers here are the ledger's own (``oscar_loyalty.ledger`` is the public API);
every operation module takes its locks through them, in primary-key order.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Subquery
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from oscar_loyalty.ledger import database
from oscar_loyalty.ledger.exceptions import IdempotencyConflict, InvalidOperation, LoyaltyError, UnknownCustomer
from oscar_loyalty.ledger.people import display_name, user_id_of

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from oscar_loyalty.abstract_models import AbstractAccount

Account = get_model("oscar_loyalty", "Account")
Reservation = get_model("oscar_loyalty", "Reservation")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")


def replay_on_collision(operation):
    """Run a keyed operation again if a concurrent call with the same key got there first.

    The first run reads the key in the snapshot of its lock statement (see
    ``lock_for_operation``). If a call with the same key committed while it
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


def set_blocked(user: AbstractBaseUser | int, blocked: bool) -> AbstractAccount:
    """Block (or unblock) a customer's account: a blocked account neither earns nor spends."""
    user_id = user_id_of(user)
    with transaction.atomic():
        account = lock_account(user_id)
        account.status = Account.BLOCKED if blocked else Account.ACTIVE
        account.save(update_fields=["status", "updated_at"])
    return account


def in_database(function, user_id, *args, **kwargs):
    """Run a database function for the customer, creating their account first if they have none."""
    try:
        return function(user_id, *args, **kwargs)
    except database.NoAccount:
        pass
    with transaction.atomic():  # the new account is written with the operation, or not at all
        lock_account(user_id)
        return function(user_id, *args, **kwargs)


def locking():
    """Accounts, to be locked as the ledger locks them: ``FOR NO KEY UPDATE`` where the database has it.

    An operation changes an account's balances, never its key, so rows that
    merely refer to the account (its lots, entries and reservations, written by
    others) need not wait for it. The database functions and the beat's passes
    take the same lock.
    """
    return Account.objects.select_for_update(no_key=connection.features.has_select_for_no_key_update)


def lock_account(user_id):
    """The customer's account row, locked; created on first use."""
    try:
        return locking().get(user_id=user_id)
    except Account.DoesNotExist:
        pass
    _create_account(user_id)
    return locking().get(user_id=user_id)


def open_account(user_id):
    """Make sure the customer has an account (empty, if it is new); nothing is locked."""
    if not Account.objects.filter(user_id=user_id).exists():
        _create_account(user_id)


def _create_account(user_id):
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise UnknownCustomer()
    try:
        with transaction.atomic():
            Account.objects.create(user_id=user_id, customer_name=display_name(user))
    except IntegrityError:
        pass  # created concurrently: theirs is the account


def lock_accounts(account_ids):
    """Several accounts locked in primary-key order, so two callers never deadlock."""
    if not account_ids:
        return {}
    locked = locking().filter(pk__in=sorted(account_ids)).order_by("pk")
    return {account.pk: account for account in locked}


def lock_reservation(reservation, *, fresh=True):
    """Lock the reservation's account, then (if ``fresh``) read the reservation again under that lock.

    Without ``fresh`` the caller gets the instance it passed and must only
    trust its immutable fields (points, key, order number, account).
    """
    if isinstance(reservation, Reservation):
        if not fresh:
            return locking().get(pk=reservation.account_id), reservation
        reservation_id, account_id = reservation.pk, reservation.account_id
    else:
        reservation_id = reservation
        account_id = Reservation.objects.filter(pk=reservation_id).values_list("account_id", flat=True).first()
        if account_id is None:
            raise InvalidOperation(_("There is no such reservation."))
    account = locking().get(pk=account_id)
    return account, Reservation.objects.get(pk=reservation_id)


def lock_for_operation(user_id, key, fp):
    """Lock the customer's account and look up the operation's key, in one round trip.

    Returns ``(account, entry)``: the entry an earlier call with this key
    wrote, or None. The key is read in the lock statement's snapshot, which
    can predate a call with the same key that committed while this one waited
    for the lock; the write then collides on the key's unique index and
    ``replay_on_collision`` runs the operation again, which finds it.
    """
    earlier = JournalEntry.objects.filter(key=key).values("fingerprint")[:1]
    account = locking().annotate(replay_fingerprint=Subquery(earlier)).filter(user_id=user_id).first()
    if account is None:
        return lock_account(user_id), _replayed(key, fp)
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


def clean_order_number(order):
    if order is None or order == "":
        return ""
    number = getattr(order, "number", order)
    if isinstance(number, bool):
        raise InvalidOperation(_("An order number is required."))
    number = str(number).strip()
    if len(number) > 128:
        raise InvalidOperation(_("An order number may be at most 128 characters long."))
    return number


def required_order_number(order):
    number = clean_order_number(order)
    if not number:
        raise InvalidOperation(_("An order number is required."))
    return number


def send_on_commit(signal, **kwargs):
    transaction.on_commit(lambda: signal.send_robust(sender=Account, **kwargs))
