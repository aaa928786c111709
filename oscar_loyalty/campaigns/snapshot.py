"""Published rules: writing a rule's ``spec`` and reading the active ones as a snapshot.

A snapshot is a tuple of :class:`engine.Rule` built from one query of
``(id, version, spec)`` rows: whatever is saved meanwhile, it holds one
version of each rule. Pages read it from Django's cache (no query at all);
saving or deleting a rule clears the cache, now and again on commit.
Accruals read it from the database, inside their transaction.
"""

from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty.campaigns.engine import rule_from_spec

CampaignRule = get_model("oscar_loyalty", "CampaignRule")
CampaignBudget = get_model("oscar_loyalty", "CampaignBudget")

CACHE_KEY = "oscar_loyalty:campaign-rules:v1"
# Saving a rule clears the cache at once; this bounds how long another process
# with a cache of its own (local memory) can show the old rule.
CACHE_SECONDS = 300


def spec_of(rule):
    """Everything the engine and the services need of ``rule``, as plain JSON (its many-to-many choices read)."""

    def iso(value):
        return value.isoformat() if value is not None else None

    def text(value):
        return str(value) if value is not None else None

    terms = {}
    if rule.spend_max_percent is not None:
        terms["max_percent"] = str(rule.spend_max_percent)
    if rule.spend_min_order is not None:
        terms["min_order"] = str(rule.spend_min_order)
    spend_products = sorted(rule.spend_products.values_list("pk", flat=True)) if rule.pk else []
    spend_paths = sorted(rule.spend_categories.values_list("path", flat=True)) if rule.pk else []
    if spend_products:
        terms["product_ids"] = spend_products
    if spend_paths:
        terms["category_paths"] = spend_paths
    if rule.spend_from is not None:
        terms["from"] = rule.spend_from.isoformat()
    if rule.spend_until is not None:
        terms["until"] = rule.spend_until.isoformat()
    return {
        "name": rule.name,
        "basis": rule.basis,
        "reward": rule.reward,
        "value": str(rule.value),
        "stacking": rule.stacking,
        "audience": rule.audience,
        "tier_ids": sorted(rule.tiers.values_list("pk", flat=True)),
        "segment_ids": sorted(rule.segments.values_list("pk", flat=True)),
        "audience_from": iso(rule.audience_from),
        "audience_to": iso(rule.audience_to),
        "channels": sorted(str(c) for c in rule.channels or ()),
        "starts_at": iso(rule.starts_at),
        "ends_at": iso(rule.ends_at),
        "weekdays": sorted(int(d) for d in rule.weekdays or ()),
        "hour_from": rule.hour_from,
        "hour_to": rule.hour_to,
        "birthday_days": rule.birthday_days,
        "product_ids": sorted(rule.products.values_list("pk", flat=True)),
        "category_paths": sorted(rule.categories.values_list("path", flat=True)),
        "class_ids": sorted(rule.product_classes.values_list("pk", flat=True)),
        "margin_group_ids": sorted(rule.margin_groups.values_list("pk", flat=True)),
        "brackets": [{"from": str(b["from"]), "percent": str(b["percent"])} for b in rule.brackets or ()],
        "nth_every": rule.nth_every,
        "nth_min_amount": text(rule.nth_min_amount),
        "event": rule.event,
        "event_code": rule.event_code,
        "event_days": rule.event_days,
        "terms": terms,
        "hold_days": rule.hold_days,
        "expires_in_days": rule.expires_in_days,
        "expires_on": iso(rule.expires_on),
        "budget_total": rule.budget_total,
        "budget_per_customer": rule.budget_per_customer,
        "awards_per_customer": rule.awards_per_customer,
    }


def publish(rule):
    """Publish ``rule`` as it is saved now (its many-to-many choices included) under the next version.

    Call it after saving the rule and its choices, in the same transaction
    (the dashboard's forms do): an accrual then sees either the old version
    or the new one, whole.
    """
    spec = spec_of(rule)
    CampaignRule.objects.filter(pk=rule.pk).update(spec=spec, version=F("version") + 1, updated_at=timezone.now())
    rule.refresh_from_db(fields=["spec", "version", "updated_at"])
    # The row awards lock to spend the budget: there before the first award, not raced for by it.
    CampaignBudget.objects.get_or_create(rule_id=rule.pk)
    forget_rules()
    return rule


def rows():
    rules = CampaignRule.objects.filter(is_active=True, version__gt=0).order_by("pk")
    return list(rules.values_list("pk", "version", "spec"))


def build(rule_rows):
    return tuple(rule_from_spec(pk, version, spec) for pk, version, spec in rule_rows)


def cached_rules():
    """The active rules from Django's cache (one query when it is cold)."""
    rule_rows = cache.get(CACHE_KEY)
    if rule_rows is None:
        rule_rows = rows()
        cache.set(CACHE_KEY, rule_rows, CACHE_SECONDS)
    return build(rule_rows)


def current_rules():
    """The active rules read from the database now: one query, one version of each rule."""
    return build(rows())


@receiver(post_save, sender=CampaignRule, dispatch_uid="loyalty-campaigns-rule-save")
@receiver(post_delete, sender=CampaignRule, dispatch_uid="loyalty-campaigns-rule-delete")
def forget_rules(**kwargs):
    cache.delete(CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(CACHE_KEY))
