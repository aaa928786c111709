"""Reading catalogue files, pure: a path in, plain dataclasses out, memory flat.

``import.xml`` (the classifier's groups and properties, the catalogue's
products) and ``offers.xml`` (price types, warehouses, offers), as well as the
``prices*.xml`` and ``rests*.xml`` of newer exporters, read alike: the reader
follows the elements of interest by local name (no namespace, CommerceML 2
or 3, 3.1's ``Контейнер`` wrapping) and yields them in document order. Each
product or offer is cleared once read, with the siblings before it, so a
file of a million products costs what a file of a hundred does.

Hardened as the order exchange's reader is: no DTD, no entities, no network,
no huge text nodes, and the encoding a file declares must be the one it is
written in (``commerceml.check_encoding``, run by ``scan``).
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from lxml import etree

from erp_sync.exchange.commerceml import CommerceMLError, DocumentError, check_encoding, parse_bool, parse_decimal
from erp_sync.exchange.commerceml.reading import _parser_options
from erp_sync.exchange.commerceml.vocabulary import ROOT

#: The longest external id the shop stores (a product's and a characteristic's GUIDs joined by "#" fit).
MAX_ID_LENGTH = 150
DELETED_WORDS = {"удален", "удалён", "deleted"}


@dataclass
class Header:
    """A ``Каталог`` or ``ПакетПредложений``: ``full`` is True for a full upload, None when the file does not say."""

    kind: str  # "catalogue" or "offers"
    full: bool | None = None


@dataclass
class Group:
    erp_id: str
    name: str
    parent_id: str = ""


@dataclass
class Property:
    erp_id: str
    name: str
    values: dict = field(default_factory=dict)  # ИдЗначения → its text (reference properties)


@dataclass
class PriceType:
    erp_id: str
    name: str
    currency: str = ""
    tax_included: bool | None = None


@dataclass
class Warehouse:
    erp_id: str
    name: str


@dataclass
class Product:
    """One ``Товар`` of ``import.xml``; ``error`` says why it cannot be applied (then nothing of it is)."""

    position: int
    erp_id: str = ""
    name: str = ""
    article: str = ""
    barcode: str = ""
    description: str = ""
    unit: str = ""
    groups: list = field(default_factory=list)
    images: list = field(default_factory=list)
    properties: dict = field(default_factory=dict)  # property Ид → [values]
    requisites: dict = field(default_factory=dict)  # name → value
    characteristics: dict = field(default_factory=dict)  # name → value
    vat_rate: Decimal | None = None  # СтавкиНалогов' НДС in percent; None when the product does not say
    deleted: bool = False
    error: str = ""

    @property
    def parent_id(self):
        """The product a ``product#characteristic`` id belongs to ("" for a product of its own)."""
        base, sep, _rest = self.erp_id.partition("#")
        return base if sep else ""


@dataclass
class Price:
    price_type_id: str
    amount: Decimal
    currency: str = ""


@dataclass
class Offer:
    """One ``Предложение``: what is sent is set, what is not (``None``) is left as it is."""

    position: int
    erp_id: str = ""
    name: str = ""
    barcode: str = ""
    prices: list | None = None
    quantity: Decimal | None = None
    stocks: dict = field(default_factory=dict)  # warehouse Ид → quantity
    characteristics: dict = field(default_factory=dict)
    error: str = ""

    @property
    def product_id(self):
        return self.erp_id.partition("#")[0]

    @property
    def is_variant(self):
        return "#" in self.erp_id


@dataclass
class Scan:
    """What a whole pass over a file found: filled in as the reader goes."""

    items: int = 0  # products and offers, the positions a step resumes at
    products: int = 0
    offers: int = 0
    full: bool | None = None


_LOCAL_NAMES = {}


def _local(tag):
    """A tag's local name; a file holds a few dozen distinct tags, so each is split once."""
    try:
        return _LOCAL_NAMES[tag]
    except KeyError:
        if not isinstance(tag, str):  # a comment, a processing instruction, an entity
            return ""
        if len(_LOCAL_NAMES) > 10_000:  # a hostile file of made-up tags does not grow the cache
            _LOCAL_NAMES.clear()
        name = _LOCAL_NAMES[tag] = tag.rpartition("}")[2]
        return name


def _child(element, name):
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _children(element, name):
    return [child for child in element if _local(child.tag) == name] if element is not None else []


def _text(element, name):
    child = _child(element, name) if element is not None else None
    return _own_text(child)


def _own_text(child):
    if child is None:
        return ""
    if len(child):
        for node in child.iter():
            if isinstance(node, etree._Entity):
                raise CommerceMLError(_("Files with entities are not accepted."))
    return (child.text or "").strip()


def _index(element):
    """{local name: first child of that name}, for reading an element's fields in one pass over its children."""
    index = {}
    for child in element:
        index.setdefault(_local(child.tag), child)
    return index


def _parent_name(element, levels=1):
    node = element
    for _level in range(levels):
        node = node.getparent()
        if node is None:
            return ""
    return _local(node.tag)


_TAGS = sorted(
    f"{{*}}{name}"
    for name in (
        "Каталог",
        "ПакетПредложений",
        "Группы",
        "Свойство",
        "СвойствоНоменклатуры",
        "ТипЦены",
        "Склад",
        "Товар",
        "Предложение",
        "СодержитТолькоИзменения",
    )
)


def iter_catalogue(path, *, start=0, scan=None):
    """Yield the file's ``Header``, ``Group``, ``Property``, ``PriceType``, ``Warehouse``, ``Product`` and ``Offer``.

    Products and offers before position ``start`` are passed over unread
    (a step resumes where the last one stopped); the rest always are read.
    ``scan``, when given, is filled in as the pass goes. Raises
    ``CommerceMLError`` for a file that cannot be read (DTD, entity, wrong
    root, broken or truncated XML).
    """
    scan = scan if scan is not None else Scan()
    with open(path, "rb") as handle:
        yield from _iter(handle, start, scan)


def _check_root(element):
    tree = element.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise CommerceMLError(_("Files with a DTD (DOCTYPE) are not accepted."))
    name = _local(tree.getroot().tag)
    if name != ROOT:
        raise CommerceMLError(_("The root element must be %(root)s, not %(tag)s.") % {"root": ROOT, "tag": name})


def _iter(handle, start, scan):
    # End events only, on the elements of interest: what lxml hands to Python is
    # what is read, and no more (a start event per element would double it).
    context = etree.iterparse(handle, events=("end",), tag=_TAGS, **_parser_options())
    root_checked = False
    try:
        for _event, element in context:
            if not root_checked:
                _check_root(element)
                root_checked = True
            name = _local(element.tag)
            handled = yield from _handle_end(element, name, start, scan)
            if handled:
                _forget(element)
    except etree.XMLSyntaxError as error:
        raise CommerceMLError(_("The file is not well-formed XML: %(error)s") % {"error": error}) from error
    if not root_checked:
        if context.root is None:
            raise CommerceMLError(_("The file is empty."))
        _check_root(context.root)


def _forget(element):
    element.clear(keep_tail=False)
    parent = element.getparent()
    while parent is not None and element.getprevious() is not None:
        del parent[0]


def _flag(value):
    try:
        return parse_bool(value)
    except DocumentError as error:
        raise CommerceMLError(str(error)) from error


def _handle_end(element, name, start, scan):
    """Yield what an element holds; returns whether it was handled (and may be cleared)."""
    parent = _parent_name(element)
    if name == "Товар" and parent == "Товары" and _parent_name(element, 2) == "Каталог":
        position = scan.items
        scan.items += 1
        scan.products += 1
        if position >= start:
            yield read_product(element, position)
        return True
    if name == "Предложение" and parent == "Предложения":
        position = scan.items
        scan.items += 1
        scan.offers += 1
        if position >= start:
            yield read_offer(element, position)
        return True
    if name == "Группы" and parent == "Классификатор":
        yield from read_groups(element)
        return True
    if name in ("Свойство", "СвойствоНоменклатуры") and _parent_name(element, 2) == "Классификатор":
        yield Property(_text(element, "Ид"), _text(element, "Наименование"), _reference_values(element))
        return True
    if name == "ТипЦены" and parent == "ТипыЦен":
        tax = _child(element, "Налог")
        included = _text(tax, "УчтеноВСумме") if tax is not None else ""
        yield PriceType(
            _text(element, "Ид"),
            _text(element, "Наименование"),
            _text(element, "Валюта"),
            _flag(included) if included else None,
        )
        return True
    if name == "Склад" and parent == "Склады":
        yield Warehouse(_text(element, "Ид"), _text(element, "Наименование"))
        return True
    if name in ("Каталог", "ПакетПредложений"):
        header = Header("catalogue" if name == "Каталог" else "offers")
        flag = element.get("СодержитТолькоИзменения")
        if flag is not None:
            header.full = scan.full = not _flag(flag)
        yield header
        return False
    if name == "СодержитТолькоИзменения" and parent in ("Каталог", "ПакетПредложений"):
        full = not _flag((element.text or "").strip())
        scan.full = full
        yield Header("catalogue" if parent == "Каталог" else "offers", full)
        return True
    return False


def read_groups(element, parent_id=""):
    """The classifier's groups, parents before their children."""
    groups = []
    for node in _children(element, "Группа"):
        group = Group(_text(node, "Ид"), _text(node, "Наименование"), parent_id)
        groups.append(group)
        groups.extend(read_groups(_child(node, "Группы") if _child(node, "Группы") is not None else [], group.erp_id))
    return groups


def _reference_values(element):
    values = {}
    for container in ("ВариантыЗначений", "ЗначенияСвойства"):
        for option in _children(_child(element, container), "Справочник"):
            values[_text(option, "ИдЗначения")] = _text(option, "Значение")
    return values


def _pairs(container, item, key="Наименование", value="Значение"):
    pairs = {}
    for node in _children(container, item):
        fields = _index(node)
        name = _own_text(fields.get(key))
        if name:
            pairs[name] = _own_text(fields.get(value))
    return pairs


def _check_id(erp_id):
    if not erp_id:
        raise DocumentError(_("It has no Ид."))
    if len(erp_id) > MAX_ID_LENGTH:
        raise DocumentError(_("Its Ид is longer than %(limit)s characters.") % {"limit": MAX_ID_LENGTH})


def read_product(element, position):
    """One ``Товар`` as a ``Product``; a value the shop cannot take is recorded in ``error``."""
    fields = _index(element)
    product = Product(position=position, erp_id=_own_text(fields.get("Ид")))
    try:
        _check_id(product.erp_id)
        product.name = _own_text(fields.get("Наименование"))
        product.article = _own_text(fields.get("Артикул"))
        product.barcode = _own_text(fields.get("Штрихкод"))
        product.description = _own_text(fields.get("Описание"))
        unit = fields.get("БазоваяЕдиница")
        if unit is not None:
            product.unit = (
                (unit.get("НаименованиеПолное") or "").strip()
                or (unit.text or "").strip()
                or (unit.get("МеждународноеСокращение") or "").strip()
            )
        product.groups = [text for text in map(_own_text, _children(fields.get("Группы"), "Ид")) if text]
        if "Картинка" in fields:
            product.images = [text for text in map(_own_text, _children(element, "Картинка")) if text]
        for node in _children(fields.get("ЗначенияСвойств"), "ЗначенияСвойства"):
            values = [_own_text(value) for value in _children(node, "Значение")]
            product.properties[_text(node, "Ид")] = [value for value in values if value]
        product.requisites = _pairs(fields.get("ЗначенияРеквизитов"), "ЗначениеРеквизита")
        product.characteristics = _pairs(fields.get("ХарактеристикиТовара"), "ХарактеристикаТовара")
        product.vat_rate = _vat_rate(_pairs(fields.get("СтавкиНалогов"), "СтавкаНалога", value="Ставка"))
        status = (element.get("Статус") or _own_text(fields.get("Статус"))).lower()
        product.deleted = status in DELETED_WORDS or parse_bool(_own_text(fields.get("ПометкаУдаления")))
        if not product.name and not product.parent_id and not product.deleted:
            raise DocumentError(_("It has no Наименование."))
    except DocumentError as error:
        product.error = str(error)
    return product


#: How 1C writes "no VAT" in a product's Ставка.
NO_VAT_WORDS = {"без ндс", "без налога", "не облагается", "vat exempt"}


def _vat_rate(rates):
    """The НДС rate of a product's ``СтавкиНалогов`` in percent (``20``, ``10%``, ``Без НДС``), None if not sent."""
    rate = next((value for name, value in rates.items() if name.strip().lower() in ("ндс", "vat")), None)
    if not rate:
        return None
    if rate.strip().lower() in NO_VAT_WORDS:
        return Decimal(0)
    number = parse_decimal(rate.strip().rstrip("%").strip(), "Ставка")
    if number is None or not 0 <= number < 100:
        raise DocumentError(_("Its VAT rate is not a percentage: %(value)s.") % {"value": rate})
    return number


def read_offer(element, position):
    """One ``Предложение`` as an ``Offer``; a price that is no number or a negative stock fails it whole."""
    fields = _index(element)
    offer = Offer(position=position, erp_id=_own_text(fields.get("Ид")))
    try:
        _check_id(offer.erp_id)
        offer.name = _own_text(fields.get("Наименование"))
        offer.barcode = _own_text(fields.get("Штрихкод"))
        offer.characteristics = _pairs(fields.get("ХарактеристикиТовара"), "ХарактеристикаТовара")
        prices = fields.get("Цены")
        if prices is not None:
            offer.prices = []
            for node in _children(prices, "Цена"):
                price = _index(node)
                amount = parse_decimal(_own_text(price.get("ЦенаЗаЕдиницу")), "ЦенаЗаЕдиницу")
                if amount is None:
                    continue
                if amount < 0:
                    raise DocumentError(_("ЦенаЗаЕдиницу is negative: %(value)s.") % {"value": amount})
                offer.prices.append(Price(_own_text(price.get("ИдТипаЦены")), amount, _own_text(price.get("Валюта"))))
        offer.quantity = _quantity(_own_text(fields.get("Количество")))
        if "Склад" in fields or "Остатки" in fields:
            _read_stocks(element, offer)
    except DocumentError as error:
        offer.error = str(error)
    return offer


def _quantity(value, what="Количество"):
    number = parse_decimal(value, what)
    if number is not None and number < 0:
        raise DocumentError(_("%(what)s is negative: %(value)s.") % {"what": what, "value": number})
    return number


def _read_stocks(element, offer):
    # CommerceML 2.08-2.10: <Склад ИдСклада="..." КоличествоНаСкладе="..."/> right in the offer.
    for node in _children(element, "Склад"):
        warehouse = (node.get("ИдСклада") or "").strip()
        if warehouse:
            offer.stocks[warehouse] = _quantity(node.get("КоличествоНаСкладе") or "0", "КоличествоНаСкладе")
    # Newer files: Остатки/Остаток with Склад/Ид and Склад/Количество, or a bare Количество.
    for rest in _children(_child(element, "Остатки"), "Остаток"):
        warehouses = _children(rest, "Склад")
        for node in warehouses:
            offer.stocks[_text(node, "Ид")] = _quantity(_text(node, "Количество")) or Decimal(0)
        if not warehouses and _text(rest, "Количество"):
            offer.quantity = (offer.quantity or Decimal(0)) + _quantity(_text(rest, "Количество"))


def scan_file(path):
    """Check a whole file before any of it is applied; returns its ``Scan``.

    The encoding is checked against the declaration, then every element of
    interest is parsed (nothing is kept), so a truncated or hostile file fails
    here and changes nothing.
    """
    check_encoding(path)
    scan = Scan()
    for _item in iter_catalogue(path, start=float("inf"), scan=scan):
        pass
    return scan
