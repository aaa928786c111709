"""The rewards catalogue's public API: redeeming a reward, moving it along, cancelling it.

Views, the dashboard and a shop's own code call these functions; nothing
else writes rewards' stock or redemptions. Points move only through the
ledger: a redemption spends them (``reserve`` then ``capture``, under the
redemption's number), a cancellation gives them back (``reverse_order``).

Rows are locked in one order everywhere: the redemption, then the reward,
then the customer's points account (which the ledger locks itself). Two
customers after the last item queue on the reward's row: the second reads
the stock the first left, and is refused before any point moves.
"""

from __future__ import annotations

import calendar
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.ledger.people import actor_of, display_name, user_id_of
from oscar_loyalty.notifications.services import notify
from oscar_loyalty.rewards.conditions import RewardVoucherCondition
from oscar_loyalty.rewards.exceptions import (
    AlreadyCovered,
    DetailsMissing,
    InvalidTransition,
    OrderNotEligible,
    OutOfStock,
    ReturnNotConfirmed,
    RewardUnavailable,
    VoucherUsed,
)

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from oscar_loyalty.rewards.abstract_models import AbstractRewardOrder

Reward = get_model("oscar_loyalty", "Reward")
RewardOrder = get_model("oscar_loyalty", "RewardOrder")
Order = get_model("order", "Order")
Voucher = get_model("voucher", "Voucher")
ConditionalOffer = get_model("offer", "ConditionalOffer")
Benefit = get_model("offer", "Benefit")
Range = get_model("offer", "Range")

__all__ = [
    "Delivery",
    "NEXT_STATUSES",
    "advance",
    "allowed_statuses",
    "cancel",
    "new_key",
    "redeem",
]

#: Where each status may go next (cancelling a delivered reward needs a confirmed return).
NEXT_STATUSES = {
    RewardOrder.NEW: (RewardOrder.PACKED, RewardOrder.CANCELLED),
    RewardOrder.PACKED: (RewardOrder.SENT, RewardOrder.CANCELLED),
    RewardOrder.SENT: (RewardOrder.DELIVERED, RewardOrder.CANCELLED),
    RewardOrder.DELIVERED: (RewardOrder.CANCELLED,),
    RewardOrder.CANCELLED: (),
}
STATUS_TIMESTAMPS = {
    RewardOrder.PACKED: "packed_at",
    RewardOrder.SENT: "sent_at",
    RewardOrder.DELIVERED: "delivered_at",
    RewardOrder.CANCELLED: "cancelled_at",
}
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# Voucher codes: no letters that read as digits (O, I, L) and no 0 or 1.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
VOUCHER_RANGE_NAME = "Loyalty rewards: all products"


@dataclass(frozen=True)
class Delivery:
    """Where a physical prize goes."""

    name: str
    phone: str
    address: str

    def is_complete(self):
        return all(value.strip() for value in (self.name, self.phone, self.address))


def new_key() -> str:
    """A fresh idempotency key for one redemption form: submitting the form twice redeems once."""
    return secrets.token_urlsafe(24)


def allowed_statuses(reward_order: AbstractRewardOrder) -> tuple[str, ...]:
    """The statuses staff may move a redemption to from where it stands."""
    if reward_order.needs_delivery:
        return NEXT_STATUSES[reward_order.status]
    # A voucher or a warranty is issued at once: it can only be cancelled.
    return (RewardOrder.CANCELLED,) if reward_order.status != RewardOrder.CANCELLED else ()


# --- Redeeming ------------------------------------------------------------------


def redeem(
    user: AbstractBaseUser | int,
    reward,
    *,
    key: str,
    delivery: Delivery | None = None,
    order=None,
    now: datetime | None = None,
) -> AbstractRewardOrder:
    """Exchange the customer's points for one of ``reward``; returns the redemption.

    In one transaction: the reward's row is locked, its stock checked and
    taken, the points spent through the ledger, and what the reward gives
    issued (a voucher, a warranty's dates); the customer is told once it
    commits. A physical prize needs ``delivery``; a warranty needs ``order``,
    one of the customer's orders. ``key`` identifies the customer's
    submission: the same key again returns the first redemption.

    Refusals raise a ``RewardError`` (out of stock, unavailable, details
    missing) or the ledger's ``InsufficientPoints`` / ``AccountBlocked``,
    and leave stock and points as they were.
    """
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise ledger.InvalidOperation(_("This form has expired. Please open the reward again."))
    user_id = user_id_of(user)
    reward_id = getattr(reward, "pk", reward)
    now = now or timezone.now()
    try:
        return _redeem(user_id, reward_id, key=key, delivery=delivery, order=order, now=now)
    except IntegrityError:
        # The same key committed by a concurrent submission for another reward.
        return _replay(RewardOrder.objects.filter(key=key).first(), user_id, reward_id)


def _redeem(user_id, reward_id, *, key, delivery, order, now):
    with transaction.atomic():
        reward = Reward.objects.select_for_update().filter(pk=reward_id).first()
        if reward is None:
            raise RewardUnavailable()
        # Read under the reward's lock: a submission with this key that held it before has committed.
        earlier = RewardOrder.objects.filter(key=key).first()
        if earlier is not None:
            return _replay(earlier, user_id, reward_id)
        if not reward.is_active:
            raise RewardUnavailable()
        if reward.stock < 1:
            raise OutOfStock()
        user = _customer(user_id)
        reward_order = RewardOrder(
            number=f"~{key[:31]}",  # replaced by the number once the row has its id
            key=key,
            user_id=user_id,
            customer_name=display_name(user),
            reward=reward,
            reward_name=reward.name,
            kind=reward.kind,
            points=reward.points,
            created_at=now,
        )
        if reward.kind == Reward.PHYSICAL:
            if delivery is None or not delivery.is_complete():
                raise DetailsMissing(_("Please give the recipient's name, phone and delivery address."))
            reward_order.recipient_name = delivery.name.strip()[:255]
            reward_order.phone = delivery.phone.strip()[:32]
            reward_order.address = delivery.address.strip()
        elif reward.kind == Reward.WARRANTY:
            _cover(reward_order, reward, order, user_id, now)
        else:
            reward_order.status = RewardOrder.DELIVERED
            reward_order.delivered_at = now
        reward_order.save()
        reward_order.number = f"RW-{reward_order.pk:06d}"
        RewardOrder.objects.filter(pk=reward_order.pk).update(number=reward_order.number)

        reservation = ledger.reserve(
            user_id, reward.points, key=reward_order.ledger_key, order_number=reward_order.number, now=now
        )
        ledger.capture(reservation, now=now)

        reward.stock -= 1
        reward.save(update_fields=["stock", "updated_at"])
        if reward.kind == Reward.VOUCHER:
            _issue_voucher(reward_order, reward, now)
        _notify(reward_order, "reward_ordered", now)
    return reward_order


def _replay(earlier, user_id, reward_id):
    if earlier is None or earlier.user_id != user_id or earlier.reward_id != reward_id:
        raise ledger.IdempotencyConflict()
    return earlier


def _customer(user_id):
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise ledger.UnknownCustomer()
    return user


def _cover(reward_order, reward, order, user_id, now):
    """Tie a warranty to the customer's ``order`` and date it: from the redemption, for the reward's term."""
    order_id = getattr(order, "pk", order)
    order = Order.objects.filter(pk=order_id, user_id=user_id).first() if order_id else None
    if order is None:
        raise OrderNotEligible()
    covered = RewardOrder.objects.filter(order=order, reward=reward).exclude(status=RewardOrder.CANCELLED)
    if covered.exists():
        raise AlreadyCovered()
    starts = timezone.localdate(now)
    reward_order.order = order
    reward_order.order_number = order.number
    reward_order.warranty_months = reward.warranty_months
    reward_order.warranty_starts_on = starts
    reward_order.warranty_ends_on = add_months(starts, reward.warranty_months) - timedelta(days=1)
    reward_order.status = RewardOrder.DELIVERED
    reward_order.delivered_at = now


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months, on the month's last day when it is shorter (31 January + 1 = 28/29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _issue_voucher(reward_order, reward, now):
    """An Oscar voucher with a single-use code, whose offer applies only in the customer's basket."""
    offer_range, _created = Range.objects.get_or_create(
        name=VOUCHER_RANGE_NAME, defaults={"includes_all_products": True}
    )
    condition = RewardVoucherCondition.objects.create(
        range=offer_range, value=1, proxy_class=f"{RewardVoucherCondition.__module__}.RewardVoucherCondition"
    )
    benefit = Benefit.objects.create(
        range=offer_range,
        type=Benefit.PERCENTAGE if reward.discount_type == Reward.PERCENTAGE else Benefit.FIXED,
        value=reward.discount_value,
    )
    offer = ConditionalOffer.objects.create(
        name=f"Reward voucher {reward_order.number}",
        offer_type=ConditionalOffer.VOUCHER,
        condition=condition,
        benefit=benefit,
        max_global_applications=1,
    )
    code = _unique_code()
    voucher = Voucher.objects.create(
        name=f"Reward {reward_order.number}",
        code=code,
        usage=Voucher.SINGLE_USE,
        start_datetime=now,
        end_datetime=now + timedelta(days=reward.voucher_valid_days or 1),
    )
    voucher.offers.add(offer)
    reward_order.voucher = voucher
    reward_order.voucher_code = voucher.code
    reward_order.save(update_fields=["voucher", "voucher_code"])


def _unique_code():
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
        if not Voucher.objects.filter(code=code).exists():
            return code


# --- Moving along, cancelling ------------------------------------------------------


def advance(
    reward_order: AbstractRewardOrder | int,
    status: str,
    *,
    actor: AbstractBaseUser | str | None = None,
    now: datetime | None = None,
) -> AbstractRewardOrder:
    """Move a physical prize one step along ``new → packed → sent → delivered``.

    Asking for the status it already has changes nothing (a button pressed
    twice); any other step is refused with ``InvalidTransition``. Cancelling
    goes through :func:`cancel`.
    """
    now = now or timezone.now()
    with transaction.atomic():
        reward_order = _lock(reward_order)
        if reward_order.status == status:
            return reward_order
        if status == RewardOrder.CANCELLED or status not in allowed_statuses(reward_order):
            raise InvalidTransition(_transition_refusal(reward_order, status))
        _actor, actor_name = actor_of(actor)
        reward_order.status = status
        setattr(reward_order, STATUS_TIMESTAMPS[status], now)
        reward_order.changed_by_name = actor_name
        reward_order.save(update_fields=["status", STATUS_TIMESTAMPS[status], "changed_by_name"])
        _notify(reward_order, f"reward_{status}", now)
    return reward_order


def cancel(
    reward_order: AbstractRewardOrder | int,
    *,
    reason: str = "",
    confirm_return: bool = False,
    restock: bool | None = None,
    actor: AbstractBaseUser | str | None = None,
    now: datetime | None = None,
) -> AbstractRewardOrder:
    """Cancel a redemption and give its points back through the ledger; cancelling twice is harmless.

    A delivered reward is cancelled only as a return: without
    ``confirm_return`` it is refused (``ReturnNotConfirmed``). A voucher
    already used for an order cannot be cancelled (``VoucherUsed``); an
    unused one stops working. The item goes back in stock when it never left
    (a prize not yet sent, a voucher, a warranty), or for a prize that came
    back when ``restock`` says so.
    """
    now = now or timezone.now()
    actor_user, actor_name = actor_of(actor)
    with transaction.atomic():
        reward_order = _lock(reward_order)
        if reward_order.status == RewardOrder.CANCELLED:
            return reward_order
        returned = reward_order.status == RewardOrder.DELIVERED
        if returned and not confirm_return:
            raise ReturnNotConfirmed()
        if reward_order.kind == Reward.VOUCHER and reward_order.voucher_id is not None:
            voucher = Voucher.objects.select_for_update().get(pk=reward_order.voucher_id)
            if voucher.num_orders or voucher.applications.exists():
                raise VoucherUsed()
            voucher.end_datetime = max(now, voucher.start_datetime)
            voucher.save(update_fields=["end_datetime"])
        if restock is None:
            restock = not reward_order.needs_delivery or reward_order.status in (RewardOrder.NEW, RewardOrder.PACKED)
        if restock:
            reward = Reward.objects.select_for_update().get(pk=reward_order.reward_id)
            reward.stock += 1
            reward.save(update_fields=["stock", "updated_at"])
        ledger.reverse_order(
            reward_order.number,
            key=reward_order.refund_key,
            reason=reason or _("Reward %(number)s cancelled") % {"number": reward_order.number},
            actor=actor_user or actor_name or None,
            now=now,
        )
        reward_order.status = RewardOrder.CANCELLED
        reward_order.cancelled_at = now
        reward_order.cancel_reason = str(reason or "")[:255]
        reward_order.returned = returned
        reward_order.restocked = bool(restock)
        reward_order.changed_by_name = actor_name
        reward_order.save(
            update_fields=["status", "cancelled_at", "cancel_reason", "returned", "restocked", "changed_by_name"]
        )
        _notify(reward_order, "reward_cancelled", now)
    return reward_order


def _lock(reward_order):
    reward_order_id = getattr(reward_order, "pk", reward_order)
    locked = RewardOrder.objects.select_for_update().filter(pk=reward_order_id).first()
    if locked is None:
        raise ledger.InvalidOperation(_("There is no such reward order."))
    return locked


def _transition_refusal(reward_order, status):
    labels = dict(RewardOrder.STATUS_CHOICES)
    return _('Reward order %(number)s is "%(current)s": it cannot be marked "%(new)s".') % {
        "number": reward_order.number,
        "current": labels.get(reward_order.status, reward_order.status),
        "new": labels.get(status, status),
    }


def _notify(reward_order, event, now):
    """Tell the customer, in their language, once the transaction commits (the outbox does both)."""
    if reward_order.user_id is None:
        return
    context = {
        "number": reward_order.number,
        "reward": reward_order.reward_name,
        "kind": reward_order.kind,
        "points": reward_order.points,
        "voucher_code": reward_order.voucher_code,
        "order_number": reward_order.order_number,
        "warranty_months": reward_order.warranty_months,
        "warranty_starts_on": reward_order.warranty_starts_on.isoformat() if reward_order.warranty_starts_on else "",
        "warranty_ends_on": reward_order.warranty_ends_on.isoformat() if reward_order.warranty_ends_on else "",
        "address": reward_order.address,
        "returned": reward_order.returned,
    }
    notify(reward_order.user_id, event, key=f"reward:{reward_order.number}:{event}", context=context, now=now)
