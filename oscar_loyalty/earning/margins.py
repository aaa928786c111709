"""Which margin group a product belongs to, for whole pages of products at once.

The assignments are a small table that changes rarely: they are cached
(Django's cache) and invalidated whenever a group, an assignment or a
category changes. Resolving a page of products then costs one query, for
their categories, and only when categories have assignments at all.
"""

from decimal import Decimal

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from oscar.core.loading import get_model

MarginGroup = get_model("oscar_loyalty", "MarginGroup")
MarginGroupAssignment = get_model("oscar_loyalty", "MarginGroupAssignment")
Category = get_model("catalogue", "Category")
ProductCategory = get_model("catalogue", "ProductCategory")

CACHE_KEY = "oscar_loyalty:margin-assignments:v1"
NEUTRAL = Decimal(1)


def assignment_table():
    """Plain data describing every assignment; cached until one changes."""
    table = cache.get(CACHE_KEY)
    if table is not None:
        return table
    default = MarginGroup.objects.filter(is_default=True).values_list("coefficient", flat=True).first()
    table = {"default": default if default is not None else NEUTRAL, "products": {}, "classes": {}, "categories": []}
    for product_id, class_id, path, coefficient in MarginGroupAssignment.objects.values_list(
        "product_id", "product_class_id", "category__path", "group__coefficient"
    ):
        if product_id:
            table["products"][product_id] = coefficient
        elif class_id:
            table["classes"][class_id] = coefficient
        elif path:
            table["categories"].append((path, coefficient))
    # Deepest first: the most specific category wins.
    table["categories"].sort(key=lambda item: len(item[0]), reverse=True)
    cache.set(CACHE_KEY, table, None)
    return table


def forget_assignments(**kwargs):
    # Now, and again once committed: a read in between may have cached
    # rows that were not yet (or never) committed.
    cache.delete(CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(CACHE_KEY))


for _model in (MarginGroup, MarginGroupAssignment, Category):
    receiver(post_save, sender=_model, dispatch_uid=f"loyalty-margins-save-{_model.__name__}")(forget_assignments)
    receiver(post_delete, sender=_model, dispatch_uid=f"loyalty-margins-delete-{_model.__name__}")(forget_assignments)


def coefficients(products):
    """``{product id: coefficient}`` for the given products (children resolve through their parent)."""
    table = assignment_table()
    products = [p for p in products if p is not None]
    owners = {p.pk: (p.parent_id or p.pk) for p in products}
    classes = {}
    for product in products:
        if product.parent_id:
            parent = product.parent if "parent" in product._state.fields_cache else None
            classes[product.pk] = parent.product_class_id if parent is not None else None
        else:
            classes[product.pk] = product.product_class_id
    paths = {}
    if table["categories"]:
        for product_id, path in ProductCategory.objects.filter(product_id__in=set(owners.values())).values_list(
            "product_id", "category__path"
        ):
            paths.setdefault(product_id, []).append(path)
    result = {}
    for product in products:
        owner = owners[product.pk]
        if product.pk in table["products"]:
            result[product.pk] = table["products"][product.pk]
        elif owner in table["products"]:
            result[product.pk] = table["products"][owner]
        else:
            result[product.pk] = _category_coefficient(table, paths.get(owner, ()))
            if result[product.pk] is None:
                class_id = classes[product.pk]
                if class_id is None and product.parent_id:
                    class_id = product.get_product_class().pk
                result[product.pk] = table["classes"].get(class_id, table["default"])
    return result


def _category_coefficient(table, product_paths):
    for path, coefficient in table["categories"]:
        if any(p.startswith(path) for p in product_paths):
            return coefficient
    return None


def coefficient_for(product):
    return coefficients([product])[product.pk]
