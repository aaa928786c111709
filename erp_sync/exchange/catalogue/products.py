"""Products from ``import.xml``, a batch at a time: created or updated whole, or not at all.

A batch costs a fixed number of queries (links, products, categories,
attribute values, margin group assignments), whatever its size. Products
whose data did not change since they were last applied (their digest) are
not written at all, so importing the same file twice changes nothing.
"""

import hashlib
import os
from dataclasses import dataclass, field

from django.core.files import File
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_model
from oscar.core.utils import slugify

from erp_sync.exchange import storage
from erp_sync.exchange.catalogue import bulk
from oscar_loyalty.earning import margins

Product = get_model("catalogue", "Product")
ProductCategory = get_model("catalogue", "ProductCategory")
ProductAttributeValue = get_model("catalogue", "ProductAttributeValue")
ProductImage = get_model("catalogue", "ProductImage")
MarginGroupAssignment = get_model("oscar_loyalty", "MarginGroupAssignment")
ErpProduct = get_model("erp_sync", "ErpProduct")
StockRecord = get_model("partner", "StockRecord")


@dataclass
class BatchResult:
    """What a batch did; ``failed`` lists (Ид, reason) of what was not applied."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unavailable: int = 0
    failed: list = field(default_factory=list)

    def add(self, other):
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.unavailable += other.unavailable
        self.failed.extend(other.failed)

    def keep_applicable(self, items):
        """The items of a batch that can be applied; the others are recorded as failed, with the reason."""
        good, seen_ids = [], set()
        for item in items:
            if item.error:
                self.failed.append((item.erp_id, item.error))
            elif item.erp_id in seen_ids:
                self.failed.append((item.erp_id, _("The same Ид appears twice in this file.")))
            else:
                seen_ids.add(item.erp_id)
                good.append(item)
        return good


def digest(item, context):
    """What was applied of a product, in 32 characters: the same product sent again is recognised."""
    data = (
        item.erp_id,
        item.name,
        item.article,
        item.barcode,
        item.description,
        item.unit,
        item.groups,
        item.images,
        sorted(item.properties.items()),
        sorted(item.requisites.items()),
        sorted(item.characteristics.items()),
        item.vat_rate,
        item.deleted,
        context.digest,
    )
    return hashlib.md5(repr(data).encode("utf-8"), usedforsecurity=False).hexdigest()


def apply_in_batches(items, context, apply):
    """Apply ``items`` with ``apply`` in one savepoint; if the database refuses, one item at a time.

    So a product the database will not take (a value out of range, a row a
    concurrent change removed) fails alone, rolled back whole, and the rest of
    the batch is applied.
    """
    try:
        with transaction.atomic():
            return apply(items, context)
    except (DatabaseError, ValueError) as error:
        context.forget_rows()  # rows the rolled-back savepoint created are gone
        if len(items) == 1:
            return BatchResult(failed=[(items[0].erp_id, _stored_error(error))])
    result = BatchResult()
    for item in items:
        try:
            with transaction.atomic():
                result.add(apply([item], context))
        except (DatabaseError, ValueError) as error:
            context.forget_rows()
            result.failed.append((item.erp_id, _stored_error(error)))
    return result


def _stored_error(error):
    return _("The shop could not store it: %(error)s") % {"error": " ".join(str(error).split())[:300]}


def apply_products(items, context):
    """Create or update the products of one batch; returns a ``BatchResult``."""
    result = BatchResult()
    run_id = context.run.pk
    good = result.keep_applicable(items)
    # Products before their variants: a variant needs its parent's row.
    good.sort(key=lambda item: bool(item.parent_id))
    wanted = {item.erp_id for item in good} | {item.parent_id for item in good if item.parent_id}
    links = {link.erp_id: link for link in ErpProduct.objects.filter(erp_id__in=wanted)}
    categories = context.categories()

    hashes, fresh, changed, fresh_ids = {}, [], [], set()
    for item in good:
        link = links.get(item.erp_id)
        if link is not None and link.catalogue_run == run_id:
            result.failed.append((item.erp_id, _("The same Ид appears twice in this file.")))
            continue
        unknown = [group for group in item.groups if group not in categories]
        if unknown:
            result.failed.append(
                (
                    item.erp_id,
                    _("It names groups the classifier does not have: %(groups)s.") % {"groups": ", ".join(unknown)},
                )
            )
            continue
        if item.parent_id and item.parent_id not in links and item.parent_id not in fresh_ids:
            result.failed.append(
                (
                    item.erp_id,
                    _("It is a variant of a product the shop does not have: %(id)s.") % {"id": item.parent_id},
                )
            )
            continue
        hashes[item.erp_id] = digest(item, context)
        if link is not None and link.data_hash == hashes[item.erp_id]:
            result.unchanged += 1
        elif link is None:
            fresh.append(item)
            fresh_ids.add(item.erp_id)
        else:
            changed.append(item)

    products, created = _write_products(fresh, changed, links, context, result)
    written = fresh + changed
    _write_links(written, links, products, hashes, run_id)
    to_hide = [products[item.erp_id].pk for item in written if item.deleted]
    if to_hide:
        Product.objects.filter(pk__in=to_hide).update(is_public=False)
        ErpProduct.objects.filter(product_id__in=to_hide).update(data_hash="")
        result.unavailable += len(to_hide)
    canonical = [item for item in written if not item.parent_id and not item.deleted]
    _write_categories(canonical, products, categories, created)
    _write_attributes([item for item in written if not item.deleted], products, context, created)
    _write_margin_groups(canonical, products, context, created)
    if context.images:
        for item in canonical:
            _write_images(item, products[item.erp_id], context)
    applied = [item.erp_id for item in good if item.erp_id in links]  # the new links were written as seen
    if applied:
        ErpProduct.objects.filter(erp_id__in=applied).update(catalogue_run=run_id)
    return result


def _write_products(fresh, changed, links, context, result):
    """{Ид: Product} for the batch's new and changed products: products first, then variants (they need a parent id)."""
    now = timezone.now()
    existing = Product.objects.in_bulk([links[item.erp_id].product_id for item in changed])
    products = {item.erp_id: existing[links[item.erp_id].product_id] for item in changed}
    barcodes = {item.barcode[:64] for item in fresh + changed if item.barcode and context.match_barcode}
    holders = dict(Product.objects.filter(upc__in=barcodes).values_list("upc", "pk")) if barcodes else {}
    adopted = _adopt_by_barcode(fresh, holders, products) if holders else set()
    created = set()
    fields = [
        "title",
        "slug",
        "description",
        "is_public",
        "structure",
        "parent",
        "product_class",
        "upc",
        "date_updated",
    ]
    for variants in (False, True):
        tier = [item for item in fresh + changed if bool(item.parent_id) == variants]
        new, updates = [], []
        for item in tier:
            product = products.get(item.erp_id)
            if product is None:
                product = products[item.erp_id] = Product()
                new.append(product)
            else:
                updates.append(product)
            _fill(product, item, products, links, context, holders)
            product.date_updated = now
        bulk.insert(Product, new)
        created.update(product.pk for product in new)
        if updates:
            Product.objects.bulk_update(updates, fields, batch_size=context.batch_size)
    parents = {products[item.erp_id].parent_id for item in fresh + changed if item.parent_id}
    if parents:
        # A product that gained variants becomes their parent: in Oscar only the variants hold stock.
        converted = list(
            Product.objects.filter(pk__in=parents, structure=Product.STANDALONE).values_list("pk", flat=True)
        )
        if converted:
            Product.objects.filter(pk__in=converted).update(structure=Product.PARENT)
            StockRecord.objects.filter(product_id__in=converted).delete()
    result.created += sum(1 for item in fresh if item.erp_id not in adopted)
    result.updated += len(changed) + len(adopted)
    return products, created


def _adopt_by_barcode(fresh, holders, products):
    """A product the accounting system sends for the first time may be in the shop already, entered by hand."""
    free = set(holders.values()) - set(
        ErpProduct.objects.filter(product_id__in=holders.values()).values_list("product_id", flat=True)
    )
    wanted = {}
    for item in fresh:
        pk = holders.get(item.barcode[:64]) if item.barcode else None
        if pk in free and pk not in wanted.values():
            wanted[item.erp_id] = pk
    found = Product.objects.in_bulk(list(wanted.values()))
    for erp_id, pk in wanted.items():
        products[erp_id] = found[pk]
    return set(wanted)


def _fill(product, item, products, links, context, holders):
    if item.parent_id:
        parent = products.get(item.parent_id)
        product.parent_id = parent.pk if parent is not None else links[item.parent_id].product_id
        product.structure = Product.CHILD
        product.product_class_id = None
        product.title = item.name[:255]
    else:
        product.parent_id = None
        if product.structure != Product.PARENT:
            product.structure = Product.STANDALONE
        product.title = item.name[:255] or product.title
        class_name = item.requisites.get(context.class_requisite, "") if context.class_requisite else ""
        if class_name or product.product_class_id is None:
            product.product_class_id = context.product_class(class_name).pk
    product.description = item.description
    product.slug = slugify(product.title or item.erp_id)[:255] or "product"
    product.is_public = not item.deleted
    barcode = item.barcode[:64] if context.match_barcode else ""
    if barcode and holders.get(barcode, product.pk) == product.pk:
        product.upc = barcode


def _write_links(items, links, products, hashes, run_id):
    new, changed = [], []
    for item in items:
        link = links.get(item.erp_id)
        if link is None:
            new.append(
                {
                    "erp_id": item.erp_id,
                    "product_id": products[item.erp_id].pk,
                    "data_hash": hashes[item.erp_id],
                    "catalogue_run": run_id,
                    "vat_rate": item.vat_rate,
                }
            )
        else:
            link.data_hash = hashes[item.erp_id]
            link.vat_rate = item.vat_rate
            changed.append(link)
    bulk.insert_rows(ErpProduct, new)
    if changed:
        ErpProduct.objects.bulk_update(changed, ["data_hash", "vat_rate"])


def _write_categories(items, products, categories, created):
    wanted = {products[item.erp_id].pk: {categories[group] for group in item.groups} for item in items if item.groups}
    if not wanted:
        return
    current = {}
    known = [pk for pk in wanted if pk not in created]  # a product created by this batch has no rows yet
    for pk, product_id, category_id in (
        ProductCategory.objects.filter(product_id__in=known).values_list("pk", "product_id", "category_id")
        if known
        else ()
    ):
        current.setdefault(product_id, {})[category_id] = pk
    stale = [
        pk
        for product_id, rows in current.items()
        for category_id, pk in rows.items()
        if category_id not in wanted[product_id]
    ]
    if stale:
        ProductCategory.objects.filter(pk__in=stale).delete()
    bulk.insert_rows(
        ProductCategory,
        (
            {"product_id": product_id, "category_id": category_id}
            for product_id, category_ids in wanted.items()
            for category_id in category_ids
            if category_id not in current.get(product_id, {})
        ),
    )


def _write_attributes(items, products, context, created=frozenset()):
    if not context.attributes_map:
        return
    values = {}  # (product id, attribute id) → text
    for item in items:
        product = products[item.erp_id]
        class_id = product.product_class_id or (
            products[item.parent_id].product_class_id if item.parent_id in products else None
        )
        if class_id is None and product.parent_id:
            class_id = Product.objects.filter(pk=product.parent_id).values_list("product_class_id", flat=True).first()
        if class_id is None:
            continue
        for source, code in context.attributes_map.items():
            text = context.source_value(item, source)
            if text:
                values[(product.pk, context.attribute(class_id, code).pk)] = text
    if not values:
        return
    known = {key[0] for key in values} - created  # a product created by this batch has no values yet
    existing = (
        {
            (row.product_id, row.attribute_id): row
            for row in ProductAttributeValue.objects.filter(
                product_id__in=known, attribute_id__in={key[1] for key in values}
            )
        }
        if known
        else {}
    )
    new, changed = [], []
    for (product_id, attribute_id), text in values.items():
        row = existing.get((product_id, attribute_id))
        if row is None:
            new.append({"product_id": product_id, "attribute_id": attribute_id, "value_text": text})
        elif row.value_text != text:
            row.value_text = text
            changed.append(row)
    bulk.insert_rows(ProductAttributeValue, new)
    if changed:
        ProductAttributeValue.objects.bulk_update(changed, ["value_text"])


def _margin_value(item, context):
    value = context.source_value(item, context.margin_source) if context.margin_source else ""
    if not value and context.margin_from_classifier and item.groups:
        value = context.group_names.get(item.groups[0], "")
    return value


def _write_margin_groups(items, products, context, created=frozenset()):
    """Put each product in the margin group the accounting system names (a product without one keeps its own)."""
    wanted = {}
    for item in items:
        group = context.margin_group(_margin_value(item, context))
        if group is not None:
            wanted[products[item.erp_id].pk] = group.pk
    if not wanted:
        return
    known = set(wanted) - created
    existing = (
        {row.product_id: row for row in MarginGroupAssignment.objects.filter(product_id__in=known)} if known else {}
    )
    new, changed = [], []
    for product_id, group_id in wanted.items():
        row = existing.get(product_id)
        if row is None:
            new.append({"product_id": product_id, "group_id": group_id})
        elif row.group_id != group_id:
            row.group_id = group_id
            changed.append(row)
    bulk.insert_rows(MarginGroupAssignment, new)
    if changed:
        MarginGroupAssignment.objects.bulk_update(changed, ["group"])
    if new or changed:
        margins.forget_assignments()  # bulk writes send no signals


def _write_images(item, product, context):
    """Replace the product's images with the pictures sent under import_files/ (kept when none was sent)."""
    paths = []
    for name in item.images:
        try:
            path = storage.path_in(context.directory, storage.clean_name(name))
        except storage.StorageError:
            continue
        if os.path.isfile(path):
            paths.append(path)
    if not paths:
        return
    for image in ProductImage.objects.filter(product=product):
        image.delete()
    for order, path in enumerate(paths):
        with open(path, "rb") as handle:
            image = ProductImage(product=product, display_order=order)
            image.original.save(os.path.basename(path), File(handle), save=True)
