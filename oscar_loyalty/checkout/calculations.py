"""How many points an order may be paid with: pure functions over plain values."""

from decimal import ROUND_DOWN, Decimal, localcontext

HUNDRED = Decimal(100)


def max_points_for_order(
    available,
    order_total,
    shipping,
    tier_max_share_percent,
    point_value,
    *,
    min_to_pay=Decimal("1.00"),
    shipping_payable=False,
):
    """The most points the customer may spend on an order, as a whole number.

    The smallest of:

    - the points ``available``;
    - the tier's maximum share of the payable total (the order total, less
      ``shipping`` unless ``shipping_payable``);
    - what leaves at least ``min_to_pay`` of the order total to be paid in
      money (zero allows paying the whole order with points).

    Amounts convert to points at ``point_value`` each, rounded down: a point
    is never worth more than the share it pays.
    """
    if available <= 0:
        return 0
    cap = points_cap(
        order_total,
        shipping,
        tier_max_share_percent,
        point_value,
        min_to_pay=min_to_pay,
        shipping_payable=shipping_payable,
    )
    return min(int(available), cap)


def points_cap(
    order_total,
    shipping,
    tier_max_share_percent,
    point_value,
    *,
    min_to_pay=Decimal("1.00"),
    shipping_payable=False,
):
    """The most points the order itself allows, whatever the balance: :func:`max_points_for_order` without it.

    What placing the order checks before it asks the ledger, which checks
    the balance under the account's lock.
    """
    order_total = Decimal(order_total)
    shipping = Decimal(shipping or 0)
    point_value = Decimal(point_value)
    if point_value <= 0 or tier_max_share_percent is None:
        return 0
    payable = order_total if shipping_payable else order_total - shipping
    by_share = payable * Decimal(tier_max_share_percent) / HUNDRED
    by_minimum = order_total - Decimal(min_to_pay)
    cap = min(payable, by_share, by_minimum)
    if cap <= 0:
        return 0
    return int((cap / point_value).to_integral_value(rounding=ROUND_DOWN))


def points_value(points, point_value):
    """What ``points`` are worth in the shop's currency, to the cent, however many digits it takes."""
    with localcontext() as context:
        context.prec = max(context.prec, len(str(abs(int(points)))) + 10)
        return (Decimal(points) * Decimal(point_value)).quantize(Decimal("0.01"))
