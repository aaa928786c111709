"""Refunds entered in Oscar's dashboard give back the points an order was paid with.

Oscar has no returns model: staff record a refund as a *payment event* on
the order's page in the dashboard, either on some of its lines (with
quantities) or on the whole order (with an amount). A payment event whose
type's code is in ``OSCAR_LOYALTY_REFUND_EVENT_TYPES`` ("refund" by
default) undoes that share of the order's points through the ledger
(``earning.services.reverse_for_order``): the points paid for it come back,
the points it earned are taken back, and the customer's purchase volume
drops with it.

- On lines: the share is the refunded quantities' part of the value of the
  order's lines. Oscar refuses to refund more of a line than it holds, so a
  refund entered twice restores once.
- On the whole order: the amount is money, so the share is its part of what
  the goods cost in money (their value less the points paid for them;
  shipping aside). That is the returned goods value over the order's goods
  value, as for every other kind of return. A whole order refunded twice
  restores once; the ledger never restores more than the order spent.

Each event is undone once, whoever calls for it again (the ledger's key is
the event's). A cancellation (the order moved to a status in
``OSCAR_LOYALTY_CANCEL_STATUSES``) restores everything that is left.

The plugin's class loader makes this Oscar's ``order.processing.EventHandler``;
a shop with its own handler mixes :class:`PointsRefundMixin` into it.
"""

from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from oscar.apps.order import processing
from oscar.core.loading import get_class

from oscar_loyalty import ledger
from oscar_loyalty.earning import services
from oscar_loyalty.settings import loyalty_settings

InvalidPaymentEvent = get_class("order.exceptions", "InvalidPaymentEvent")


def is_refund(event_type):
    return event_type is not None and event_type.code in loyalty_settings.REFUND_EVENT_TYPES


def refund_key(order, event):
    return f"refund:{order.number}:event:{event.pk}"


def line_refund_fraction(refunded, lines):
    """The share of an order a refund of some of its lines is: a pure function over plain values.

    ``refunded`` is ``(line value, line quantity, quantity refunded)`` per
    refunded line, ``lines`` the value of every line of the order.
    """
    whole = sum((Decimal(value) for value in lines), Decimal(0))
    if whole <= 0:
        return Decimal(0)
    part = sum(
        (Decimal(value) * Decimal(quantity) / Decimal(of) for value, of, quantity in refunded if of),
        Decimal(0),
    )
    return min(Decimal(1), part / whole)


def amount_refund_fraction(amount, goods_value, points_paid):
    """The share of an order a refund of ``amount`` of money is: its part of what the goods cost in money.

    Returned goods value over the order's goods value: ``amount`` of money
    refunded stands for ``amount × goods ÷ (goods − points)`` of goods.
    """
    amount, goods_value, points_paid = Decimal(amount), Decimal(goods_value), Decimal(points_paid)
    paid_in_money = goods_value - points_paid
    base = paid_in_money if paid_in_money > 0 else goods_value
    if amount <= 0 or base <= 0:
        return Decimal(0)
    return min(Decimal(1), amount / base)


def refund_fraction(order, amount, lines=None, line_quantities=None):
    if lines and line_quantities:
        refunded = [
            (line.line_price_incl_tax, line.quantity, quantity)
            for line, quantity in zip(lines, line_quantities, strict=True)
        ]
        every_line = order.lines.values_list("line_price_incl_tax", flat=True)
        return line_refund_fraction(refunded, every_line)
    return amount_refund_fraction(amount, services.goods_value(order), services.points_paid(order))


def restore_points_for_refund(order, event, amount, lines=None, line_quantities=None, *, actor=None):
    """Undo the share of ``order``'s points that the refund ``event`` stands for; once per event.

    Returns the ledger's ``Reversal``, or None when there was nothing to undo.
    """
    fraction = refund_fraction(order, amount, lines, line_quantities)
    # The ledger keeps shares to six places: anything less moves no point.
    if fraction.quantize(Decimal("0.000001"), rounding=ROUND_DOWN) <= 0:
        return None
    return services.reverse_for_order(
        order,
        fraction=fraction,
        key=refund_key(order, event),
        reason=_("Order %(number)s: refund") % {"number": order.number},
        actor=actor,
    )


class PointsRefundMixin:
    """For Oscar's ``EventHandler``: a refund payment event gives the order's points back."""

    def validate_payment_event(self, order, event_type, amount, lines=None, line_quantities=None, **kwargs):
        super().validate_payment_event(order, event_type, amount, lines, line_quantities, **kwargs)
        if is_refund(event_type) and not (lines and line_quantities) and (amount is None or amount <= 0):
            raise InvalidPaymentEvent(_("A refund must be of a positive amount."))

    def create_payment_event(self, order, event_type, amount, lines=None, line_quantities=None, **kwargs):
        # The event and the points it gives back are written together, or neither is.
        with transaction.atomic():
            event = super().create_payment_event(order, event_type, amount, lines, line_quantities, **kwargs)
            if is_refund(event_type):
                actor = self.user if getattr(self.user, "is_authenticated", False) else None
                try:
                    restore_points_for_refund(order, event, amount, lines, line_quantities, actor=actor)
                except ledger.LoyaltyError as exc:
                    raise InvalidPaymentEvent(str(exc)) from exc
        return event


class EventHandler(PointsRefundMixin, processing.EventHandler):
    """Oscar's order event handler, with refunds giving points back.

    Imports Oscar's class directly, not through ``get_class``: the plugin's
    class loader returns this class for that name.
    """
