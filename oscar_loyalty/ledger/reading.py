"""Reading a balance: one or two queries, never a lock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty.ledger import database, terms
from oscar_loyalty.ledger.calculations import Balance, LotView, balance_as_of
from oscar_loyalty.ledger.lots import spendable_lots
from oscar_loyalty.ledger.people import user_id_of
from oscar_loyalty.settings import loyalty_settings

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

Account = get_model("oscar_loyalty", "Account")
Lot = get_model("oscar_loyalty", "Lot")


def get_balance(user: AbstractBaseUser | int, *, now: datetime | None = None) -> Balance:
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


def restricted_shortfall(user: AbstractBaseUser | int, basket, *, now: datetime | None = None) -> int:
    """How many of the customer's available points cannot pay for ``basket``: what lots' spend restrictions withhold.

    ``basket`` is a ``terms.SpendBasket`` or a callable returning one
    (called only if the customer holds restricted lots). 0 for a customer
    without restricted lots: one query on the restricted lots' index. The
    points the customer may spend on the basket are their available points
    less this; spending re-checks it under the account's lock.
    """
    now = now or timezone.now()
    lots = spendable_lots(now, account__user_id=user_id_of(user)).filter(spend_terms__isnull=False)
    lots = list(lots.only("pk", "remaining", "expires_at", "spend_terms"))
    if not lots:
        return 0
    given = sum(points for _lot, points in terms.offered(lots, basket, loyalty_settings.POINT_VALUE))
    return sum(lot.remaining for lot in lots) - given
