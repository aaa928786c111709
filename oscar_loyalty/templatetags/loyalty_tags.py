"""Template tags that show "+N bonuses" next to prices.

``{% load loyalty_tags %}``, then:

- ``{% loyalty_bonus product %}`` under a product's price (cards, product pages);
- ``{% loyalty_line_bonus line %}`` for a basket line;
- ``{% loyalty_basket_bonus basket %}`` the basket's bonus rows, for the totals table.

The first ``loyalty_bonus`` to meet a list of products in its context
(``products``, ``object_list``, ``recommended_products``, ``page_obj``; search
results included) resolves the whole list in one go, so the figures cost the
same few queries however many products the page shows.
``OSCAR_LOYALTY_SHOW_BONUS = False`` turns them all off.
"""

from django import template
from django.db.models import QuerySet
from django.utils.formats import number_format
from django.utils.translation import ngettext
from haystack.models import SearchResult
from oscar.core.loading import get_model

from oscar_loyalty.earning import display
from oscar_loyalty.settings import loyalty_settings

Product = get_model("catalogue", "Product")

register = template.Library()

# Context variables Oscar's list pages (catalogue, category, search, range, offer) keep their products in.
LIST_VARIABLES = ("products", "object_list", "recommended_products")
# A page that lists more than this is not one whose figures are worth resolving up front.
MAX_PREPARED = 1000


@register.simple_tag(takes_context=True)
def loyalty_bonus(context, product):
    """What buying ``product`` earns the visitor: "+305 bonuses", "+100–300 bonuses" or "up to 619 bonuses"."""
    bonus_display = _bonus_display(context)
    if bonus_display is None or product is None:
        return ""
    prepare_page(bonus_display, context)
    bonus = bonus_display.for_product(product)
    if bonus is None:
        return ""
    return _render(
        context,
        "oscar_loyalty/partials/bonus.html",
        {"bonus": bonus, "label": bonus_label(bonus), "program_url": bonus_display.program_url},
    )


@register.simple_tag(takes_context=True)
def loyalty_line_bonus(context, line):
    """What a basket line earns, at its price after discounts."""
    bonus_display = _bonus_display(context)
    if bonus_display is None or line is None:
        return ""
    item = bonus_display.for_line(line)
    if item is None:
        return ""
    summary = bonus_display.for_basket(line.basket)
    return _render(
        context,
        "oscar_loyalty/partials/line_bonus.html",
        {"item": item, "summary": summary, "program_url": bonus_display.program_url},
    )


@register.simple_tag(takes_context=True)
def loyalty_basket_bonus(context, basket):
    """Table rows for the basket totals: each line's bonus and the basket's total."""
    bonus_display = _bonus_display(context)
    if bonus_display is None:
        return ""
    summary = bonus_display.for_basket(basket)
    if summary is None or summary.total <= 0:
        return ""
    return _render(
        context,
        "oscar_loyalty/partials/basket_bonus.html",
        {"summary": summary, "program_url": bonus_display.program_url},
    )


@register.filter
def bonus_label(bonus):
    """The text for a :class:`~oscar_loyalty.earning.display.Bonus`."""
    if bonus.up_to:
        return points_label(bonus.high, up_to=True)
    if bonus.is_range:
        return ngettext("+%(low)s–%(points)s bonus", "+%(low)s–%(points)s bonuses", bonus.high) % {
            "low": number_format(bonus.low),
            "points": number_format(bonus.high),
        }
    return points_label(bonus.high)


@register.filter
def points_label(points, up_to=False):
    """The text for a number of points: "+305 bonuses", or "up to 305 bonuses" with ``up_to``."""
    if up_to:
        return ngettext("up to %(points)s bonus", "up to %(points)s bonuses", points) % {
            "points": number_format(points)
        }
    return ngettext("+%(points)s bonus", "+%(points)s bonuses", points) % {"points": number_format(points)}


def prepare_page(bonus_display, context):
    """Resolve, in one go, every product listed by the page being rendered.

    Each list is taken once: the cards rendered from it afterwards find
    their figures ready. Search results give their products (loading them as
    Oscar's template is about to); a queryset not evaluated yet is left alone
    rather than run a second time.
    """
    lists = [context.get(name) for name in LIST_VARIABLES]
    page = context.get("page_obj")
    if page is not None:
        lists.append(getattr(page, "object_list", None))
    products = []
    for items in lists:
        items = _loaded(items)
        if not items or id(items) in bonus_display.prepared_lists:
            continue
        bonus_display.prepared_lists.add(id(items))
        for item in items[:MAX_PREPARED]:
            if isinstance(item, SearchResult):
                item = item.object
            if isinstance(item, Product):
                products.append(item)
    product = context.get("product")
    if isinstance(product, Product):
        products.append(product)
    bonus_display.prepare(products)


def _loaded(items):
    """``items`` as a list if they are already in memory, else None."""
    if isinstance(items, list | tuple):
        return items
    if isinstance(items, QuerySet) and items._result_cache is not None:
        return items._result_cache
    return None


def _bonus_display(context):
    if not loyalty_settings.SHOW_BONUS:
        return None
    request = context.get("request")
    if request is None:
        return None
    return display.for_request(request)


def _render(context, name, values):
    # As an inclusion tag renders: same engine, same autoescaping, the values alone.
    return context.template.engine.get_template(name).render(context.new(values))
