from decimal import Decimal as D

import pytest

from oscar_loyalty.checkout.calculations import max_points_for_order, points_value


@pytest.mark.parametrize(
    ("available", "total", "shipping", "share", "value", "min_to_pay", "shipping_payable", "expected"),
    [
        # The tier's share of the goods is the limit.
        (10_000, "1000.00", "0.00", "20", "1.00", "1.00", False, 200),
        # Fewer points than the share: all of them.
        (150, "1000.00", "0.00", "20", "1.00", "1.00", False, 150),
        # Nothing available, nothing to use.
        (0, "1000.00", "0.00", "20", "1.00", "1.00", False, 0),
        # Shipping is not payable with points by default: the share is of the goods only.
        (10_000, "1300.00", "300.00", "50", "1.00", "1.00", False, 500),
        # ... unless the shop allows it.
        (10_000, "1300.00", "300.00", "50", "1.00", "1.00", True, 650),
        # A 100% share still leaves the minimum to pay in money ("total minus 1").
        (10_000, "1000.00", "0.00", "100", "1.00", "1.00", False, 999),
        # A minimum of zero lets points pay the whole order.
        (10_000, "1000.00", "0.00", "100", "1.00", "0.00", False, 1000),
        # Goods cheaper than the minimum: no points at all.
        (10_000, "0.80", "0.00", "100", "1.00", "1.00", False, 0),
        # With shipping not payable, points never pay more than the goods even at zero minimum.
        (10_000, "1300.00", "300.00", "100", "1.00", "0.00", False, 1000),
        # Shipping alone covers the minimum: the goods may be paid in full.
        (10_000, "1300.00", "300.00", "100", "1.00", "1.00", False, 1000),
        # ... but shipping payable with points brings the minimum back.
        (10_000, "1300.00", "300.00", "100", "1.00", "1.00", True, 1299),
        # Points worth less than a currency unit: more of them, rounded down.
        (10_000, "999.99", "0.00", "20", "0.10", "1.00", False, 1999),
        # Points worth more: the share is rounded down to whole points.
        (10_000, "1000.00", "0.00", "20", "3.00", "1.00", False, 66),
        # A fractional share percentage.
        (10_000, "333.33", "0.00", "12.5", "1.00", "1.00", False, 41),
        # No tier, or a tier that pays nothing with points.
        (10_000, "1000.00", "0.00", None, "1.00", "1.00", False, 0),
        (10_000, "1000.00", "0.00", "0", "1.00", "1.00", False, 0),
        # A negative balance (debt) never turns into a negative maximum.
        (-50, "1000.00", "0.00", "20", "1.00", "1.00", False, 0),
    ],
)
def test_max_points_for_order(available, total, shipping, share, value, min_to_pay, shipping_payable, expected):
    result = max_points_for_order(
        available,
        D(total),
        D(shipping),
        None if share is None else D(share),
        D(value),
        min_to_pay=D(min_to_pay),
        shipping_payable=shipping_payable,
    )
    assert result == expected
    assert isinstance(result, int)


@pytest.mark.parametrize(
    ("points", "value", "expected"),
    [
        (0, "1.00", "0.00"),
        (150, "1.00", "150.00"),
        (7, "0.10", "0.70"),
        (3, "0.333", "1.00"),
        # More digits than Decimal's default precision (a corrupt session) still convert exactly.
        (10**30, "1.00", f"{10**30}.00"),
    ],
)
def test_points_value(points, value, expected):
    assert points_value(points, D(value)) == D(expected)
