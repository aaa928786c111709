"""Points for orders: the earning side's public API.

Receivers on Oscar's order signals, the ERP exchange and a shop's own code
call these; they call the ledger.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from oscar_loyalty import ledger, signals
from oscar_loyalty.campaigns import services as campaigns
from oscar_loyalty.checkout.calculations import points_value
from oscar_loyalty.earning import margins, tiers
from oscar_loyalty.earning.calculations import LineAccrual, LineInput, order_accrual
from oscar_loyalty.settings import loyalty_settings

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from oscar.apps.order.abstract_models import AbstractOrder

    from oscar_loyalty.abstract_models import AbstractLot, AbstractReversal, AbstractTier

QualifyingPurchase = get_model("oscar_loyalty", "QualifyingPurchase")
Reversal = get_model("oscar_loyalty", "Reversal")
Source = get_model("payment", "Source")
OrderLineDiscount = get_model("order", "OrderLineDiscount")

CENT = Decimal("0.01")

logger = logging.getLogger(__name__)


#: The sales channel of accruals made inside ``sales_channel(...)``, e.g. by a status the ERP moved.
_channel = contextvars.ContextVar("oscar_loyalty_sales_channel", default=None)


@contextlib.contextmanager
def sales_channel(channel: str | None):
    """Accruals inside this block that name no channel record ``channel`` (None: the default).

    For callers that earn through Oscar's signals rather than by calling
    ``accrue_for_order`` themselves: the accounting system reporting a
    store's sale moves the order's status, and the status receiver accrues
    in the store's channel.
    """
    token = _channel.set(channel)
    try:
        yield
    finally:
        _channel.reset(token)


def accrual_key(order_number: str) -> str:
    return f"order:{order_number}:accrual"


def points_paid(order: AbstractOrder) -> Decimal:
    """What the order paid with points, in the shop's currency."""
    paid = Source.objects.filter(order=order, source_type__name=loyalty_settings.POINTS_SOURCE_TYPE).aggregate(
        paid=Sum("amount_debited")
    )["paid"]
    return paid or Decimal("0.00")


def order_lines(order: AbstractOrder) -> list[LineInput]:
    """The order's lines as the accrual formula sees them (two queries, however many lines)."""
    lines = list(order.lines.select_related("product", "product__parent"))
    promo_lines = set(
        OrderLineDiscount.objects.filter(
            line__order=order, amount__gt=0, order_discount__voucher_id__isnull=True
        ).values_list("line_id", flat=True)
    )
    coefficients = margins.coefficients([line.product for line in lines if line.product_id])
    return [
        LineInput(
            reference=str(line.pk),
            amount=line.line_price_incl_tax,
            coefficient=coefficients.get(line.product_id, margins.NEUTRAL),
            offer_discounted=line.pk in promo_lines,
        )
        for line in lines
    ]


def calculate_order_points(order: AbstractOrder, tier: AbstractTier | None) -> list[LineAccrual]:
    """Per-line accruals for ``order`` at ``tier`` (pure formula over the order's data)."""
    return _order_points(order, tier)[1]


def _order_points(order, tier):
    """``(line inputs, per-line accruals)`` of ``order`` at ``tier``."""
    if tier is None:
        return [], []
    inputs = order_lines(order)
    accruals = order_accrual(
        inputs,
        cashback_percent=tier.cashback_percent,
        reduction=points_paid(order),
        spread_reductions=loyalty_settings.SPREAD_REDUCTIONS,
        offers_earn=loyalty_settings.OFFERS_EARN,
    )
    return inputs, accruals


def goods_value(order: AbstractOrder) -> Decimal:
    """What the order's goods cost: its lines after Oscar's discounts, points paid included, shipping aside.

    The base of every return's share, however it is reported: returned goods
    value over this.
    """
    value = order.lines.aggregate(value=Sum("line_price_incl_tax"))["value"]
    return value or Decimal("0.00")


def accrue_for_order(
    order: AbstractOrder, *, now: datetime | None = None, channel: str | None = None
) -> AbstractLot | None:
    """Accrue an order's points as a pending lot and count it towards the customer's tier.

    Idempotent per order: a status bouncing back and forth, or the ERP and
    the shop both reporting the order paid, accrue once. Earns at the tier in
    effect before this order counts. The active campaign rules add their own
    lots (one per rule, see ``oscar_loyalty.campaigns``); ``channel`` is the
    sales channel recorded on every lot (by default the one ``sales_channel``
    sets, else "web"; e.g. "store:12" for a sale the accounting system
    reports from a store). A return, refund
    or lower goods total recorded before the order earned is honoured: the
    lots are written for the whole order and the returned share is taken back
    from them at once, so a later change of that share moves it either way.
    Returns the base cashback's lot, or None (a guest order, an order whose
    base earns nothing, or one already accrued).
    """
    if not order.user_id:
        return None
    now = now or timezone.now()
    channel = channel or _channel.get() or campaigns.default_channel()
    with transaction.atomic():
        tier = tiers.tier_for(order.user, now=now)
        inputs, accruals = _order_points(order, tier)
        paid = sum((a.paid for a in accruals), Decimal("0.00")).quantize(CENT)
        purchase, created = QualifyingPurchase.objects.get_or_create(
            order_number=order.number,
            defaults={"user_id": order.user_id, "amount": paid, "placed_at": order.date_placed or now},
        )
        if not created:
            return None
        points = sum(a.points for a in accruals)
        returned = ledger.returned_share(order.number)
        lot = None
        if points > 0:
            try:
                lot = ledger.accrue(
                    order.user,
                    points,
                    key=accrual_key(order.number),
                    reason=_("Order %(number)s") % {"number": order.number},
                    order=order.number,
                    channel=channel,
                    now=now,
                )
            except ledger.AccountBlocked:
                # A blocked account earns nothing, but the order must still
                # complete: the purchase counts, the points do not.
                logger.warning("Order %s earned no points: the customer's account is blocked.", order.number)
                points = 0
        evaluation, _rules = campaigns.evaluate_order(order, tier, inputs, accruals, channel=channel, now=now)
        awards = campaigns.award_order(order, evaluation, channel=channel, now=now)
        points += sum(award.points for award in awards)
        if (lot is not None or awards) and returned > 0:
            reversal = ledger.reverse_order(
                order.number,
                share=returned,
                key=f"{accrual_key(order.number)}:returned",
                reason=_("Order %(number)s: returned before it earned") % {"number": order.number},
                now=now,
            )
            points -= reversal.points_reversed if reversal is not None else 0
        _follow_returned_share(purchase, returned)
        tiers.recompute_tier(
            order.user, reason=_("Order %(number)s") % {"number": order.number}, now=now, allow_downgrade=False
        )
        transaction.on_commit(
            lambda: signals.order_points_accrued.send_robust(
                sender=QualifyingPurchase,
                order_number=order.number,
                user=order.user,
                lot=lot,
                points=points,
                channel=channel,
            )
        )
    return lot


def _follow_returned_share(purchase, returned):
    """Set the purchase's returned amount to ``returned`` of it; True if it changed."""
    amount = min(purchase.amount, (purchase.amount * returned).quantize(CENT))
    if amount == purchase.returned:
        return False
    purchase.returned = amount
    purchase.save(update_fields=["returned"])
    return True


def reverse_for_order(
    order: AbstractOrder,
    *,
    fraction: Decimal | Fraction | int | str | None = None,
    share: Decimal | Fraction | int | str | None = None,
    key: str | None = None,
    reason: str = "",
    actor: AbstractBaseUser | str | None = None,
    now: datetime | None = None,
) -> AbstractReversal | None:
    """Undo an order's points (cancellation, a return of ``fraction`` of it, or a returned ``share`` as a target).

    The ledger makes this idempotent by ``key`` (a full reversal's key is the
    order number) and moves the order's points to the share now returned;
    the purchase volume follows that share, and so does the refunded amount
    of the order's "Bonus points" payment source. Returns the ledger's
    ``Reversal`` or None.
    """
    now = now or timezone.now()
    with transaction.atomic():
        given = {"share": share} if share is not None else {"fraction": 1 if fraction is None else fraction}
        reversal = ledger.reverse_order(order.number, key=key, reason=reason, actor=actor, now=now, **given)
        returned = ledger.returned_share(order.number)
        purchase = QualifyingPurchase.objects.select_for_update().filter(order_number=order.number).first()
        if purchase is not None and _follow_returned_share(purchase, returned):
            tiers.recompute_tier(
                purchase.user_id,
                reason=reason or _("Order %(number)s returned") % {"number": order.number},
                now=now,
                allow_downgrade=True,
            )
        restored = Reversal.objects.filter(order_number=order.number).aggregate(restored=Sum("points_restored"))
        refund_points_source(order, restored["restored"] or 0, reference=reversal.key if reversal is not None else "")
    return reversal


def refund_points_source(order: AbstractOrder, restored: int, *, reference: str = "") -> None:
    """Record the ``restored`` points (all given back so far) as refunded on the order's points payment source.

    Oscar's way (``Source.refund``: the refunded amount and a "Refund"
    transaction), so the order's payment tab and an accountant's export show
    what the points part of the payment became. Brought up to the total the
    ledger has restored for the order, never past what the source debited:
    running it again records nothing more.
    """
    source = (
        Source.objects.select_for_update(of=("self",))
        .filter(order=order, source_type__name=loyalty_settings.POINTS_SOURCE_TYPE)
        .order_by("pk")
        .first()
    )
    if source is None:
        return
    money = min(points_value(restored, loyalty_settings.POINT_VALUE), source.amount_debited)
    if money > source.amount_refunded:
        source.refund(money - source.amount_refunded, reference=reference)


def record_return(
    order: AbstractOrder,
    amount: Decimal | int | str,
    *,
    key: str,
    reason: str = "",
    actor: AbstractBaseUser | str | None = None,
    now: datetime | None = None,
) -> AbstractReversal | None:
    """A return of goods worth ``amount`` from ``order``; ``key`` names the return (e.g. its number).

    ``amount`` is goods value (what the returned lines cost, the part paid
    with points included), so the share returned is ``amount`` over the
    order's goods value: the same share of the points spent comes back, and
    the same share of the accrual goes.
    """
    base = goods_value(order)
    if base <= 0 or amount <= 0:
        raise ledger.InvalidAmount(_("A return must be of a positive amount."))
    fraction = min(Decimal(1), Decimal(amount) / base)
    return reverse_for_order(order, fraction=fraction, key=key, reason=reason, actor=actor, now=now)


def apply_goods_total(
    order: AbstractOrder,
    total: Decimal | int | str,
    *,
    key: str,
    reason: str = "",
    actor: AbstractBaseUser | str | None = None,
    now: datetime | None = None,
) -> AbstractReversal | None:
    """Bring the order's points in line with a goods total reported for it (by the accounting system).

    The total is a target, not a change: the returned share becomes
    ``1 − total ÷ the order's goods value`` (within [0, 1]) whatever was
    reported before, so totals that go down, up and down again end where the
    last one alone would. A total above the order's goods value returns
    nothing and earns nothing extra: the shop's order lines are the basis.
    ``key`` names this report; the same share twice changes nothing.
    Returns the ledger's ``Reversal``, or None when nothing moved.
    """
    base = goods_value(order)
    if base <= 0:
        return None
    total = Decimal(total)
    if total < 0:
        raise ledger.InvalidAmount(_("A goods total cannot be negative."))
    share = max(Decimal(0), min(Decimal(1), 1 - total / base))
    return reverse_for_order(order, share=share, key=key, reason=reason, actor=actor, now=now)
