"""Campaign rule evaluation: a 100-line basket against 50 active rules, the engine alone (no database).

The rules mix every basis, reward and condition a shop uses at once (happy
hours, weekdays, channels, tiers and segments, lines of products, categories,
product types and margin groups, brackets, the Nth purchase, stacking and
"best wins"), so the figure is the cost of one accrual's, one basket
display's or one preview's evaluation. The target is at most 5 ms. The last
line printed is one JSON object::

    {"lines": 100, "rules": 50, "ms_per_eval": .., "evals": .., "bonus": ..}
"""

import argparse
import statistics
import time
from datetime import UTC, date, datetime
from decimal import Decimal

from benchmarks.common import emit_json
from oscar_loyalty.campaigns.engine import Customer, Line, Occasion, Rule, evaluate

NOW = datetime(2026, 12, 2, 14, 30, tzinfo=UTC)


def basket(n_lines):
    return Occasion(
        at=NOW,
        channel="web",
        lines=tuple(
            Line(
                reference=str(i),
                amount=Decimal(100 + 37 * i) + Decimal("0.99"),
                base_points=(100 + 37 * i) * 3 // 100,
                product_id=1000 + i,
                parent_id=None,
                class_id=i % 7,
                category_paths=(f"{i % 9 + 1:04d}", f"{i % 9 + 1:04d}{i % 4 + 1:04d}"),
                margin_group_id=i % 5,
                earns=i % 10 != 0,
            )
            for i in range(n_lines)
        ),
    )


def rules(n_rules):
    kinds = [
        dict(hour_from=14, hour_to=16, reward="multiplier", value=Decimal(2)),
        dict(weekdays=frozenset({2, 5}), reward="percent", value=Decimal(1)),
        dict(basis="lines", product_ids=frozenset(range(1000, 1100, 3)), reward="percent", value=Decimal(5)),
        dict(basis="lines", category_paths=("0003", "00050002"), reward="multiplier", value=Decimal("1.5")),
        dict(basis="lines", class_ids=frozenset({1, 2}), margin_group_ids=frozenset({4}), value=Decimal(2)),
        dict(
            basis="brackets",
            stacking="best",
            brackets=((Decimal(1), Decimal(5)), (Decimal(100), Decimal(7)), (Decimal(500), Decimal(10))),
        ),
        dict(basis="nth", nth_every=5, nth_min_amount=Decimal(500), reward="fixed", value=Decimal(100)),
        dict(audience="tiers", tier_ids=frozenset({2, 3}), reward="percent", value=Decimal(2)),
        dict(audience="segments", segment_ids=frozenset({7}), channels=frozenset({"web"}), value=Decimal(1)),
        dict(basis="event", event="birthday", reward="fixed", value=Decimal(500)),
    ]
    made = []
    for i in range(n_rules):
        fields = dict(kinds[i % len(kinds)])
        fields.setdefault("value", Decimal(3))
        made.append(Rule(id=i + 1, version=1, name=f"rule {i + 1}", **fields))
    return made


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100)
    parser.add_argument("--rules", type=int, default=50)
    parser.add_argument("--evals", type=int, default=300)
    args = parser.parse_args(argv)

    occasion = basket(args.lines)
    snapshot = rules(args.rules)
    customer = Customer(
        user_id=1,
        tier_id=2,
        segment_ids=frozenset({7}),
        registered_on=date(2025, 1, 1),
        purchases=tuple((date(2026, 1, d), Decimal(600)) for d in range(1, 5)),
    )
    for _ in range(20):  # warm-up
        result = evaluate(snapshot, occasion, customer)
    timings = []
    for _ in range(args.evals):
        started = time.perf_counter()
        result = evaluate(snapshot, occasion, customer)
        timings.append(time.perf_counter() - started)
    ms = statistics.median(timings) * 1000
    print(f"{args.lines} lines × {args.rules} rules: {ms:.3f} ms per evaluation (median of {args.evals})")
    print(f"base {result.base} + {len(result.awards)} awards = {result.total}")
    emit_json(
        {
            "lines": args.lines,
            "rules": args.rules,
            "ms_per_eval": round(ms, 3),
            "evals": args.evals,
            "bonus": result.bonus,
        }
    )


if __name__ == "__main__":
    main()
