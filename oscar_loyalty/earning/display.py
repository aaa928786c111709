"""The "+N bonuses" shown next to prices, for whole pages of products at once.

Templates reach it through ``oscar_loyalty.templatetags.loyalty_tags``. One
:class:`BonusDisplay` lives on each request: it resolves the visitor's tier
once, the margin coefficients of every product on the page with one call,
and prefetches what the pricing strategy reads, so that a page of a hundred
products costs the same few queries as a page of one.

A signed-in customer sees what buying earns at their tier; an anonymous
visitor sees what it earns at the best tier ("up to").
"""

from dataclasses import dataclass
from functools import cached_property

from django.core.cache import cache
from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.shortcuts import resolve_url
from django.utils import timezone
from oscar.core.loading import get_class, get_model

from oscar_loyalty.campaigns import engine as campaign_engine
from oscar_loyalty.campaigns import facts as campaign_facts
from oscar_loyalty.campaigns import snapshot as campaign_snapshot
from oscar_loyalty.earning import margins, tiers
from oscar_loyalty.earning.calculations import LineInput, order_accrual, upcoming_points
from oscar_loyalty.settings import loyalty_settings

Tier = get_model("oscar_loyalty", "Tier")
Product = get_model("catalogue", "Product")
Selector = get_class("partner.strategy", "Selector")

TIERS_CACHE_KEY = "oscar_loyalty:tiers:v1"
# Saving a tier clears the cache at once; this bounds how long another
# process with a cache of its own (local memory) can show the old percentage.
TIERS_CACHE_SECONDS = 300
REQUEST_ATTRIBUTE = "_oscar_loyalty_bonus_display"


def program_tiers():
    """Every tier, read from Django's cache: the program's tiers change rarely and every page needs them."""
    rows = cache.get(TIERS_CACHE_KEY)
    if rows is None:
        rows = list(Tier.objects.values())
        cache.set(TIERS_CACHE_KEY, rows, TIERS_CACHE_SECONDS)
    return [Tier(**row) for row in rows]


@receiver(post_save, sender=Tier, dispatch_uid="loyalty-display-tier-save")
@receiver(post_delete, sender=Tier, dispatch_uid="loyalty-display-tier-delete")
def forget_tiers(**kwargs):
    # Now, and again once committed, as for the margin assignments.
    cache.delete(TIERS_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(TIERS_CACHE_KEY))


@dataclass(frozen=True)
class Bonus:
    """What a product earns: one figure, or a range over a parent's variants."""

    low: int
    high: int
    tier: object
    up_to: bool  # an anonymous visitor: the best tier's figure

    @property
    def is_range(self):
        return self.low != self.high


@dataclass(frozen=True)
class LineBonus:
    line: object
    points: int
    offer_discounted: bool  # promo goods earn nothing unless OSCAR_LOYALTY_OFFERS_EARN


@dataclass(frozen=True)
class BasketBonus:
    lines: list
    total: int  # the cashback and the campaigns' bonus
    tier: object
    up_to: bool
    awards: tuple = ()  # the campaign rules' awards (``campaigns.engine.Award``)

    def for_line(self, line):
        return next((item for item in self.lines if item.line.pk == line.pk), None)


class BonusDisplay:
    """The bonus figures of one request; each input is fetched once however many prices the page shows."""

    def __init__(self, request, *, now=None):
        self.request = request
        self.user = getattr(request, "user", None)
        self.now = now or timezone.now()
        self._coefficients = {}
        self._product_facts = {}
        self._bonuses = {}
        self._baskets = {}
        # Lists of products (by id()) already given to prepare() by the template tags.
        self.prepared_lists = set()

    @cached_property
    def up_to(self):
        """Whether figures are the best tier's ("up to"): the visitor is not signed in."""
        return self.user is None or not self.user.is_authenticated

    @cached_property
    def tier(self):
        """The tier the figures are computed at; None when the program has no tiers."""
        tier_list = program_tiers()
        if self.up_to:
            return tiers.top_tier(tier_list)
        return tiers.tier_for(self.user, now=self.now, tier_list=tier_list)

    @cached_property
    def rules(self):
        """The active campaign rules: a snapshot from Django's cache, read once per request."""
        return campaign_snapshot.cached_rules()

    @cached_property
    def rule_needs(self):
        return campaign_facts.Needs(self.rules)

    @cached_property
    def customer(self):
        """The visitor as campaign rules see them (an anonymous visitor matches rules for everyone only)."""
        if self.up_to:
            return campaign_engine.ANONYMOUS
        return campaign_facts.customer_facts(self.user, self.rule_needs, tier=self.tier, now=self.now)

    @cached_property
    def local_now(self):
        return timezone.localtime(self.now)

    @cached_property
    def program_url(self):
        """Where "up to" figures link to: ``OSCAR_LOYALTY_PROGRAM_URL``, a path, a URL or a URL name."""
        return resolve_url(loyalty_settings.PROGRAM_URL)

    @cached_property
    def strategy(self):
        strategy = getattr(self.request, "strategy", None)
        if strategy is None:
            strategy = Selector().strategy(request=self.request, user=self.user)
        return strategy

    def prepare(self, products):
        """Get ready to show the bonus of every product in ``products`` (e.g. a page of search results).

        One ``margins.coefficients`` call for them all and their variants,
        and prefetches of the stock records and public children the pricing
        strategy reads (which Oscar's own price display then reuses). Products
        seen before are skipped.
        """
        if self.tier is None:
            return
        seen = set(self._coefficients)
        new = []
        for product in products:
            if product is not None and product.pk not in seen:
                seen.add(product.pk)
                new.append(product)
        if not new:
            return
        parents = [product for product in new if product.is_parent]
        children = load_public_children(parents)
        prefetch_stockrecords([product for product in new if not product.is_parent] + children)
        self._coefficients.update(margins.coefficients(new + children))
        if self.rules:
            self._product_facts.update(campaign_facts.product_facts(new + children, self.rule_needs))

    def for_product(self, product):
        """The :class:`Bonus` for buying one ``product`` (a range for a parent), or None if it earns nothing."""
        if product.pk not in self._bonuses:
            self.prepare([product])
            self._bonuses[product.pk] = self._product_bonus(product)
        return self._bonuses[product.pk]

    def for_basket(self, basket):
        """A :class:`BasketBonus` for the basket's lines (at the basket's prices, after discounts), or None."""
        if basket is None or basket.pk is None:
            return None
        if basket.pk not in self._baskets:
            self._baskets[basket.pk] = self._basket_bonus(basket)
        return self._baskets[basket.pk]

    def for_line(self, line):
        """The :class:`LineBonus` of one basket line (the whole basket is resolved on the first call)."""
        summary = self.for_basket(line.basket)
        return summary.for_line(line) if summary is not None else None

    def _product_bonus(self, product):
        tier = self.tier
        if tier is None:
            return None
        items = product.get_public_children() if product.is_parent else [product]
        figures = [points for points in (self._points(item, tier) for item in items) if points is not None]
        if not figures or max(figures) <= 0:
            return None
        return Bonus(low=min(figures), high=max(figures), tier=tier, up_to=self.up_to)

    def _points(self, product, tier):
        price = self.strategy.fetch_for_product(product).price
        if not price.exists:
            return None
        amount = price.incl_tax if price.is_tax_known else price.excl_tax
        coefficient = self._coefficients.get(product.pk, margins.NEUTRAL)
        points = upcoming_points(amount, tier.cashback_percent, coefficient)
        if not self.rules:
            return points
        occasion = campaign_engine.Occasion(
            at=self.local_now,
            lines=(self._campaign_line(product, amount, points),),
            channel=loyalty_settings.DEFAULT_CHANNEL,
            per_product=True,
        )
        return points + campaign_engine.evaluate(self.rules, occasion, self.customer).bonus

    def _campaign_line(self, product, amount, points, *, reference="", earns=True):
        parent_id, class_id, paths, group_id = self._product_facts.get(product.pk, (None, None, (), None))
        return campaign_engine.Line(
            reference=reference,
            amount=amount,
            base_points=points,
            product_id=product.pk,
            parent_id=parent_id,
            class_id=class_id,
            category_paths=paths,
            margin_group_id=group_id,
            earns=earns,
        )

    def _basket_bonus(self, basket):
        tier = self.tier
        priced = [(line, line_amount(line)) for line in basket.all_lines()]
        priced = [(line, amount) for line, amount in priced if amount is not None]
        if tier is None or not priced:
            return None
        coefficients = margins.coefficients([line.product for line, _amount in priced if line.product_id])
        inputs = [
            LineInput(
                reference=str(line.pk),
                amount=amount,
                coefficient=coefficients.get(line.product_id, margins.NEUTRAL),
                offer_discounted=is_offer_discounted(line),
            )
            for line, amount in priced
        ]
        accruals = order_accrual(
            inputs, cashback_percent=tier.cashback_percent, offers_earn=loyalty_settings.OFFERS_EARN
        )
        items = [
            LineBonus(line=line, points=accrual.points, offer_discounted=line_input.offer_discounted)
            for (line, _amount), line_input, accrual in zip(priced, inputs, accruals, strict=True)
        ]
        base = sum(item.points for item in items)
        awards = ()
        if self.rules:
            products = [line.product for line, _amount in priced if line.product_id]
            self._product_facts.update(campaign_facts.product_facts(products, self.rule_needs))
            occasion = campaign_engine.Occasion(
                at=self.local_now,
                lines=tuple(
                    self._campaign_line(
                        line.product,
                        accrual.paid,
                        accrual.points,
                        reference=str(line.pk),
                        earns=loyalty_settings.OFFERS_EARN or not line_input.offer_discounted,
                    )
                    for (line, _amount), line_input, accrual in zip(priced, inputs, accruals, strict=True)
                ),
                channel=loyalty_settings.DEFAULT_CHANNEL,
            )
            awards = campaign_engine.evaluate(self.rules, occasion, self.customer).awards
        total = base + sum(award.points for award in awards)
        return BasketBonus(lines=items, total=total, tier=tier, up_to=self.up_to, awards=awards)


def for_request(request):
    """The request's :class:`BonusDisplay`, created on first use."""
    display = getattr(request, REQUEST_ATTRIBUTE, None)
    if display is None:
        display = BonusDisplay(request)
        setattr(request, REQUEST_ATTRIBUTE, display)
    return display


def load_public_children(parents):
    """The public children of ``parents``, loaded for all of them at once; returns them in one list.

    Stores them where Oscar's ``Product.get_public_children()`` looks for a
    prefetch, so its parent price display stops querying per product too.
    """
    others = []
    for parent in parents:
        if hasattr(parent, "_prefetched_public_children"):
            continue
        if "children" in getattr(parent, "_prefetched_objects_cache", {}):
            # Oscar's search results come with every child loaded: keep the public ones.
            parent._prefetched_public_children = [child for child in parent.children.all() if child.is_public]
        else:
            others.append(parent)
    if others:
        prefetch_related_objects(
            others, Prefetch("children", queryset=Product.objects.public(), to_attr="_prefetched_public_children")
        )
    return [child for parent in parents for child in parent.get_public_children()]


def prefetch_stockrecords(products):
    """One query for the stock records of those ``products`` that have none prefetched."""
    missing = [p for p in products if "stockrecords" not in getattr(p, "_prefetched_objects_cache", {})]
    if missing:
        prefetch_related_objects(missing, "stockrecords")


def line_amount(line):
    """What the basket line costs after Oscar's discounts: incl. tax when known, else excl. tax; None if unpriced."""
    if line.is_tax_known:
        return line.line_price_incl_tax_incl_discounts
    return line.line_price_excl_tax_incl_discounts


def is_offer_discounted(line):
    """Whether a special offer (not a voucher) reduced the line's price."""
    return any(
        application.amount > 0 and application.offer is not None and not application.offer.is_voucher_offer_type
        for application in line.discounts
    )
