"""Campaigns' public API: evaluate rules for orders, baskets and events, and award their points.

Every award goes through the ledger as its own lot (origin "campaign") with
its own key, reason, the rule's lot terms and channel, and a
``CampaignAward`` row naming the rule and the version used. Budgets are
checked and spent under a lock on the rule's ``CampaignBudget`` row, so
concurrent orders never give more than a rule's total or per-customer budget.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.campaigns import engine, facts, snapshot
from oscar_loyalty.ledger.calculations import check_key
from oscar_loyalty.ledger.terms import SpendBasket, SpendLine
from oscar_loyalty.settings import loyalty_settings

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

CampaignRule = get_model("oscar_loyalty", "CampaignRule")
CampaignBudget = get_model("oscar_loyalty", "CampaignBudget")
CampaignAward = get_model("oscar_loyalty", "CampaignAward")
Lot = get_model("oscar_loyalty", "Lot")
ProductCategory = get_model("catalogue", "ProductCategory")

EVENTS = {choice for choice, _label in CampaignRule.EVENT_CHOICES}

logger = logging.getLogger(__name__)

birthday_of = facts.birthday_of


def default_channel():
    return loyalty_settings.DEFAULT_CHANNEL


def local(now):
    return timezone.localtime(now) if timezone.is_aware(now) else now


# --- Orders ------------------------------------------------------------------------------------------


def order_occasion(order, line_inputs, accruals, *, channel, now, rules):
    """The :class:`engine.Occasion` of an order whose base accrual is ``accruals`` (per line, as the formula gave)."""
    lines = {str(line.pk): line for line in order.lines.select_related("product", "product__parent")}
    needs = facts.Needs(rules)
    product_facts = facts.product_facts([line.product for line in lines.values() if line.product_id], needs)
    offers_earn = loyalty_settings.OFFERS_EARN
    occasion_lines = []
    for line_input, accrual in zip(line_inputs, accruals, strict=True):
        line = lines.get(accrual.reference)
        parent_id, class_id, paths, group_id = product_facts.get(getattr(line, "product_id", None), (None,) * 4)
        occasion_lines.append(
            engine.Line(
                reference=accrual.reference,
                amount=accrual.paid,
                base_points=accrual.points,
                product_id=getattr(line, "product_id", None),
                parent_id=parent_id,
                class_id=class_id,
                category_paths=paths or (),
                margin_group_id=group_id,
                earns=offers_earn or not line_input.offer_discounted,
            )
        )
    return engine.Occasion(at=local(now), lines=tuple(occasion_lines), channel=channel or default_channel())


def evaluate_order(order, tier, line_inputs, accruals, *, channel=None, now=None):
    """``(Evaluation, rules)`` of an order under the active rules read now (one consistent version each)."""
    now = now or timezone.now()
    rules = snapshot.current_rules()
    if not rules or not order.user_id:
        return engine.Evaluation(base=sum(a.points for a in accruals)), rules
    occasion = order_occasion(order, line_inputs, accruals, channel=channel, now=now, rules=rules)
    customer = facts.customer_facts(order.user, facts.Needs(rules), tier=tier, exclude_order=order.number, now=now)
    return engine.evaluate(rules, occasion, customer), rules


def order_award_key(order_number, rule_id):
    return f"order:{order_number}:campaign:{rule_id}"


def award_order(order, evaluation, *, channel=None, now=None):
    """Award an evaluated order's campaign bonuses: one lot per rule; returns the ``CampaignAward`` rows made."""
    now = now or timezone.now()
    awards = []
    for award in evaluation.awards:
        made = _award(
            order.user,
            award.rule,
            award.points,
            key=order_award_key(order.number, award.rule.id),
            reason=_("Order %(number)s: %(rule)s") % {"number": order.number, "rule": award.rule.name},
            order_number=order.number,
            event="",
            channel=channel or default_channel(),
            hold_default=None,
            now=now,
        )
        if made is not None:
            awards.append(made)
    return awards


# --- Events ------------------------------------------------------------------------------------------


def event_rules(event, *, code="", now=None, user=None, channel=None):
    """The active rules an ``event`` would award now (for ``user``, when given): no points move."""
    now = now or timezone.now()
    rules = snapshot.current_rules()
    occasion = engine.Occasion(at=local(now), event=event, code=code or "", channel=channel or default_channel())
    customer = facts.customer_facts(user, facts.Needs(rules), now=now) if user is not None else engine.ANONYMOUS
    if user is None:
        # Without a customer, who and the birthday are not asked.
        return [rule for rule in rules if _event_matches(rule, occasion)]
    return [rule for rule in rules if engine.rule_points(rule, occasion, customer) > 0]


def _event_matches(rule, occasion):
    relaxed = dataclasses.replace(rule, audience="everyone", birthday_days=None, event_days=None)
    return engine.rule_points(relaxed, occasion) > 0


def award_event(
    user: AbstractBaseUser,
    event: str,
    *,
    key: str,
    now: datetime | None = None,
    context: dict | None = None,
) -> list:
    """Award the active rules for ``event`` (one of ``CampaignRule.EVENT_CHOICES``) to ``user``.

    ``key`` names this occurrence (e.g. ``f"birthday:{user.pk}:{year}"``);
    each rule's lot is keyed ``f"{key}:rule:{rule id}"``, so calling again
    awards nothing more and returns the awards already made. ``context`` may
    hold ``code`` (the code entered), ``channel``, ``order_number`` (the
    friend's order, for "referral" and "friend_purchase"), ``order_amount``
    (what a percentage rule pays on), ``event_age_days`` (days since the
    friend joined, for a rule that pays only for a period) and ``reason``. Who, where, when,
    stacking and budgets apply as for orders; returns the ``CampaignAward``
    rows (empty when no rule matches or budgets are spent).
    """
    if event not in EVENTS:
        raise ledger.InvalidOperation(_("Unknown campaign event: %(event)s.") % {"event": event})
    ledger_key = check_key(key)
    context = dict(context or {})
    now = now or timezone.now()
    earlier = list(CampaignAward.objects.filter(key__startswith=f"{ledger_key}:rule:", user_id=user.pk))
    if earlier:
        return earlier
    rules = snapshot.current_rules()
    channel = context.get("channel") or default_channel()
    # A percentage rule of an event pays on the amount it names (e.g. the friend's order for "referral").
    amount = Decimal(str(context["order_amount"])) if context.get("order_amount") else None
    lines = (engine.Line(reference="event", amount=amount),) if amount is not None and amount > 0 else ()
    age = context.get("event_age_days")
    occasion = engine.Occasion(
        at=local(now),
        event=event,
        code=str(context.get("code") or ""),
        channel=channel,
        lines=lines,
        event_age_days=None if age is None else int(age),
    )
    customer = facts.customer_facts(user, facts.Needs(rules), tier=_tier_of(user, now), now=now)
    evaluation = engine.evaluate(rules, occasion, customer)
    labels = dict(CampaignRule.EVENT_CHOICES)
    awards = []
    for award in evaluation.awards:
        made = _award(
            user,
            award.rule,
            award.points,
            key=f"{ledger_key}:rule:{award.rule.id}",
            reason=context.get("reason") or f"{labels[event]}: {award.rule.name}",
            order_number=str(context.get("order_number") or ""),
            event=event,
            channel=channel,
            hold_default=0,
            now=now,
            expiry_from=_date(context.get("birthday")) if event == CampaignRule.BIRTHDAY else None,
        )
        if made is not None:
            awards.append(made)
    return awards


def _tier_of(user, now):
    from oscar_loyalty.earning import tiers

    if not any(rule.audience == "tiers" for rule in snapshot.cached_rules()):
        return None
    return tiers.tier_for(user, now=now)


# --- Awarding ----------------------------------------------------------------------------------------


def _date(value):
    if isinstance(value, date) or not value:
        return value or None
    return date.fromisoformat(str(value))


def lot_days(spec, now, hold_default, expiry_from=None):
    """``(hold_days, expires_in_days)`` for a rule's lot, or None when its points would already have burned.

    ``expiry_from`` (a date, e.g. this year's birthday) makes the rule's
    expiry count from that day rather than from now.
    """
    hold = spec.get("hold_days")
    if hold is None:
        hold = hold_default
    expires = spec.get("expires_in_days")
    if expires is not None and expiry_from is not None:
        expires = (expiry_from + timedelta(days=expires) - local(now).date()).days
        if expires < 1:
            return None
    if spec.get("expires_on"):
        burn = date.fromisoformat(spec["expires_on"])
        days = (burn - local(now).date()).days
        if days < 1:
            return None
        expires = days if expires is None else min(expires, days)
    if expires is not None:
        default_hold = loyalty_settings.HOLD_DAYS if hold is None else hold
        if expires <= default_hold:
            hold = max(0, expires - 1)
    return hold, expires


def budget_left(spec, budget, given_to_customer, awards_to_customer):
    """How many points the rule may still give this customer (None: no limit); 0 when spent."""
    limits = []
    if spec.get("budget_total") is not None:
        limits.append(spec["budget_total"] - budget.points)
    if spec.get("budget_per_customer") is not None:
        limits.append(spec["budget_per_customer"] - given_to_customer)
    if spec.get("awards_per_customer") is not None and awards_to_customer >= spec["awards_per_customer"]:
        return 0
    return max(0, min(limits)) if limits else None


def lock_budget(rule_id):
    budget = CampaignBudget.objects.select_for_update().filter(rule_id=rule_id).first()
    if budget is None:
        CampaignBudget.objects.get_or_create(rule_id=rule_id)
        budget = CampaignBudget.objects.select_for_update().get(rule_id=rule_id)
    return budget


def _award(user, rule, points, *, key, reason, order_number, event, channel, hold_default, now, expiry_from=None):
    existing = CampaignAward.objects.filter(key=key).first()
    if existing is not None:
        return existing
    days = lot_days(rule.spec, now, hold_default, expiry_from)
    if days is None:
        return None
    hold_days, expires_in_days = days
    try:
        with transaction.atomic():
            budget = lock_budget(rule.id)
            existing = CampaignAward.objects.filter(key=key).first()
            if existing is not None:  # a concurrent call awarded it while this one waited for the lock
                return existing
            given = CampaignAward.objects.filter(rule_id=rule.id, user_id=user.pk).aggregate(
                points=Sum("points"), awards=Count("pk")
            )
            left = budget_left(rule.spec, budget, given["points"] or 0, given["awards"])
            if left is not None:
                points = min(points, left)
            if points <= 0:
                return None
            lot = ledger.accrue(
                user,
                points,
                key=key,
                reason=reason,
                order=order_number or None,
                hold_days=hold_days,
                expires_in_days=expires_in_days,
                origin=Lot.CAMPAIGN,
                channel=channel,
                spend_terms=rule.terms,
                now=now,
            )
            award = CampaignAward.objects.create(
                rule_id=rule.id,
                rule_version=rule.version,
                user_id=user.pk,
                lot=lot,
                points=points,
                key=key,
                order_number=order_number or "",
                event=event,
                channel=channel or "",
                created_at=now,
            )
            CampaignBudget.objects.filter(pk=budget.pk).update(points=budget.points + points, awards=budget.awards + 1)
    except ledger.AccountBlocked:
        logger.warning("Campaign rule %s awarded nothing: the customer's account is blocked.", rule.id)
        return None
    return award


# --- Baskets, products and previews ------------------------------------------------------------------


def basket_occasion(lines, *, now=None, channel=None, per_product=False, rules=()):
    """An :class:`engine.Occasion` from ``(product, amount, base points, earns)`` tuples."""
    now = now or timezone.now()
    product_facts = facts.product_facts(
        [product for product, *_rest in lines if product is not None], facts.Needs(rules)
    )
    occasion_lines = []
    for index, (product, amount, base_points, earns) in enumerate(lines):
        parent_id, class_id, paths, group_id = product_facts.get(getattr(product, "pk", None), (None,) * 4)
        occasion_lines.append(
            engine.Line(
                reference=str(index),
                amount=Decimal(amount),
                base_points=base_points,
                product_id=getattr(product, "pk", None),
                parent_id=parent_id,
                class_id=class_id,
                category_paths=paths or (),
                margin_group_id=group_id,
                earns=earns,
            )
        )
    return engine.Occasion(
        at=local(now), lines=tuple(occasion_lines), channel=channel or default_channel(), per_product=per_product
    )


def preview(user, lines, *, tier=None, now=None, channel=None, rules=None):
    """What ``lines`` (``(product, amount, base points, earns)``) would earn ``user`` now (an ``Evaluation``)."""
    now = now or timezone.now()
    rules = snapshot.current_rules() if rules is None else rules
    occasion = basket_occasion(lines, now=now, channel=channel, rules=rules)
    customer = facts.customer_facts(user, facts.Needs(rules), tier=tier, now=now)
    return engine.evaluate(rules, occasion, customer)


def spend_basket(basket, *, now=None):
    """The basket's goods as spend restrictions weigh them (``ledger.terms.SpendBasket``): one query, for categories."""
    lines = [line for line in basket.all_lines() if line.product_id]
    owners = {line.product_id: line.product.parent_id or line.product_id for line in lines}
    paths = {}
    for product_id, path in ProductCategory.objects.filter(product_id__in=set(owners.values())).values_list(
        "product_id", "category__path"
    ):
        paths.setdefault(product_id, []).append(path)
    spend_lines = []
    for line in lines:
        amount = (
            line.line_price_incl_tax_incl_discounts if line.is_tax_known else line.line_price_excl_tax_incl_discounts
        )
        spend_lines.append(
            SpendLine(
                amount=Decimal(amount or 0),
                product_id=line.product_id,
                category_paths=tuple(paths.get(owners[line.product_id], ())),
            )
        )
    return SpendBasket(lines=tuple(spend_lines), at=now or timezone.now())


def product_bonus(amount, base_points, *, tier=None, margin_group=None, now=None):
    """The campaign bonus on buying for ``amount`` now (the earn calculator's figure beside the cashback).

    Rules for everyone, or for ``tier``, that pay per product; per-order
    rules (fixed points, brackets, the Nth purchase) and rules that ask
    about the customer's segments or birthday are the basket's to show.
    """
    rules = snapshot.cached_rules()
    if not rules:
        return 0
    line = engine.Line(
        reference="calculator",
        amount=Decimal(amount),
        base_points=base_points,
        margin_group_id=getattr(margin_group, "pk", None),
    )
    occasion = engine.Occasion(at=local(now or timezone.now()), lines=(line,), per_product=True)
    customer = engine.Customer(tier_id=getattr(tier, "pk", None))
    return engine.evaluate(rules, occasion, customer).bonus
