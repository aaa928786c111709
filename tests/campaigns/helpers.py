"""Rules made as the dashboard makes them: saved, their choices set, then published."""

from decimal import Decimal

from oscar.core.loading import get_model

from oscar_loyalty.campaigns import snapshot

CampaignRule = get_model("oscar_loyalty", "CampaignRule")

M2M = (
    "tiers",
    "segments",
    "products",
    "categories",
    "product_classes",
    "margin_groups",
    "spend_products",
    "spend_categories",
)


def make_rule(name="Campaign", **fields):
    choices = {field: fields.pop(field) for field in M2M if field in fields}
    if "value" in fields:
        fields["value"] = Decimal(str(fields["value"]))
    rule = CampaignRule.objects.create(name=name, **fields)
    for field, values in choices.items():
        getattr(rule, field).set(values)
    return snapshot.publish(rule)


def edit_rule(rule, **fields):
    for field, value in fields.items():
        setattr(rule, field, Decimal(str(value)) if field == "value" else value)
    rule.save()
    return snapshot.publish(rule)
