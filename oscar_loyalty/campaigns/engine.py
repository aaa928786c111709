"""Campaign rule evaluation: one pure function over an occasion, a customer and a snapshot of rules.

Accrual, the "+N bonuses" display, the earn calculator and the dashboard's
preview all call :func:`evaluate`; none of them reads a rule any other way.
Nothing here touches the database or the clock: the callers gather plain
values (:class:`Occasion`, :class:`Customer`) and a snapshot of published
rules (:class:`Rule`, built from each rule's ``spec``).

Stacking: every rule that applies computes a bonus on top of the base
cashback. Rules that stack add up; of the rules marked "best wins", only the
largest bonus counts, and only if it beats the stacking rules' sum (then it
is the one campaign bonus of the occasion). The base cashback always stays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

HUNDRED = Decimal(100)
ZERO = Decimal(0)


@dataclass(frozen=True)
class Line:
    """One order (or basket) line as rules see it."""

    reference: str
    amount: Decimal  # what the customer pays for it in money
    base_points: int = 0  # its base cashback
    product_id: int | None = None
    parent_id: int | None = None
    class_id: int | None = None
    category_paths: tuple[str, ...] = ()
    margin_group_id: int | None = None
    earns: bool = True  # promo goods earn nothing unless the shop allows it


@dataclass(frozen=True)
class Occasion:
    """An order, a basket or an event, at a moment (in the shop's time zone) and in a sales channel."""

    at: datetime
    lines: tuple[Line, ...] = ()
    channel: str = "web"
    event: str = ""
    code: str = ""
    # Days since the event's start (a referred friend's order: since the friend joined).
    event_age_days: int | None = None
    per_product: bool = False  # a price on a product card: per-order rules do not apply

    @property
    def amount(self):
        return sum((line.amount for line in self.lines if line.earns), ZERO)

    @property
    def base_points(self):
        return sum(line.base_points for line in self.lines)


@dataclass(frozen=True)
class Customer:
    """What rules may ask about the customer; None fields are unknown (an anonymous visitor)."""

    user_id: int | None = None
    tier_id: int | None = None
    segment_ids: frozenset = frozenset()
    registered_on: date | None = None
    birthday: date | None = None
    # Earlier purchases: (date placed, paid amount), oldest first.
    purchases: tuple[tuple[date, Decimal], ...] = ()


ANONYMOUS = Customer()


@dataclass(frozen=True)
class Rule:
    """A published rule, as plain values (see :func:`rule_from_spec`)."""

    id: int
    version: int
    name: str
    basis: str = "order"
    reward: str = "percent"
    value: Decimal = ZERO
    stacking: str = "stack"
    audience: str = "everyone"
    tier_ids: frozenset = frozenset()
    segment_ids: frozenset = frozenset()
    audience_from: date | None = None
    audience_to: date | None = None
    channels: frozenset = frozenset()
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    weekdays: frozenset = frozenset()
    hour_from: int | None = None
    hour_to: int | None = None
    birthday_days: int | None = None
    product_ids: frozenset = frozenset()
    category_paths: tuple[str, ...] = ()
    class_ids: frozenset = frozenset()
    margin_group_ids: frozenset = frozenset()
    brackets: tuple[tuple[Decimal, Decimal], ...] = ()
    nth_every: int | None = None
    nth_min_amount: Decimal | None = None
    event: str = ""
    event_code: str = ""
    event_days: int | None = None
    # The whole published spec: the lot's terms, hold, expiry and budgets, for the services.
    spec: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def per_order(self):
        """Whether the rule gives per order, not per product (a product card cannot show it)."""
        return self.basis in ("brackets", "nth", "event") or self.reward == "fixed"

    @property
    def terms(self):
        return self.spec.get("terms") or None


@dataclass(frozen=True)
class Award:
    rule: Rule
    points: int


@dataclass(frozen=True)
class Evaluation:
    base: int
    awards: tuple[Award, ...] = ()

    @property
    def bonus(self):
        return sum(award.points for award in self.awards)

    @property
    def total(self):
        return self.base + self.bonus


def evaluate(rules, occasion, customer=ANONYMOUS):
    """The :class:`Evaluation` of ``occasion`` for ``customer`` under ``rules`` (any iterable of :class:`Rule`)."""
    stacked, best = [], None
    for rule in rules:
        points = rule_points(rule, occasion, customer)
        if points <= 0:
            continue
        award = Award(rule, points)
        if rule.stacking == "best":
            if best is None or points > best.points or (points == best.points and rule.id < best.rule.id):
                best = award
        else:
            stacked.append(award)
    if best is not None and best.points > sum(award.points for award in stacked):
        awards = (best,)
    else:
        awards = tuple(stacked)
    return Evaluation(base=occasion.base_points, awards=awards)


def rule_points(rule, occasion, customer=ANONYMOUS):
    """What ``rule`` alone gives for ``occasion``: 0 unless every condition holds."""
    if not applies(rule, occasion, customer):
        return 0
    if rule.basis == "event":
        lines = [line for line in occasion.lines if line.earns]
        return reward_points(rule, lines, rule.value)
    if occasion.per_product and rule.per_order:
        return 0
    lines = [line for line in occasion.lines if line.earns]
    if rule.basis == "lines":
        lines = [line for line in lines if line_matches(rule, line)]
    if not lines:
        return 0
    amount = sum((line.amount for line in lines), ZERO)
    if rule.basis == "brackets":
        percent = bracket_percent(rule.brackets, occasion.amount)
        return floor(amount * percent / HUNDRED) if percent else 0
    if rule.basis == "nth" and not is_nth_purchase(rule, occasion.amount, customer):
        return 0
    return reward_points(rule, lines, rule.value)


def reward_points(rule, lines, value):
    if rule.reward == "fixed":
        return max(0, int(value))
    if rule.reward == "multiplier":
        extra = Decimal(value) - 1
        return floor(sum(line.base_points for line in lines) * extra) if extra > 0 else 0
    amount = sum((line.amount for line in lines), ZERO)
    return floor(amount * Decimal(value) / HUNDRED)


def floor(value):
    return max(0, math.floor(value))


def applies(rule, occasion, customer):
    """Whether who, where and when allow ``rule`` for this occasion (its basis aside)."""
    if (rule.basis == "event") != bool(occasion.event):
        return False
    if rule.basis == "event" and (
        rule.event != occasion.event
        or (rule.event == "code" and rule.event_code.strip().casefold() != occasion.code.strip().casefold())
    ):
        return False
    if rule.basis == "event" and rule.event_days is not None and not in_event_period(rule, occasion):
        return False
    return (
        is_audience(rule, customer, occasion.at)
        and in_channel(rule, occasion.channel)
        and in_time(rule, occasion.at, customer)
    )


def in_event_period(rule, occasion):
    """Whether the occasion falls within the rule's days from the event's start (day 0 is the start's day)."""
    return occasion.event_age_days is not None and 0 <= occasion.event_age_days <= rule.event_days


def is_audience(rule, customer, at):
    audience = rule.audience
    if audience == "everyone":
        return True
    if audience == "tiers":
        return customer.tier_id is not None and customer.tier_id in rule.tier_ids
    if audience == "segments":
        return bool(customer.segment_ids & rule.segment_ids)
    if audience == "registered":
        return customer.registered_on is not None and in_window(customer.registered_on, rule)
    if audience == "purchased":
        return any(in_window(placed, rule) for placed, _amount in customer.purchases)
    return False


def in_window(day, rule):
    return (rule.audience_from is None or day >= rule.audience_from) and (
        rule.audience_to is None or day <= rule.audience_to
    )


def in_channel(rule, channel):
    if not rule.channels:
        return True
    # "store" covers every store; "store:12" that one.
    return channel in rule.channels or channel.split(":", 1)[0] in rule.channels


def in_time(rule, at, customer):
    if rule.starts_at is not None and at < rule.starts_at:
        return False
    if rule.ends_at is not None and at >= rule.ends_at:
        return False
    if rule.weekdays and at.weekday() not in rule.weekdays:
        return False
    if rule.hour_from is not None or rule.hour_to is not None:
        start = rule.hour_from or 0
        end = 24 if rule.hour_to is None else rule.hour_to
        hour = at.hour
        inside = start <= hour < end if start <= end else (hour >= start or hour < end)
        if not inside:
            return False
    if rule.birthday_days is not None:
        return customer.birthday is not None and days_from_birthday(customer.birthday, at.date()) <= rule.birthday_days
    return True


def days_from_birthday(birthday, today):
    """Days between ``today`` and the nearest anniversary of ``birthday`` (29 February counts as 28 February)."""
    nearest = None
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            anniversary = birthday.replace(year=year)
        except ValueError:
            anniversary = date(year, 2, 28)
        distance = abs((anniversary - today).days)
        nearest = distance if nearest is None else min(nearest, distance)
    return nearest


def line_matches(rule, line):
    if line.product_id is not None and (line.product_id in rule.product_ids or line.parent_id in rule.product_ids):
        return True
    if line.class_id is not None and line.class_id in rule.class_ids:
        return True
    if line.margin_group_id is not None and line.margin_group_id in rule.margin_group_ids:
        return True
    return any(path.startswith(prefix) for path in line.category_paths for prefix in rule.category_paths)


def bracket_percent(brackets, amount):
    """The percentage of the highest bracket ``amount`` reaches; 0 below the first."""
    percent = ZERO
    for start, rate in sorted(brackets):
        if amount >= start:
            percent = rate
    return percent


def is_nth_purchase(rule, amount, customer):
    """Whether this purchase is an Nth one: the earlier purchases that count, plus this one, a multiple of N."""
    if not rule.nth_every:
        return False
    minimum = rule.nth_min_amount or ZERO
    if amount < minimum:
        return False
    earlier = sum(1 for _placed, paid in customer.purchases if paid >= minimum)
    return (earlier + 1) % rule.nth_every == 0


def rule_from_spec(rule_id, version, spec):
    """A :class:`Rule` from a published ``spec`` (plain JSON)."""

    def when(name):
        value = spec.get(name)
        return datetime.fromisoformat(value) if value else None

    def day(name):
        value = spec.get(name)
        return date.fromisoformat(value) if value else None

    def number(name):
        value = spec.get(name)
        return Decimal(value) if value not in (None, "") else None

    return Rule(
        id=rule_id,
        version=version,
        name=spec.get("name", ""),
        basis=spec.get("basis", "order"),
        reward=spec.get("reward", "percent"),
        value=Decimal(spec.get("value") or 0),
        stacking=spec.get("stacking", "stack"),
        audience=spec.get("audience", "everyone"),
        tier_ids=frozenset(spec.get("tier_ids", ())),
        segment_ids=frozenset(spec.get("segment_ids", ())),
        audience_from=day("audience_from"),
        audience_to=day("audience_to"),
        channels=frozenset(spec.get("channels", ())),
        starts_at=when("starts_at"),
        ends_at=when("ends_at"),
        weekdays=frozenset(spec.get("weekdays", ())),
        hour_from=spec.get("hour_from"),
        hour_to=spec.get("hour_to"),
        birthday_days=spec.get("birthday_days"),
        product_ids=frozenset(spec.get("product_ids", ())),
        category_paths=tuple(spec.get("category_paths", ())),
        class_ids=frozenset(spec.get("class_ids", ())),
        margin_group_ids=frozenset(spec.get("margin_group_ids", ())),
        brackets=tuple((Decimal(b["from"]), Decimal(b["percent"])) for b in spec.get("brackets", ())),
        nth_every=spec.get("nth_every"),
        nth_min_amount=number("nth_min_amount"),
        event=spec.get("event", ""),
        event_code=spec.get("event_code", ""),
        event_days=spec.get("event_days"),
        spec=spec,
    )
