"""What every batch of one import step shares: settings, the classifier, and lookups cached for the step.

Built once per step (``ImportContext.for_run``); a batch asks it for a
category, a product class, an attribute, a margin group or the partner and
gets the cached row, so a batch's queries do not grow with its size.
"""

import hashlib
import json
import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from oscar.core.loading import get_model
from oscar.core.utils import slugify

from erp_sync.exchange.catalogue import reading
from erp_sync.exchange.settings import exchange_settings
from oscar_loyalty.earning import margins

Category = get_model("catalogue", "Category")
ProductClass = get_model("catalogue", "ProductClass")
ProductAttribute = get_model("catalogue", "ProductAttribute")
Partner = get_model("partner", "Partner")
MarginGroup = get_model("oscar_loyalty", "MarginGroup")
ErpCategory = get_model("erp_sync", "ErpCategory")
ErpPriceType = get_model("erp_sync", "ErpPriceType")

DEFAULT_PARTNER_NAME = "Accounting system"
_CURRENCIES = {"руб": "RUB", "руб.": "RUB", "rub": "RUB", "643": "RUB", "rur": "RUB"}


class CatalogueRefused(Exception):
    """A file that cannot be imported at all (e.g. no partner to hold its offers); nothing of it is applied."""


def currency_code(value):
    """An ISO-like code for what 1C writes in ``Валюта`` ("руб", "643", "RUB"); "" when it wrote nothing."""
    value = (value or "").strip()
    return _CURRENCIES.get(value.lower(), value.upper())[:12] if value else ""


class ImportContext:
    """Settings and cached lookups for the batches of one step of one file."""

    def __init__(self, run, *, directory=None):
        self.run = run
        self.directory = directory  # where import_files/ lie (None: images are not read)
        self.properties = {}  # Ид → reading.Property
        self.price_types = {}  # Ид → reading.PriceType (this file's and those kept from earlier files)
        self.warehouses = {}  # Ид → name
        self.group_names = {}  # group Ид → name, from this file's classifier
        self._categories = None
        self._classes = {}
        self._attributes = {}
        self._margin_groups = None
        self._partner = None
        self.batch_size = max(1, int(exchange_settings.CATALOGUE_BATCH_SIZE))
        self.attributes_map = exchange_settings.CATALOGUE_ATTRIBUTES
        self.margin_source = exchange_settings.CATALOGUE_MARGIN_GROUP_SOURCE
        self.margin_from_classifier = exchange_settings.CATALOGUE_MARGIN_GROUP_FROM_CLASSIFIER
        self.class_requisite = exchange_settings.CATALOGUE_PRODUCT_CLASS_REQUISITE
        self.match_barcode = exchange_settings.CATALOGUE_MATCH_BARCODE
        self.images = exchange_settings.CATALOGUE_IMAGES and directory is not None
        self.tax_rate = exchange_settings.CATALOGUE_TAX_RATE
        self.counted_warehouses = exchange_settings.CATALOGUE_WAREHOUSES
        self.warehouse_partners = exchange_settings.CATALOGUE_WAREHOUSE_PARTNERS or {}
        self._warehouse_partners = {}
        self._known_price_types = None
        # What a product's digest depends on besides its own data: a changed mapping re-applies everything.
        self.digest = json.dumps(
            [
                sorted(self.attributes_map.items()),
                self.margin_source,
                self.margin_from_classifier,
                self.class_requisite,
                exchange_settings.CATALOGUE_PRODUCT_CLASS,
                self.match_barcode,
                self.images,
            ],
            ensure_ascii=False,
        )

    def forget_rows(self):
        """Drop cached rows after a rollback: a savepoint rolled back may have created some of them."""
        self._categories = None
        self._classes = {}
        self._attributes = {}
        self._margin_groups = None
        self._partner = None
        self._warehouse_partners = {}

    # --- The classifier ----------------------------------------------------------

    def take(self, item):
        """Keep what the classifier declares, as the reader yields it."""
        if isinstance(item, reading.Property):
            self.properties[item.erp_id] = item
        elif isinstance(item, reading.PriceType):
            self.price_types[item.erp_id] = item
        elif isinstance(item, reading.Warehouse):
            self.warehouses[item.erp_id] = item.name
        elif isinstance(item, reading.Group):
            self.group_names[item.erp_id] = item.name

    def property_named(self, name):
        for prop in self.properties.values():
            if prop.name == name:
                return prop
        return None

    def source_value(self, product, source):
        """The text a product holds under ``source`` (a field, a requisite, a property, a characteristic)."""
        fields = {"Артикул": product.article, "БазоваяЕдиница": product.unit, "Штрихкод": product.barcode}
        if source in fields:
            return fields[source]
        if source in product.requisites:
            return product.requisites[source]
        prop = self.properties.get(source) or self.property_named(source)
        prop_id = prop.erp_id if prop is not None else source
        if prop_id in product.properties:
            values = product.properties[prop_id]
            if prop is not None:
                values = [prop.values.get(value, value) for value in values]
            return ", ".join(values)
        return product.characteristics.get(source, "")

    # --- Categories --------------------------------------------------------------

    def categories(self):
        """{group Ид: category id}, read once per step."""
        if self._categories is None:
            self._categories = dict(ErpCategory.objects.values_list("erp_id", "category_id"))
        return self._categories

    # --- Product classes and attributes ---------------------------------------------

    def product_class(self, name):
        name = (name or exchange_settings.CATALOGUE_PRODUCT_CLASS or "Товар")[:128]
        if name not in self._classes:
            product_class = ProductClass.objects.filter(name=name).first()
            if product_class is None:
                product_class = ProductClass.objects.create(name=name, requires_shipping=True, track_stock=True)
            self._classes[name] = product_class
        return self._classes[name]

    def attribute(self, product_class_id, code):
        key = (product_class_id, code)
        if key not in self._attributes:
            attribute, _created = ProductAttribute.objects.get_or_create(
                product_class_id=product_class_id, code=code, defaults={"name": code, "type": ProductAttribute.TEXT}
            )
            self._attributes[key] = attribute
        return self._attributes[key]

    # --- Margin groups -------------------------------------------------------------

    def margin_group(self, value):
        """The margin group a value names (by code or name), created with coefficient 1.0 when new."""
        value = (value or "").strip()
        if not value:
            return None
        if self._margin_groups is None:
            self._margin_groups = {}
            for group in MarginGroup.objects.all():
                self._margin_groups.setdefault(group.code.lower(), group)
                self._margin_groups.setdefault(group.name.lower(), group)
        key = value.lower()
        if key not in self._margin_groups:
            group = self._create_margin_group(value)
            self._margin_groups[key] = group
            self._margin_groups.setdefault(group.code.lower(), group)
        return self._margin_groups[key]

    def _create_margin_group(self, value):
        code = slugify(value)[:32].strip("-")
        if not code or not re.fullmatch(r"[a-z0-9_-]+", code) or "u04" in code:
            code = "erp-" + hashlib.sha1(value.encode("utf-8")).hexdigest()[:10]
        try:
            with transaction.atomic():
                group = MarginGroup.objects.create(code=code, name=value[:64], coefficient=1)
        except IntegrityError:  # a concurrent import created it, or the code is taken
            group = MarginGroup.objects.filter(code=code).first()
            if group is None:
                code = "erp-" + hashlib.sha1(value.encode("utf-8")).hexdigest()[:10]
                group, _created = MarginGroup.objects.get_or_create(
                    code=code, defaults={"name": value[:64], "coefficient": 1}
                )
        margins.forget_assignments()
        return group

    # --- Offers -----------------------------------------------------------------

    def partner(self):
        if self._partner is None:
            name = exchange_settings.CATALOGUE_PARTNER
            if name:
                self._partner, _created = Partner.objects.get_or_create(name=name)
            else:
                partners = list(Partner.objects.order_by("pk")[:2])
                if len(partners) > 1:
                    raise CatalogueRefused(
                        _("The shop has several partners: set ERP_SYNC_CATALOGUE_PARTNER to the one the offers fill.")
                    )
                self._partner = partners[0] if partners else Partner.objects.create(name=DEFAULT_PARTNER_NAME)
        return self._partner

    def warehouse_partner(self, name):
        """The partner a mapped warehouse's stock goes to (by name, created if the shop has none yet)."""
        if name not in self._warehouse_partners:
            self._warehouse_partners[name], _created = Partner.objects.get_or_create(name=name)
        return self._warehouse_partners[name]

    def known_price_types(self):
        """This file's price types, and those earlier files declared (read once per step)."""
        if self._known_price_types is not None and set(self.price_types) <= set(self._known_price_types):
            return self._known_price_types
        known = {
            row.erp_id: reading.PriceType(row.erp_id, row.name, row.currency, row.tax_included)
            for row in ErpPriceType.objects.all()
        }
        known.update(self.price_types)
        self._known_price_types = known
        return known

    def chosen_price_type(self):
        """The configured price type's Ид; unset, the first this file declares (None: each offer's first price)."""
        wanted = exchange_settings.CATALOGUE_PRICE_TYPE
        if not wanted:
            return next(iter(self.price_types), None)
        for price_type in self.known_price_types().values():
            if wanted in (price_type.erp_id, price_type.name):
                return price_type.erp_id
        return wanted  # an Ид no file has declared yet

    def default_currency(self):
        return getattr(settings, "OSCAR_DEFAULT_CURRENCY", "RUB")


def save_price_types(price_types):
    """Keep the declared price types for the files that only name their ids (prices*.xml)."""
    for price_type in price_types:
        if price_type.erp_id:
            ErpPriceType.objects.update_or_create(
                erp_id=price_type.erp_id[:150],
                defaults={
                    "name": price_type.name[:255],
                    "currency": currency_code(price_type.currency),
                    "tax_included": price_type.tax_included,
                },
            )


def sync_groups(groups):
    """The classifier's groups become categories (a tree), created, adopted, renamed or moved; returns how many changed.

    Few rows (a classifier has hundreds of groups, not millions), written
    one by one through treebeard, which keeps the tree's paths right.
    """
    links = {link.erp_id: link for link in ErpCategory.objects.select_related("category")}
    changed = 0
    for group in groups:
        if not group.erp_id or not group.name:
            continue
        parent_link = links.get(group.parent_id) if group.parent_id else None
        parent = parent_link.category if parent_link is not None else None
        link = links.get(group.erp_id)
        name = group.name[:255]
        if link is None:
            # A category of the same name at the same place, entered by hand, is adopted rather than doubled.
            siblings = parent.get_children() if parent is not None else Category.get_root_nodes()
            category = siblings.filter(name=name, erp_link__isnull=True).first()
            if category is None:
                category = parent.add_child(name=name) if parent is not None else Category.add_root(name=name)
            link = ErpCategory.objects.create(erp_id=group.erp_id[:150], category=category)
            link.category = category
            links[group.erp_id] = link
            changed += 1
            continue
        category = link.category
        current_parent = category.get_parent()
        if (current_parent.pk if current_parent else None) != (parent.pk if parent else None):
            if parent is not None:
                category.move(parent, pos="last-child")
            else:
                category.move(Category.get_first_root_node(), pos="last-sibling")
            category = Category.objects.get(pk=category.pk)
            link.category = category
            changed += 1
        if category.name != name:
            category.name = name
            category.slug = ""  # Oscar makes it again from the name
            category.save()
            changed += 1
    return changed
