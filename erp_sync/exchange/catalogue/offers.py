"""Offers from ``offers.xml`` (and ``prices*.xml``, ``rests*.xml``), a batch at a time: prices and stock.

Each offer becomes the stock record of its product at the configured
partner: the price of the configured price type and the quantity (summed
over the configured warehouses). A warehouse the shop maps to a partner of
its own (a store, a pick-up point) gets its own stock record at that
partner instead, with the same price. What an offer does not send is left
as it is, so a prices file and a rests file each update their half. An offer
``product#characteristic`` for a product the shop has becomes a variant
(a child product) of it.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_model
from oscar.core.utils import slugify

from erp_sync.exchange.catalogue import bulk, reading
from erp_sync.exchange.catalogue.context import currency_code
from erp_sync.exchange.catalogue.products import BatchResult, _write_attributes

Product = get_model("catalogue", "Product")
StockRecord = get_model("partner", "StockRecord")
ErpProduct = get_model("erp_sync", "ErpProduct")

#: StockRecord.price holds 12 digits, 2 of them after the point.
LARGEST_PRICE = Decimal(10) ** 10
CENT = Decimal("0.01")


def apply_offers(items, context):
    """Create or update the stock records of one batch of offers; returns a ``BatchResult``."""
    result = BatchResult()
    run_id = context.run.pk
    good = result.keep_applicable(items)
    wanted = {item.erp_id for item in good} | {item.product_id for item in good}
    # {Ид: (product id, the run that last listed it, its VAT rate)}: tuples, no model instance per offer.
    links = {
        erp_id: (product_id, offers_run, vat_rate)
        for erp_id, product_id, offers_run, vat_rate in ErpProduct.objects.filter(erp_id__in=wanted).values_list(
            "erp_id", "product_id", "offers_run", "vat_rate"
        )
    }
    chosen = context.chosen_price_type()
    price_types = context.known_price_types() if good else {}
    values, variants = {}, []
    for item in good:
        link = links.get(item.erp_id)
        if link is not None and link[1] == run_id:
            result.failed.append((item.erp_id, _("The same Ид appears twice in this file.")))
            continue
        if link is None and (not item.is_variant or item.product_id not in links):
            result.failed.append(
                (
                    item.erp_id,
                    _("It is an offer for a product the shop does not have: %(id)s.") % {"id": item.product_id},
                )
            )
            continue
        try:
            # A variant without a rate of its own is taxed as its product.
            rates = [found[2] for found in (link, links.get(item.product_id)) if found is not None]
            vat_rate = next((rate for rate in rates if rate is not None), None)
            values[item.erp_id] = _stock_values(item, chosen, price_types, context, vat_rate)
        except ValueError as error:
            result.failed.append((item.erp_id, str(error)))
            continue
        if link is None:
            variants.append(item)
    product_ids = _create_variants(variants, links, context)
    for erp_id in values:
        if erp_id not in product_ids:
            product_ids[erp_id] = links[erp_id][0]
    _write_stock(values, product_ids, context, result)
    if values:
        ErpProduct.objects.filter(erp_id__in=list(values)).update(offers_run=run_id)
    return result


def _stock_values(item, chosen, price_types, context, vat_rate=None):
    """{"price", "price_currency", "num_in_stock"} as far as the offer sends them; ValueError for a bad one."""
    values = {}
    if item.prices:
        price = next((p for p in item.prices if p.price_type_id == chosen), None) if chosen else item.prices[0]
        if price is not None:
            price_type = price_types.get(price.price_type_id)
            amount = price.amount
            rate = vat_rate if vat_rate is not None else context.tax_rate
            if rate is not None and price_type is not None and price_type.tax_included is False:
                amount = amount * (1 + Decimal(str(rate)) / 100)
            amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
            if amount >= LARGEST_PRICE:
                raise ValueError(
                    _("ЦенаЗаЕдиницу %(value)s is out of the range the shop stores.") % {"value": price.amount}
                )
            values["price"] = amount
            values["price_currency"] = (
                currency_code(price.currency)
                or currency_code(price_type.currency if price_type else "")
                or context.default_currency()
            )
    quantity = None
    if item.stocks:
        counted, mapped = context.counted_warehouses, context.warehouse_partners
        quantity, elsewhere = Decimal(0), {}
        for warehouse, amount in item.stocks.items():
            name = context.warehouses.get(warehouse)
            partner = mapped.get(warehouse) or mapped.get(name)
            if partner is not None:
                elsewhere[partner] = elsewhere.get(partner, Decimal(0)) + amount
            elif counted is None or warehouse in counted or name in counted:
                quantity += amount
        if elsewhere:
            values["elsewhere"] = {partner: _units(amount) for partner, amount in elsewhere.items()}
    elif item.quantity is not None:
        quantity = item.quantity
    if quantity is not None:
        values["num_in_stock"] = _units(quantity)
    return values


def _units(quantity):
    if quantity >= 2**31:
        raise ValueError(_("Количество %(value)s is out of the range the shop stores.") % {"value": quantity})
    return int(quantity)  # a fraction of a unit cannot be sold


def _create_variants(items, links, context):
    """Child products for new ``product#characteristic`` offers; returns {offer Ид: product id}."""
    if not items:
        return {}
    now = timezone.now()
    parents = Product.objects.in_bulk({links[item.product_id][0] for item in items})
    children = {}
    for item in items:
        parent = parents[links[item.product_id][0]]
        title = (item.name or parent.title)[:255]
        children[item.erp_id] = Product(
            parent=parent,
            structure=Product.CHILD,
            title=title,
            slug=slugify(title)[:255] or "product",
            is_public=True,
            date_updated=now,
        )
    bulk.insert(Product, children.values())
    bulk.insert(ErpProduct, (ErpProduct(erp_id=erp_id, product=child) for erp_id, child in children.items()))
    converted = list(
        Product.objects.filter(pk__in=[p.pk for p in parents.values()], structure=Product.STANDALONE).values_list(
            "pk", flat=True
        )
    )
    if converted:
        # In Oscar only the variants of a parent hold stock.
        Product.objects.filter(pk__in=converted).update(structure=Product.PARENT)
        StockRecord.objects.filter(product_id__in=converted).delete()
    # The characteristics a shop maps to attributes land on the variants (attributes of the parent's class).
    described = {child.parent.product_class_id for child in children.values()}
    if context.attributes_map and described != {None}:
        pseudo = {
            item.erp_id: reading.Product(
                position=item.position, erp_id=item.erp_id, characteristics=item.characteristics
            )
            for item in items
            if item.characteristics
        }
        by_id = dict(children)
        by_id.update({item.product_id: parents[links[item.product_id][0]] for item in items})
        _write_attributes(list(pseudo.values()), by_id, context)
    return {erp_id: child.pk for erp_id, child in children.items()}


def _write_stock(values, product_ids, context, result):
    """Each offer's stock record at the partner, and at the partners its mapped warehouses stand for.

    A prices-only offer updates the price of every record the product has at
    these partners; a record at a warehouse's partner is created only when
    that warehouse's stock is sent.
    """
    if not values:
        return
    partner = context.partner()
    partners = {name: context.warehouse_partner(name).pk for name in context.warehouse_partners.values()}
    existing = {
        (row.partner_id, row.product_id): row
        for row in StockRecord.objects.filter(
            partner_id__in={partner.pk, *partners.values()}, product_id__in=set(product_ids.values())
        )
    }
    now = timezone.now()
    new, changed = [], []
    for erp_id, offer_fields in values.items():
        product_id = product_ids[erp_id]
        price = {name: value for name, value in offer_fields.items() if name in ("price", "price_currency")}
        targets = [(partner.pk, {name: value for name, value in offer_fields.items() if name != "elsewhere"})]
        for name, partner_id in partners.items():
            if name in offer_fields.get("elsewhere", {}):
                targets.append((partner_id, {**price, "num_in_stock": offer_fields["elsewhere"][name]}))
            elif price and (partner_id, product_id) in existing:
                targets.append((partner_id, price))
        created = updated = False
        for partner_id, fields in targets:
            row = existing.get((partner_id, product_id))
            if row is None:
                created = True
                new.append(
                    {
                        "partner_id": partner_id,
                        "product_id": product_id,
                        "partner_sku": erp_id[:128],
                        "price_currency": fields.get("price_currency") or context.default_currency(),
                        "price": fields.get("price"),
                        "num_in_stock": fields.get("num_in_stock"),
                        "date_created": now,
                        "date_updated": now,
                    }
                )
            elif any(getattr(row, name) != value for name, value in fields.items()):
                updated = True
                for name, value in fields.items():
                    setattr(row, name, value)
                row.date_updated = now
                changed.append(row)
        # An offer counts once: created when its record at the partner is new, else updated or unchanged.
        if (partner.pk, product_id) not in existing:
            result.created += 1
        elif created or updated:
            result.updated += 1
        else:
            result.unchanged += 1
    bulk.insert_rows(StockRecord, new)
    if changed:
        StockRecord.objects.bulk_update(
            changed, ["price", "price_currency", "num_in_stock", "date_updated"], batch_size=context.batch_size
        )
