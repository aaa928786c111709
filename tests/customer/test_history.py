"""Every kind of movement in the customer's words: one table, one expected sentence per row."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import translation
from oscar.core.loading import get_model

from oscar_loyalty.customer.history import describe, signed

JournalEntry = get_model("oscar_loyalty", "JournalEntry")
Lot = get_model("oscar_loyalty", "Lot")
Reversal = get_model("oscar_loyalty", "Reversal")

NOW = datetime(2025, 12, 1, 12, 0, tzinfo=UTC)
DEC_14 = datetime(2025, 12, 14, 12, 0, tzinfo=UTC)
NEXT_YEAR = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


def lot(**fields):
    defaults = {"available_at": DEC_14, "expires_at": NEXT_YEAR, "origin": Lot.ORDER}
    return Lot(**{**defaults, **fields})


def entry(kind, points, **fields):
    return JournalEntry(kind=kind, points=points, **fields)


CASES = [
    (
        "accrual for an order, pending",
        entry("accrual", 305, pending_change=305, order_number="100123", lot=lot()),
        "+305 for order 100123, available from 14 December",
    ),
    (
        "accrual for an order, available at once",
        entry("accrual", 305, available_change=305, order_number="100123", lot=lot()),
        "+305 for order 100123",
    ),
    (
        "accrual without an order, with its reason",
        entry("accrual", 100, pending_change=100, reason="Birthday", lot=lot()),
        "+100 credited (Birthday), available from 14 December",
    ),
    (
        "accrual that paid off a debt",
        entry("accrual", 305, pending_change=185, debt_change=-120, order_number="100125", lot=lot()),
        "+305 for order 100125, available from 14 December. 120 of them covered points owed from a returned order.",
    ),
    (
        "activation",
        entry("activation", 0, available_change=305, pending_change=-305, order_number="100123", lot=lot()),
        "305 for order 100123 became available",
    ),
    (
        "activation of points without an order",
        entry("activation", 0, available_change=100, pending_change=-100, lot=lot()),
        "100 became available",
    ),
    (
        "a hold for a checkout in progress",
        entry("reservation", 0, available_change=-500, reserved_change=500, order_number="100124"),
        "500 set aside to pay for order 100124",
    ),
    (
        "redemption",
        entry("redemption", -500, reserved_change=-500, order_number="100124"),
        "\u2212500 paid for order 100124",
    ),
    (
        "release giving every point back",
        entry("release", 0, available_change=500, reserved_change=-500, order_number="100124"),
        "500 set aside for order 100124 returned to your balance",
    ),
    (
        "release with a part expired meanwhile",
        entry("release", -40, available_change=460, reserved_change=-500, order_number="100124"),
        "\u221240 expired while set aside for order 100124; the other 460 returned",
    ),
    (
        "release with everything expired meanwhile",
        entry("release", -500, reserved_change=-500, order_number="100124"),
        "\u2212500 expired while set aside for order 100124",
    ),
    (
        "expiry",
        entry("expiry", -40, available_change=-40, lot=lot()),
        "\u221240 expired",
    ),
    (
        "expiry of an order's points",
        entry("expiry", -40, available_change=-40, order_number="100120", lot=lot()),
        "\u221240 expired (earned for order 100120)",
    ),
    (
        "full reversal",
        entry("reversal", -305, pending_change=-305, order_number="100123", reversal=Reversal(fraction=Decimal("1"))),
        "\u2212305: order 100123 cancelled or returned",
    ),
    (
        "partial return",
        entry("reversal", -92, available_change=-92, order_number="100123", reversal=Reversal(fraction=Decimal("0.3"))),
        "\u221292: part of order 100123 returned",
    ),
    (
        "reversal of points already spent",
        entry(
            "reversal",
            -305,
            available_change=-105,
            debt_change=200,
            order_number="100123",
            reversal=Reversal(fraction=Decimal("1")),
        ),
        "\u2212305: order 100123 cancelled or returned. "
        "200 of them had already been spent and will be taken from your next points.",
    ),
    (
        "restoration into the original lot",
        entry("restoration", 500, available_change=500, order_number="100124", lot=lot()),
        "+500 returned from order 100124",
    ),
    (
        "restoration into a new lot, the original having expired",
        entry("restoration", 500, available_change=500, order_number="100124", lot=lot(origin=Lot.RESTORE)),
        "+500 returned from order 100124, usable until 3 March 2026",
    ),
    (
        "manual credit",
        entry("adjustment", 500, available_change=500, reason="Delayed delivery", lot=lot()),
        "+500 added by the shop (Delayed delivery)",
    ),
    (
        "manual credit with a hold",
        entry("adjustment", 500, pending_change=500, reason="Delayed delivery", lot=lot()),
        "+500 added by the shop (Delayed delivery), available from 14 December",
    ),
    (
        "manual debit",
        entry("adjustment", -150, available_change=-150, reason="Gloves returned"),
        "\u2212150 deducted by the shop (Gloves returned)",
    ),
    (
        "correction from the accounting system",
        entry("erp_correction", -20, available_change=-20, reason="Reconciliation"),
        "\u221220: correction by our accounts department (Reconciliation)",
    ),
]


@pytest.mark.parametrize(("movement", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_each_movement_reads_as_plain_words(movement, expected):
    with translation.override("en"):
        assert describe(movement, now=NOW) == expected


@pytest.mark.parametrize(("points", "expected"), [(305, "+305"), (-500, "\u2212500"), (0, "0")])
def test_amounts_carry_their_sign(points, expected):
    assert signed(points) == expected


def test_every_kind_of_entry_has_its_own_wording():
    described = {case[1].kind for case in CASES}
    assert described == {kind for kind, _label in JournalEntry.KIND_CHOICES}


def test_the_wording_renders_in_russian_too():
    movement = entry("accrual", 305, pending_change=305, order_number="100123", lot=lot())
    with translation.override("ru"):
        text = describe(movement, now=NOW)
    assert "305" in text and "100123" in text and "14" in text
