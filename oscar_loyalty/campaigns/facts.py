"""What rules ask about products and customers, gathered in a fixed number of queries.

Only what the active rules need is read: no category query unless a rule
names categories (or margin groups assigned by category), no segment,
birthday or purchase query unless a rule asks about them.
"""

from django.core.cache import cache
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from oscar.core.loading import get_model, is_model_registered

from oscar_loyalty.campaigns.engine import Customer

ProductCategory = get_model("catalogue", "ProductCategory")
MarginGroup = get_model("oscar_loyalty", "MarginGroup")
MarginGroupAssignment = get_model("oscar_loyalty", "MarginGroupAssignment")
QualifyingPurchase = get_model("oscar_loyalty", "QualifyingPurchase")

GROUPS_CACHE_KEY = "oscar_loyalty:campaign-margin-groups:v1"


class Needs:
    """Which facts a snapshot of rules asks for."""

    def __init__(self, rules):
        self.categories = any(rule.category_paths for rule in rules)
        self.groups = any(rule.margin_group_ids for rule in rules)
        self.segments = any(rule.audience == "segments" for rule in rules)
        self.birthday = any(rule.birthday_days is not None for rule in rules)
        self.purchases = any(rule.audience == "purchased" or rule.basis == "nth" for rule in rules)


def group_table():
    """Margin group ids by product, product class and category path (cached like the coefficients)."""
    table = cache.get(GROUPS_CACHE_KEY)
    if table is not None:
        return table
    default = MarginGroup.objects.filter(is_default=True).values_list("pk", flat=True).first()
    table = {"default": default, "products": {}, "classes": {}, "categories": []}
    for product_id, class_id, path, group_id in MarginGroupAssignment.objects.values_list(
        "product_id", "product_class_id", "category__path", "group_id"
    ):
        if product_id:
            table["products"][product_id] = group_id
        elif class_id:
            table["classes"][class_id] = group_id
        elif path:
            table["categories"].append((path, group_id))
    table["categories"].sort(key=lambda item: len(item[0]), reverse=True)
    cache.set(GROUPS_CACHE_KEY, table, None)
    return table


def forget_groups(**kwargs):
    cache.delete(GROUPS_CACHE_KEY)


# Cleared on the same saves as the margin coefficients.
for _model in (MarginGroup, MarginGroupAssignment, get_model("catalogue", "Category")):
    post_save.connect(forget_groups, sender=_model, dispatch_uid=f"loyalty-campaign-groups-save-{_model.__name__}")
    post_delete.connect(forget_groups, sender=_model, dispatch_uid=f"loyalty-campaign-groups-delete-{_model.__name__}")


def product_facts(products, needs):
    """``{product id: (parent id, class id, category paths, margin group id)}`` for ``products``."""
    products = [p for p in products if p is not None]
    owners = {p.pk: (p.parent_id or p.pk) for p in products}
    groups = group_table() if needs.groups else None
    paths = {}
    if needs.categories or (groups is not None and groups["categories"]):
        for product_id, path in ProductCategory.objects.filter(product_id__in=set(owners.values())).values_list(
            "product_id", "category__path"
        ):
            paths.setdefault(product_id, []).append(path)
    result = {}
    for product in products:
        owner = owners[product.pk]
        class_id = product.product_class_id
        if class_id is None and product.parent_id:
            parent = product.parent if "parent" in product._state.fields_cache else None
            class_id = parent.product_class_id if parent is not None else product.get_product_class().pk
        product_paths = tuple(paths.get(owner, ()))
        group_id = None
        if groups is not None:
            group_id = groups["products"].get(product.pk, groups["products"].get(owner))
            if group_id is None:
                group_id = next(
                    (gid for path, gid in groups["categories"] if any(p.startswith(path) for p in product_paths)), None
                )
            if group_id is None:
                group_id = groups["classes"].get(class_id, groups["default"])
        result[product.pk] = (product.parent_id, class_id, product_paths, group_id)
    return result


def birthday_of(user):
    """The customer's date of birth, or None (read from ``oscar_loyalty.CustomerBirthday`` when installed)."""
    if user is None or not getattr(user, "pk", None) or not is_model_registered("oscar_loyalty", "CustomerBirthday"):
        return None
    CustomerBirthday = get_model("oscar_loyalty", "CustomerBirthday")
    return CustomerBirthday.objects.filter(user_id=user.pk).values_list("birthday", flat=True).first()


def segment_ids_of(user):
    if not is_model_registered("oscar_loyalty", "SegmentMembership"):
        return frozenset()
    SegmentMembership = get_model("oscar_loyalty", "SegmentMembership")
    return frozenset(SegmentMembership.objects.filter(user_id=user.pk).values_list("segment_id", flat=True))


def customer_facts(user, needs, *, tier=None, exclude_order="", now=None):
    """The :class:`engine.Customer` for ``user`` (None or anonymous: knows nothing)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.pk:
        return Customer()
    purchases = ()
    if needs.purchases:
        rows = (
            QualifyingPurchase.objects.filter(user_id=user.pk)
            .exclude(order_number=exclude_order)
            .order_by("placed_at", "pk")
            .values_list("placed_at", F("amount") - F("returned"))
        )
        purchases = tuple((timezone.localtime(placed).date(), paid) for placed, paid in rows)
    joined = getattr(user, "date_joined", None)
    return Customer(
        user_id=user.pk,
        tier_id=tier.pk if tier is not None else None,
        segment_ids=segment_ids_of(user) if needs.segments else frozenset(),
        registered_on=timezone.localtime(joined).date() if joined is not None else None,
        birthday=birthday_of(user) if needs.birthday else None,
        purchases=purchases,
    )
