"""The accrual formula and its helpers: pure functions over plain values.

For every order line::

    points = floor(paid amount × tier cashback % × margin group coefficient)

summed over the order. The *paid amount* is what the customer paid for the
line in money: after Oscar's discounts, and (by default) without the share of
order-level reductions — points spent on the order — spread over the lines
in proportion to their amounts. Lines discounted by a special offer earn
nothing by default (promo goods do not earn). Shipping never earns.
"""

import math
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class LineInput:
    """One order line as the formula sees it."""

    reference: str
    amount: Decimal  # what the line costs after Oscar's discounts (incl. tax)
    coefficient: Decimal = Decimal(1)  # its margin group's accrual coefficient
    offer_discounted: bool = False  # a special offer reduced its price


@dataclass(frozen=True)
class LineAccrual:
    reference: str
    paid: Decimal
    points: int


def spread(amounts, reduction):
    """Split ``reduction`` over ``amounts`` in proportion, to the cent, summing exactly.

    Largest-remainder rounding: each share is rounded down to the cent and
    the cents left over go to the lines with the largest remainders (the
    earlier line on a tie). No share exceeds its amount.
    """
    amounts = [Decimal(a) for a in amounts]
    total = sum(amounts, Decimal(0))
    reduction = min(Decimal(reduction), total)
    if reduction <= 0 or total <= 0:
        return [Decimal("0.00") for _ in amounts]
    exact = [a * reduction / total for a in amounts]
    shares = [e.quantize(CENT, rounding=ROUND_DOWN) for e in exact]
    left = int(((reduction - sum(shares, Decimal(0))) / CENT).to_integral_value())
    by_remainder = sorted(range(len(amounts)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_remainder[:left]:
        shares[i] += CENT
    return shares


def line_points(paid, cashback_percent, coefficient):
    """floor(paid × cashback % × coefficient); never negative."""
    if paid <= 0 or cashback_percent <= 0 or coefficient <= 0:
        return 0
    return max(0, math.floor(Decimal(paid) * Decimal(cashback_percent) / HUNDRED * Decimal(coefficient)))


def order_accrual(lines, *, cashback_percent, reduction=Decimal(0), spread_reductions=True, offers_earn=False):
    """Points per line for an order; ``reduction`` is what was paid with points.

    Returns ``[LineAccrual]`` in the lines' order. With ``spread_reductions``
    off, ``reduction`` is ignored and every line earns on its full amount.
    """
    lines = list(lines)
    shares = spread([line.amount for line in lines], reduction if spread_reductions else 0)
    result = []
    for line, share in zip(lines, shares, strict=True):
        paid = max(Decimal(0), line.amount - share)
        earns = offers_earn or not line.offer_discounted
        points = line_points(paid, cashback_percent, line.coefficient) if earns else 0
        result.append(LineAccrual(line.reference, paid, points))
    return result


def upcoming_points(amount, cashback_percent, coefficient):
    """The "+N bonuses" shown next to a price: what buying it at ``amount`` earns."""
    return line_points(amount, cashback_percent, coefficient)
