"""What a lot may pay for: its spend restrictions, checked against a basket (pure).

A lot's ``spend_terms`` is None (any order) or a dict of these optional keys:

- ``max_percent``: at most this percentage of the order's goods (a string);
- ``min_order``: only orders whose goods cost at least this (a string);
- ``product_ids`` / ``category_paths``: only these products' lines (a
  category covers its subcategories);
- ``from`` / ``until``: only within this time window (ISO datetimes).

Lots with the same terms share one cap: two campaign lots "at most 20 %"
pay 20 % of the order together, not 40 %. A lot with terms pays nothing
without a basket to check them against.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from oscar_loyalty.ledger.exceptions import InvalidOperation as InvalidTerms

KEYS = {"max_percent", "min_order", "product_ids", "category_paths", "from", "until"}


@dataclass(frozen=True)
class SpendLine:
    amount: Decimal
    product_id: int | None = None
    category_paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class SpendBasket:
    """The goods an order pays for, as a lot's terms see them."""

    lines: tuple[SpendLine, ...] = ()
    at: datetime | None = None
    total: Decimal = field(default=None)

    def __post_init__(self):
        if self.total is None:
            object.__setattr__(self, "total", sum((line.amount for line in self.lines), Decimal(0)))


def check_terms(terms):
    """``terms`` normalised for storage (None when it restricts nothing); bad terms raise InvalidOperation."""
    if not terms:
        return None
    if not isinstance(terms, dict) or set(terms) - KEYS:
        raise InvalidTerms(_("Unknown spend restrictions: %(terms)s.") % {"terms": terms})
    clean = {}
    try:
        for name in ("max_percent", "min_order"):
            if terms.get(name) is not None:
                value = Decimal(str(terms[name]))
                if not value.is_finite() or value < 0 or (name == "max_percent" and value > 100):
                    raise InvalidOperation
                clean[name] = str(value)
        if terms.get("product_ids"):
            clean["product_ids"] = sorted({int(pk) for pk in terms["product_ids"]})
        if terms.get("category_paths"):
            clean["category_paths"] = sorted({str(path) for path in terms["category_paths"]})
        for name in ("from", "until"):
            value = terms.get(name)
            if value:
                moment = value if isinstance(value, datetime) else parse_datetime(str(value))
                if moment is None:
                    raise InvalidOperation
                clean[name] = moment.isoformat()
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidTerms(_("Unknown spend restrictions: %(terms)s.") % {"terms": terms}) from None
    return clean or None


def terms_key(terms):
    return json.dumps(terms, sort_keys=True)


def allowance(terms, basket, point_value):
    """The most points lots with ``terms`` may pay together for ``basket``; None: no limit."""
    if not terms:
        return None
    if basket is None:
        return 0
    at = basket.at
    if terms.get("from") and (at is None or at < parse_datetime(terms["from"])):
        return 0
    if terms.get("until") and (at is None or at >= parse_datetime(terms["until"])):
        return 0
    total = Decimal(basket.total)
    if terms.get("min_order") and total < Decimal(terms["min_order"]):
        return 0
    base = total
    products = set(terms.get("product_ids") or ())
    paths = terms.get("category_paths") or ()
    if products or paths:
        base = sum(
            (
                line.amount
                for line in basket.lines
                if line.product_id in products or any(p.startswith(c) for p in line.category_paths for c in paths)
            ),
            Decimal(0),
        )
    if terms.get("max_percent") is not None:
        base = min(base, total * Decimal(terms["max_percent"]) / 100)
    point_value = Decimal(point_value)
    if base <= 0 or point_value <= 0:
        return 0
    return math.floor(base / point_value)


def offered(lots, basket, point_value):
    """``[(lot, points it may give)]`` for ``lots`` in spending order, caps shared per terms.

    ``basket`` is a :class:`SpendBasket`, None, or a callable returning one:
    called only when a lot has terms to weigh, so a basket whose lines cost
    queries to describe costs them only then.
    """
    caps = {}
    result = []
    for lot in lots:
        terms = lot.spend_terms
        if not terms:
            result.append((lot, lot.remaining))
            continue
        if callable(basket):
            basket = basket()
        key = terms_key(terms)
        if key not in caps:
            caps[key] = allowance(terms, basket, point_value)
        give = min(lot.remaining, caps[key])
        if give > 0:
            caps[key] -= give
            result.append((lot, give))
    return result
