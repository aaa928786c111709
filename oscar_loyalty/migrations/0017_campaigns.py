"""Campaign rules, their budgets and awards; a lot's sales channel and spend restrictions.

The spending function learns to step aside for lots with spend restrictions:
it refuses with ``LY008`` when the account holds any, and the Python path,
which weighs them against the basket, spends instead. Accounts without such
lots keep their one round trip.
"""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import oscar_loyalty.compat

LEDGER_FUNCTIONS = importlib.import_module("oscar_loyalty.migrations.0009_ledger_functions")

RESTRICTED_CHECK = """    IF acc.status = 'blocked' THEN
        RAISE EXCEPTION 'account blocked' USING ERRCODE = 'LY003';
    END IF;
    IF EXISTS (
        SELECT 1 FROM oscar_loyalty_lot
        WHERE account_id = acc.id AND spend_terms IS NOT NULL AND status IN ('pending', 'active') AND remaining > 0
    ) THEN
        RAISE EXCEPTION 'lots with spend restrictions' USING ERRCODE = 'LY008';
    END IF;
"""
BLOCKED_CHECK = """    IF acc.status = 'blocked' THEN
        RAISE EXCEPTION 'account blocked' USING ERRCODE = 'LY003';
    END IF;
"""


def spend_functions(restricted):
    spend = LEDGER_FUNCTIONS.SPEND
    guarded = LEDGER_FUNCTIONS.SPEND_GUARDED
    if restricted:
        assert spend.count(BLOCKED_CHECK) == 1
        spend = spend.replace(BLOCKED_CHECK, RESTRICTED_CHECK)
        guarded = guarded.replace("SQLSTATE 'LY006'", "SQLSTATE 'LY006' OR SQLSTATE 'LY008'")
    return spend, guarded


def restricted_spending(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for function in spend_functions(True):
            schema_editor.execute(function, params=None)


def plain_spending(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for function in spend_functions(False):
            schema_editor.execute(function, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0029_product_code"),
        ("oscar_loyalty", "0016_kpi_rollups"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CampaignAward",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("rule_version", models.PositiveIntegerField(verbose_name="Rule version")),
                ("points", models.PositiveBigIntegerField(verbose_name="Points")),
                ("key", models.CharField(max_length=200, unique=True, verbose_name="Idempotency key")),
                ("order_number", models.CharField(blank=True, max_length=128, verbose_name="Order number")),
                ("event", models.CharField(blank=True, max_length=16, verbose_name="Event")),
                ("channel", models.CharField(blank=True, max_length=64, verbose_name="Sales channel")),
                ("created_at", models.DateTimeField(verbose_name="Created")),
            ],
            options={
                "verbose_name": "Campaign award",
                "verbose_name_plural": "Campaign awards",
                "ordering": ["-created_at", "-pk"],
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="CampaignBudget",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("points", models.BigIntegerField(default=0, verbose_name="Points awarded")),
                ("awards", models.PositiveIntegerField(default=0, verbose_name="Awards")),
            ],
            options={
                "verbose_name": "Campaign budget",
                "verbose_name_plural": "Campaign budgets",
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="CampaignRule",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=128, verbose_name="Name")),
                ("description", models.TextField(blank=True, verbose_name="Description")),
                ("template", models.SlugField(blank=True, max_length=32, verbose_name="Created from template")),
                ("is_active", models.BooleanField(default=True, verbose_name="Active")),
                ("version", models.PositiveIntegerField(default=0, editable=False, verbose_name="Version")),
                ("spec", models.JSONField(default=dict, editable=False, verbose_name="Published rule")),
                (
                    "audience",
                    models.CharField(
                        choices=[
                            ("everyone", "Everyone"),
                            ("tiers", "Customers of the chosen tiers"),
                            ("segments", "Customers in the chosen segments"),
                            ("registered", "Customers who registered within the window"),
                            ("purchased", "Customers who purchased within the window"),
                        ],
                        default="everyone",
                        max_length=16,
                        verbose_name="Who",
                    ),
                ),
                ("audience_from", models.DateField(blank=True, null=True, verbose_name="Window from")),
                ("audience_to", models.DateField(blank=True, null=True, verbose_name="Window to")),
                (
                    "channels",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text='Channel codes, e.g. "web", "store:12", "partner:acme". None: every channel.',
                        verbose_name="Sales channels",
                    ),
                ),
                ("starts_at", models.DateTimeField(blank=True, null=True, verbose_name="Starts")),
                ("ends_at", models.DateTimeField(blank=True, null=True, verbose_name="Ends")),
                ("weekdays", models.JSONField(blank=True, default=list, verbose_name="Days of the week")),
                ("hour_from", models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="From hour")),
                ("hour_to", models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="To hour")),
                (
                    "birthday_days",
                    models.PositiveSmallIntegerField(
                        blank=True,
                        help_text="Only within this many days before or after the customer's birthday.",
                        null=True,
                        verbose_name="Days around the birthday",
                    ),
                ),
                (
                    "basis",
                    models.CharField(
                        choices=[
                            ("order", "The whole order"),
                            ("lines", "Order lines of chosen products, categories, classes or margin groups"),
                            ("brackets", "Order amount brackets"),
                            ("nth", "Every Nth purchase"),
                            ("event", "An event"),
                        ],
                        default="order",
                        max_length=16,
                        verbose_name="Basis",
                    ),
                ),
                ("brackets", models.JSONField(blank=True, default=list, verbose_name="Amount brackets")),
                (
                    "nth_every",
                    models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="Every Nth purchase"),
                ),
                (
                    "nth_min_amount",
                    models.DecimalField(
                        blank=True, decimal_places=2, max_digits=12, null=True, verbose_name="Purchases count from"
                    ),
                ),
                (
                    "event",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("registration", "Registration"),
                            ("birthday", "Birthday"),
                            ("referral", "A referred friend's first order"),
                            ("referred", "Joining through a friend's invitation"),
                            ("code", "A code entered"),
                        ],
                        max_length=16,
                        verbose_name="Event",
                    ),
                ),
                ("event_code", models.CharField(blank=True, max_length=64, verbose_name="Code")),
                (
                    "reward",
                    models.CharField(
                        choices=[
                            ("percent", "A percentage of the amount"),
                            ("multiplier", "A multiplier of the base cashback"),
                            ("fixed", "A fixed number of points"),
                        ],
                        default="percent",
                        max_length=16,
                        verbose_name="How much",
                    ),
                ),
                ("value", models.DecimalField(decimal_places=2, default=0, max_digits=12, verbose_name="Value")),
                (
                    "hold_days",
                    models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="Hold period (days)"),
                ),
                (
                    "expires_in_days",
                    models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="Expire after (days)"),
                ),
                ("expires_on", models.DateField(blank=True, null=True, verbose_name="Points burn on")),
                (
                    "spend_max_percent",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        max_digits=5,
                        null=True,
                        verbose_name="Pay at most this % of an order",
                    ),
                ),
                (
                    "spend_min_order",
                    models.DecimalField(
                        blank=True, decimal_places=2, max_digits=12, null=True, verbose_name="Pay only orders from"
                    ),
                ),
                ("spend_from", models.DateTimeField(blank=True, null=True, verbose_name="Pay only from")),
                ("spend_until", models.DateTimeField(blank=True, null=True, verbose_name="Pay only until")),
                (
                    "stacking",
                    models.CharField(
                        choices=[
                            ("stack", "Adds to the base cashback and to other rules"),
                            ("best", "The best rule wins"),
                        ],
                        default="stack",
                        max_length=8,
                        verbose_name="Stacking",
                    ),
                ),
                (
                    "budget_total",
                    models.PositiveBigIntegerField(blank=True, null=True, verbose_name="Total budget (points)"),
                ),
                (
                    "budget_per_customer",
                    models.PositiveBigIntegerField(blank=True, null=True, verbose_name="Budget per customer (points)"),
                ),
                (
                    "awards_per_customer",
                    models.PositiveIntegerField(blank=True, null=True, verbose_name="Awards per customer"),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="Created")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="Updated")),
            ],
            options={
                "verbose_name": "Campaign rule",
                "verbose_name_plural": "Campaign rules",
                "ordering": ["-is_active", "name", "pk"],
                "abstract": False,
            },
        ),
        migrations.AddField(
            model_name="lot",
            name="channel",
            field=models.CharField(blank=True, max_length=64, null=True, verbose_name="Sales channel"),
        ),
        migrations.AddField(
            model_name="lot",
            name="spend_terms",
            field=models.JSONField(blank=True, null=True, verbose_name="Spend restrictions"),
        ),
        migrations.AddIndex(
            model_name="lot",
            index=models.Index(
                condition=models.Q(("spend_terms__isnull", False)), fields=["account"], name="loyalty_lot_restricted"
            ),
        ),
        migrations.AddField(
            model_name="campaignaward",
            name="lot",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="campaign_award",
                to="oscar_loyalty.lot",
                verbose_name="Lot",
            ),
        ),
        migrations.AddField(
            model_name="campaignaward",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="campaignrule",
            name="categories",
            field=models.ManyToManyField(
                blank=True, related_name="+", to="catalogue.category", verbose_name="Categories"
            ),
        ),
        migrations.AddField(
            model_name="campaignrule",
            name="margin_groups",
            field=models.ManyToManyField(
                blank=True, related_name="+", to="oscar_loyalty.margingroup", verbose_name="Margin groups"
            ),
        ),
        migrations.AddField(
            model_name="campaignrule",
            name="product_classes",
            field=models.ManyToManyField(
                blank=True, related_name="+", to="catalogue.productclass", verbose_name="Product types"
            ),
        ),
        migrations.AddField(
            model_name="campaignrule",
            name="products",
            field=models.ManyToManyField(blank=True, related_name="+", to="catalogue.product", verbose_name="Products"),
        ),
        migrations.AddField(
            model_name="campaignrule",
            name="segments",
            field=models.ManyToManyField(
                blank=True, related_name="+", to="oscar_loyalty.segment", verbose_name="Segments"
            ),
        ),
        migrations.AddField(
            model_name="campaignrule",
            name="spend_categories",
            field=models.ManyToManyField(
                blank=True, related_name="+", to="catalogue.category", verbose_name="Pay only for categories"
            ),
        ),
        migrations.AddField(
            model_name="campaignrule",
            name="spend_products",
            field=models.ManyToManyField(
                blank=True, related_name="+", to="catalogue.product", verbose_name="Pay only for products"
            ),
        ),
        migrations.AddField(
            model_name="campaignrule",
            name="tiers",
            field=models.ManyToManyField(blank=True, related_name="+", to="oscar_loyalty.tier", verbose_name="Tiers"),
        ),
        migrations.AddField(
            model_name="campaignbudget",
            name="rule",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE, related_name="budget", to="oscar_loyalty.campaignrule"
            ),
        ),
        migrations.AddField(
            model_name="campaignaward",
            name="rule",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="awards",
                to="oscar_loyalty.campaignrule",
                verbose_name="Rule",
            ),
        ),
        migrations.AddConstraint(
            model_name="campaignrule",
            constraint=oscar_loyalty.compat.CheckConstraint(
                condition=models.Q(("value__gte", 0)), name="loyalty_campaign_value_not_negative"
            ),
        ),
        migrations.AddIndex(
            model_name="campaignaward",
            index=models.Index(fields=["rule", "user"], name="loyalty_award_rule_user"),
        ),
        migrations.AddIndex(
            model_name="campaignaward",
            index=models.Index(fields=["order_number"], name="loyalty_award_order"),
        ),
        migrations.RunPython(restricted_spending, plain_spending),
    ]
