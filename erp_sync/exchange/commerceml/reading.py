"""Reading CommerceML: streaming and hardened, bytes in, dataclasses out.

No DTD, no entities, no network, no huge trees; the encoding a file declares
must be the one it is written in. Elements are matched by local name, so files
with and without ``xmlns="urn:1C.ru:commerceml_2"`` read alike.
"""

import codecs
import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from lxml import etree

from erp_sync.exchange.commerceml.vocabulary import (
    DELIVERY_ID,
    FALSE_WORDS,
    ORDER_OPERATION,
    ROOT,
    SELLER_ROLE,
    SUPPORTED_ENCODINGS,
    TRUE_WORDS,
)

_DECLARATION = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
# An XML declaration may hold any amount of whitespace; past this it is not a declaration but an attack.
MAX_DECLARATION_BYTES = 64 * 1024


class CommerceMLError(Exception):
    """The file cannot be read at all (not XML, lying encoding, a DTD, truncated)."""


class DocumentError(Exception):
    """One document cannot be applied (a bad amount or date); the others can."""


@dataclass(frozen=True)
class Limits:
    """What the shop can store: a longer text or a larger number fails its document alone.

    ``text`` maps an ``ErpDocument`` attribute to its longest length; amounts
    must fit a decimal of ``max_digits`` digits, ``decimal_places`` of them
    after the point. The defaults are the exchange models' own fields.
    """

    text: dict = field(
        default_factory=lambda: {
            "version": 64,
            "erp_number": 64,
            "payment_number": 64,
            "shipment_number": 64,
            "status": 128,
            "store_id": 58,
        }
    )
    max_digits: int = 14
    decimal_places: int = 2

    @property
    def largest_amount(self):
        return Decimal(10) ** (self.max_digits - self.decimal_places)


#: The 1C names of the texts ``Limits`` bounds, for the error a person reads.
TEXT_LABELS = {
    "version": "НомерВерсии",
    "erp_number": "Номер по 1С",
    "payment_number": "Номер оплаты по 1С",
    "shipment_number": "Номер отгрузки по 1С",
    "status": "Статус заказа",
    "store_id": "Магазин",
}


# --- Reading ------------------------------------------------------------------


@dataclass
class ErpLine:
    product_id: str
    name: str
    price: Decimal | None
    quantity: Decimal | None
    amount: Decimal | None

    @property
    def is_delivery(self):
        return self.product_id == DELIVERY_ID


@dataclass
class ErpDocument:
    """An order document as the accounting system sends it back."""

    position: int
    document_id: str = ""
    number: str = ""
    operation: str = ""
    role: str = ""
    version: str = ""
    erp_number: str = ""
    erp_date: datetime.datetime | None = None
    deletion_mark: bool = False
    posted: bool = False
    cancelled: bool = False
    total: Decimal | None = None
    payment_number: str = ""
    paid_at: datetime.datetime | None = None
    shipment_number: str = ""
    shipped_at: datetime.datetime | None = None
    status: str = ""
    # The store (point of sale) the sale was made at, from a requisite the shop names.
    store_id: str = ""
    lines: list = field(default_factory=list)
    requisites: dict = field(default_factory=dict)
    error: str = ""

    @property
    def is_order(self):
        return (not self.operation or self.operation == ORDER_OPERATION) and (not self.role or self.role == SELLER_ROLE)

    @property
    def goods_total(self):
        goods = [line.amount for line in self.lines if not line.is_delivery]
        return sum(goods, Decimal("0.00")) if goods else None


def declared_encoding(head):
    """The encoding ``head`` (the file's first bytes) declares; a BOM means UTF-8; none means UTF-8."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", True
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise CommerceMLError(_("UTF-16 files are not accepted: send UTF-8 or windows-1251."))
    match = _DECLARATION.match(head.lstrip())
    name = match.group(1).decode("ascii").lower() if match else "utf-8"
    if name not in SUPPORTED_ENCODINGS:
        raise CommerceMLError(_("Unsupported encoding %(encoding)s: send UTF-8 or windows-1251.") % {"encoding": name})
    return SUPPORTED_ENCODINGS[name], False


def read_declaration(handle):
    """The file's first bytes, up to the end of its XML declaration if it has one (a BOM included).

    The declaration is read whole, however much whitespace it holds, so the
    encoding it names is never missed; one that does not end within
    ``MAX_DECLARATION_BYTES`` is refused.
    """
    head = handle.read(512)
    start = head[3:] if head.startswith(codecs.BOM_UTF8) else head
    if not start.lstrip().startswith(b"<?xml"):
        return head
    while b"?>" not in head:
        if len(head) >= MAX_DECLARATION_BYTES:
            raise CommerceMLError(
                _("The XML declaration does not end within the first %(limit)s bytes.")
                % {"limit": MAX_DECLARATION_BYTES}
            )
        block = handle.read(4096)
        if not block:
            raise CommerceMLError(_("The file ends inside its XML declaration."))
        head += block
    return head[: head.index(b"?>") + 2]


def check_encoding(path, *, chunk_size=1024 * 1024):
    """Refuse a file whose bytes are not in the encoding it declares.

    A windows-1251 declaration over UTF-8 text is the usual lie (a tool
    re-encoded the file and kept the header): Cyrillic in UTF-8 is valid
    windows-1251 byte-wise, so it is recognised by being valid UTF-8 with
    multi-byte sequences, which real windows-1251 text practically never is.
    """
    with open(path, "rb") as handle:
        encoding, _bom = declared_encoding(read_declaration(handle))
        handle.seek(0)
        strict = codecs.getincrementaldecoder(encoding)("strict")
        utf8 = codecs.getincrementaldecoder("utf-8")("strict") if encoding != "utf-8" else None
        utf8_valid, multibyte = True, False
        label = "windows-1251" if encoding == "cp1251" else encoding
        lie = _("The file declares %(encoding)s but is written in UTF-8.") % {"encoding": label}
        while chunk := handle.read(chunk_size):
            if utf8 is not None and utf8_valid:
                try:
                    utf8.decode(chunk)
                    multibyte = multibyte or any(byte >= 0x80 for byte in chunk)
                except UnicodeDecodeError:
                    utf8_valid = False
            try:
                strict.decode(chunk)
            except UnicodeDecodeError as error:
                if utf8 is not None and utf8_valid and multibyte:
                    raise CommerceMLError(lie) from error
                raise CommerceMLError(
                    _("The file declares %(encoding)s but is not written in it (byte %(position)s).")
                    % {"encoding": label, "position": error.start}
                ) from error
        try:
            strict.decode(b"", final=True)
        except UnicodeDecodeError as error:
            raise CommerceMLError(_("The file ends in the middle of a character.")) from error
        if utf8 is not None and utf8_valid and multibyte:
            raise CommerceMLError(lie)
    return encoding


def _parser_options():
    return {
        "resolve_entities": False,
        "no_network": True,
        "load_dtd": False,
        "huge_tree": False,
        "dtd_validation": False,
        "remove_comments": True,
        "remove_pis": True,
    }


def _local(tag):
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def iter_document_elements(path):
    """Yield each ``Документ`` element of the file, cleared after use (memory stays flat).

    Raises ``CommerceMLError`` on a DTD, an entity, a wrong root or broken XML.
    """
    with open(path, "rb") as handle:
        yield from _iter_document_elements(handle)


def _iter_document_elements(handle):
    context = etree.iterparse(handle, events=("start", "end"), **_parser_options())
    depth = 0
    root_checked = False
    try:
        for event, element in context:
            if event == "start":
                if not root_checked:
                    root_checked = True
                    docinfo = element.getroottree().docinfo
                    if docinfo.doctype or docinfo.internalDTD is not None:
                        raise CommerceMLError(_("Files with a DTD (DOCTYPE) are not accepted."))
                    if _local(element.tag) != ROOT:
                        raise CommerceMLError(
                            _("The root element must be %(root)s, not %(tag)s.")
                            % {"root": ROOT, "tag": _local(element.tag)}
                        )
                if _local(element.tag) == "Документ":
                    depth += 1
                continue
            if isinstance(element, etree._Entity) or element.tag is etree.Entity:
                raise CommerceMLError(_("Files with entities are not accepted."))
            if _local(element.tag) == "Документ":
                depth -= 1
                if depth == 0:
                    yield element
                    element.clear(keep_tail=False)
                    parent = element.getparent()
                    while parent is not None and element.getprevious() is not None:
                        del parent[0]
    except etree.XMLSyntaxError as error:
        raise CommerceMLError(_("The file is not well-formed XML: %(error)s") % {"error": error}) from error
    if not root_checked:
        raise CommerceMLError(_("The file is empty."))


class _RootDepth:
    """An lxml parser target that only follows how deep the parser is: no tree is built."""

    def __init__(self):
        self.depth, self.closed = 0, False

    def start(self, tag, attrib):
        self.depth += 1

    def end(self, tag):
        self.depth -= 1
        self.closed = self.closed or self.depth == 0

    def data(self, data):
        pass

    def close(self):
        return self.closed


COMPLETE, INCOMPLETE, BROKEN = "complete", "incomplete", "broken"


def upload_state(path, *, chunk_size=1024 * 1024):
    """Whether the bytes received so far are a whole XML document.

    ``COMPLETE``: the root element closed; ``INCOMPLETE``: well-formed so far
    but the root is still open (more chunks are to come; a chunk may even end
    inside a character); ``BROKEN``: not well-formed already, so waiting for
    more cannot help. Nothing is resolved or fetched, and no tree is kept.
    """
    target = _RootDepth()
    parser = etree.XMLParser(target=target, **_parser_options())
    try:
        with open(path, "rb") as handle:
            while not target.closed and (block := handle.read(chunk_size)):
                parser.feed(block)
    except etree.XMLSyntaxError:
        return BROKEN
    return COMPLETE if target.closed else INCOMPLETE


def validate(path):
    """Check the whole file before anything is applied; returns the number of order documents.

    A truncated or otherwise broken file fails here, so nothing of it is written.
    """
    check_encoding(path)
    count = 0
    for element in iter_document_elements(path):
        _check_no_entities(element)
        count += 1
    return count


def _check_no_entities(element):
    for node in element.iter():
        if isinstance(node, etree._Entity):
            raise CommerceMLError(_("Files with entities are not accepted."))


def iter_documents(path, *, start=0, limits=None, store_requisites=()):
    """Yield ``ErpDocument`` for each document from position ``start`` on."""
    for position, element in enumerate(iter_document_elements(path)):
        if position < start:
            continue
        yield read_document(element, position, limits=limits, store_requisites=store_requisites)


def _children(element, name):
    return [child for child in element if _local(child.tag) == name]


def _child(element, name):
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _text(element, name):
    child = _child(element, name)
    if child is None:
        return ""
    if any(isinstance(node, etree._Entity) for node in child.iter()):
        raise CommerceMLError(_("Files with entities are not accepted."))
    return (child.text or "").strip()


#: No amount, price or quantity the shop stores comes near this. Refusing larger numbers as they are read
#: keeps every sum and rounding of the values that pass within ``Decimal``'s default 28 digits, so an
#: absurd value (``1E+1000000``) fails its own document or offer instead of raising in the arithmetic.
LARGEST_NUMBER = Decimal(10) ** 18


def parse_decimal(value, what):
    if value in ("", None):
        return None
    try:
        number = Decimal(value.replace("\u00a0", "").replace(" ", "").replace(",", "."))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise DocumentError(_("%(what)s is not a number: %(value)r.") % {"what": what, "value": value})
    if number.copy_abs() >= LARGEST_NUMBER:  # abs() would round, and overflow past the context
        raise DocumentError(
            _("%(what)s %(value)s is out of the range the shop stores.") % {"what": what, "value": value[:80]}
        )
    return number


def parse_bool(value):
    word = (value or "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise DocumentError(_("Not a yes/no value: %(value)r.") % {"value": value})


_DATE_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%d.%m.%Y %H:%M:%S", "%Y-%m-%d", "%d.%m.%Y")


def parse_datetime(value, what, time=""):
    value = (value or "").strip()
    if not value or value.startswith("0001-01-01"):
        return None
    if time:
        value = f"{value}T{time.strip()}"
    for fmt in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(value, fmt)
        except ValueError:
            continue
    raise DocumentError(_("%(what)s is not a date: %(value)r.") % {"what": what, "value": value})


def _check_limits(doc, limits):
    for name, longest in limits.text.items():
        value = getattr(doc, name)
        if longest is not None and len(value) > longest:
            raise DocumentError(
                _("%(what)s is longer than the %(limit)s characters the shop stores (%(length)s): %(value)s")
                % {"what": TEXT_LABELS.get(name, name), "limit": longest, "length": len(value), "value": value[:80]}
            )
    amounts = [("Сумма", doc.total), ("Сумма", doc.goods_total)]
    for line in doc.lines:
        amounts += [("ЦенаЗаЕдиницу", line.price), ("Количество", line.quantity), ("Сумма", line.amount)]
    for what, value in amounts:
        if value is not None and abs(value) >= limits.largest_amount:
            raise DocumentError(
                _("%(what)s %(value)s is out of the range the shop stores (less than %(limit)s).")
                % {"what": what, "value": value, "limit": limits.largest_amount}
            )


def read_document(element, position, *, limits=None, store_requisites=()):
    """One ``Документ`` element as an ``ErpDocument``; a bad value is recorded in ``error``.

    Values the shop cannot store (``limits``, by default the exchange
    models' fields) are bad values too: they fail this document, not the file.
    ``store_requisites`` are the names of requisites that may name the store
    the sale was made at; the first one present and not empty is the store.
    """
    limits = limits or Limits()
    doc = ErpDocument(position=position)
    doc.document_id = _text(element, "Ид")
    doc.number = _text(element, "Номер")
    doc.operation = _text(element, "ХозОперация")
    doc.role = _text(element, "Роль")
    doc.version = _text(element, "НомерВерсии")
    try:
        doc.deletion_mark = parse_bool(_text(element, "ПометкаУдаления"))
        doc.erp_number = _text(element, "Номер1С")
        doc.erp_date = parse_datetime(_text(element, "Дата1С"), "Дата1С", _text(element, "Время1С"))
        doc.total = parse_decimal(_text(element, "Сумма"), "Сумма")
        goods = _child(element, "Товары")
        for item in _children(goods, "Товар") if goods is not None else []:
            doc.lines.append(
                ErpLine(
                    product_id=_text(item, "Ид"),
                    name=_text(item, "Наименование"),
                    price=parse_decimal(_text(item, "ЦенаЗаЕдиницу"), "ЦенаЗаЕдиницу"),
                    quantity=parse_decimal(_text(item, "Количество"), "Количество"),
                    amount=parse_decimal(_text(item, "Сумма"), "Сумма"),
                )
            )
        requisites = _child(element, "ЗначенияРеквизитов")
        for requisite in _children(requisites, "ЗначениеРеквизита") if requisites is not None else []:
            doc.requisites[_text(requisite, "Наименование")] = _text(requisite, "Значение")
        req = doc.requisites
        # Some exporters send the deletion mark as a requisite rather than as the document's own element.
        doc.deletion_mark = doc.deletion_mark or parse_bool(req.get("ПометкаУдаления", ""))
        doc.posted = parse_bool(req.get("Проведен", ""))
        doc.cancelled = parse_bool(req.get("Отменен", ""))
        doc.erp_number = doc.erp_number or req.get("Номер по 1С", "")
        doc.erp_date = doc.erp_date or parse_datetime(req.get("Дата по 1С", ""), "Дата по 1С")
        doc.payment_number = req.get("Номер оплаты по 1С", "")
        doc.paid_at = parse_datetime(req.get("Дата оплаты по 1С", ""), "Дата оплаты по 1С")
        doc.shipment_number = req.get("Номер отгрузки по 1С", "")
        doc.shipped_at = parse_datetime(req.get("Дата отгрузки по 1С", ""), "Дата отгрузки по 1С")
        doc.status = req.get("Статуса заказа ИД", "") or req.get("Статус заказа", "")
        doc.store_id = next((req[name].strip() for name in store_requisites if (req.get(name) or "").strip()), "")
        for line in doc.lines:
            if line.amount is not None and line.amount < 0 or line.quantity is not None and line.quantity < 0:
                raise DocumentError(_("A line of %(id)s has a negative amount.") % {"id": line.product_id})
        _check_limits(doc, limits)
    except DocumentError as error:
        doc.error = str(error)
    return doc


def version_key(version):
    """An orderable form of a document version, or None when versions cannot be ordered.

    1C's ``НомерВерсии`` is either a number or the base64 of a big-endian
    counter (e.g. ``AAAAAQAAAAE=``); both order as integers.
    """
    import base64
    import binascii

    version = (version or "").strip()
    if not version:
        return None
    if version.isdigit():
        return int(version)
    try:
        raw = base64.b64decode(version, validate=True)
    except (binascii.Error, ValueError):
        return None
    return int.from_bytes(raw, "big") if raw else None


def is_stale(new, applied):
    """Whether a document of version ``new`` must be ignored after ``applied`` was applied."""
    if not applied or not new:
        return False
    if new == applied:
        return True
    new_key, applied_key = version_key(new), version_key(applied)
    if new_key is None or applied_key is None:
        return False
    return new_key <= applied_key
