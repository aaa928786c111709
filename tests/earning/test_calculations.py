from decimal import Decimal as D

import pytest

from oscar_loyalty.earning.calculations import LineInput, line_points, order_accrual, spread


@pytest.mark.parametrize(
    ("paid", "percent", "coefficient", "points"),
    [
        (D("10000.00"), D("3"), D("1"), 300),
        (D("10000.00"), D("5"), D("0.5"), 250),
        (D("10000.00"), D("7"), D("2"), 1400),
        (D("6190.00"), D("10"), D("1"), 619),
        (D("99.99"), D("3"), D("1"), 2),  # 2.9997 rounds down
        (D("33.33"), D("3"), D("1"), 0),  # 0.9999 rounds down to nothing
        (D("34.00"), D("3"), D("1"), 1),
        (D("0.00"), D("10"), D("1"), 0),  # a free line earns nothing
        (D("-5.00"), D("10"), D("1"), 0),
        (D("1000.00"), D("0"), D("1"), 0),
        (D("1000.00"), D("5"), D("0"), 0),
        (D("1999.99"), D("5"), D("1.5"), 149),  # 149.99925
    ],
)
def test_line_points_round_down_to_whole_points(paid, percent, coefficient, points):
    assert line_points(paid, percent, coefficient) == points


@pytest.mark.parametrize(
    ("amounts", "reduction", "shares"),
    [
        ([D("100.00"), D("100.00")], D("50.00"), [D("25.00"), D("25.00")]),
        ([D("100.00"), D("200.00")], D("100.00"), [D("33.33"), D("66.67")]),
        ([D("1.00"), D("1.00"), D("1.00")], D("1.00"), [D("0.34"), D("0.33"), D("0.33")]),
        ([D("10.00"), D("0.00")], D("5.00"), [D("5.00"), D("0.00")]),
        ([D("10.00"), D("20.00")], D("100.00"), [D("10.00"), D("20.00")]),  # never more than the lines cost
        ([D("10.00")], D("0"), [D("0.00")]),
        ([], D("10.00"), []),
    ],
)
def test_spread_is_proportional_and_sums_exactly(amounts, reduction, shares):
    result = spread(amounts, reduction)
    assert result == shares
    assert sum(result, D(0)) == min(reduction, sum(amounts, D(0)))


def test_order_accrual_mixes_groups_quantities_and_promo_lines():
    lines = [
        LineInput("bike", D("60000.00"), D("1.0")),  # 2 × 30,000
        LineInput("helmet", D("5000.00"), D("2.0")),  # high margin
        LineInput("tyre", D("3000.00"), D("0.5")),  # low margin
        LineInput("sale-lock", D("1500.00"), D("1.0"), offer_discounted=True),
        LineInput("sticker", D("0.00"), D("1.0")),
    ]
    result = order_accrual(lines, cashback_percent=D("5"))
    assert [r.points for r in result] == [3000, 500, 75, 0, 0]


def test_points_spent_on_the_order_earn_nothing():
    lines = [LineInput("a", D("1000.00")), LineInput("b", D("3000.00"))]
    result = order_accrual(lines, cashback_percent=D("10"), reduction=D("400.00"))
    assert [r.paid for r in result] == [D("900.00"), D("2700.00")]
    assert [r.points for r in result] == [90, 270]
    unspread = order_accrual(lines, cashback_percent=D("10"), reduction=D("400.00"), spread_reductions=False)
    assert [r.points for r in unspread] == [100, 300]


def test_promo_lines_can_be_allowed_to_earn():
    lines = [LineInput("sale", D("1000.00"), offer_discounted=True)]
    assert order_accrual(lines, cashback_percent=D("3"), offers_earn=True)[0].points == 30
