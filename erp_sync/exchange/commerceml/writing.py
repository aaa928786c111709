"""Writing CommerceML: the shop's orders and its info document, as 1C expects them."""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from erp_sync.exchange.commerceml.vocabulary import NAMESPACE, ORDER_OPERATION, ROOT, SELLER_ROLE


@dataclass
class Counterparty:
    id: str
    name: str
    first_name: str = ""
    last_name: str = ""
    address: str = ""
    email: str = ""
    phone: str = ""


@dataclass
class OrderLine:
    product_id: str
    name: str
    price: Decimal
    quantity: int
    amount: Decimal
    kind: str = "Товар"


@dataclass
class OrderDocument:
    """An order as the shop sends it."""

    id: str
    number: str
    placed_at: datetime.datetime
    currency: str
    total: Decimal
    counterparty: Counterparty
    lines: list
    discount: Decimal = Decimal("0.00")
    comment: str = ""
    requisites: list = field(default_factory=list)


def _money(value):
    return f"{Decimal(value):.2f}"


_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


_NEEDS_ESCAPING = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _escape(value):
    """Text fit for XML 1.0: markup escaped, characters XML cannot hold dropped."""
    value = str(value)
    if _NEEDS_ESCAPING.search(value) is None:
        return value  # the usual case, checked in one pass
    return escape(_INVALID_XML_CHARS.sub("", value))


class _Writer:
    """Appends escaped elements to a list of strings (several times faster than building a tree)."""

    def __init__(self):
        self.parts = []

    def open(self, name, **attrib):
        attrs = "".join(f" {key}={quoteattr(_INVALID_XML_CHARS.sub('', str(value)))}" for key, value in attrib.items())
        self.parts.append(f"<{name}{attrs}>")

    def close(self, name):
        self.parts.append(f"</{name}>")

    def leaf(self, name, text):
        self.parts.append(f"<{name}>{_escape(text)}</{name}>")

    def requisites(self, items):
        self.open("ЗначенияРеквизитов")
        for name, value in items:
            self.parts.append(
                f"<ЗначениеРеквизита><Наименование>{_escape(name)}</Наименование>"
                f"<Значение>{_escape(value)}</Значение></ЗначениеРеквизита>"
            )
        self.close("ЗначенияРеквизитов")


def document_xml(doc):
    """The ``Документ`` element for one order, as text (it takes the namespace of the root)."""
    w = _Writer()
    w.open("Документ")
    w.leaf("Ид", doc.id)
    w.leaf("Номер", doc.number)
    w.leaf("Дата", doc.placed_at.strftime("%Y-%m-%d"))
    w.leaf("Время", doc.placed_at.strftime("%H:%M:%S"))
    w.leaf("ХозОперация", ORDER_OPERATION)
    w.leaf("Роль", SELLER_ROLE)
    w.leaf("Валюта", doc.currency)
    w.leaf("Курс", "1")
    w.leaf("Сумма", _money(doc.total))
    cp = doc.counterparty
    w.open("Контрагенты")
    w.open("Контрагент")
    w.leaf("Ид", cp.id)
    w.leaf("Наименование", cp.name)
    w.leaf("Роль", "Покупатель")
    w.leaf("ПолноеНаименование", cp.name)
    if cp.last_name:
        w.leaf("Фамилия", cp.last_name)
    if cp.first_name:
        w.leaf("Имя", cp.first_name)
    if cp.address:
        w.open("АдресРегистрации")
        w.leaf("Представление", cp.address)
        w.close("АдресРегистрации")
    if cp.email or cp.phone:
        w.open("Контакты")
        for kind, value in (("Почта", cp.email), ("Телефон рабочий", cp.phone)):
            if value:
                w.open("Контакт")
                w.leaf("Тип", kind)
                w.leaf("Значение", value)
                w.close("Контакт")
        w.close("Контакты")
    w.close("Контрагент")
    w.close("Контрагенты")
    if doc.comment:
        w.leaf("Комментарий", doc.comment)
    w.open("Товары")
    for line in doc.lines:
        w.open("Товар")
        w.leaf("Ид", line.product_id)
        w.leaf("Наименование", line.name)
        w.parts.append(_UNIT)
        w.leaf("ЦенаЗаЕдиницу", _money(line.price))
        w.leaf("Количество", line.quantity)
        w.leaf("Сумма", _money(line.amount))
        w.requisites((("ВидНоменклатуры", line.kind), ("ТипНоменклатуры", line.kind)))
        w.close("Товар")
    w.close("Товары")
    if doc.discount:
        w.open("Скидки")
        w.open("Скидка")
        w.leaf("Наименование", "Скидка")
        w.leaf("Сумма", _money(doc.discount))
        w.leaf("УчтеноВСумме", "true")
        w.close("Скидка")
        w.close("Скидки")
    w.requisites(doc.requisites)
    w.close("Документ")
    return "".join(w.parts)


_UNIT = '<БазоваяЕдиница Код="796" НаименованиеПолное="Штука" МеждународноеСокращение="PCE">шт</БазоваяЕдиница>'


def write_orders(
    documents, *, encoding="windows-1251", namespace=None, schema_version="2.08", now=None, chunk_size=64 * 1024
):
    """Yield the bytes of a ``КоммерческаяИнформация`` holding ``documents``, one document at a time.

    Characters the encoding lacks are written as character references, so the
    declared encoding is always the real one.
    """
    now = now or datetime.datetime.now()
    xmlns = f' xmlns="{NAMESPACE}"' if namespace else ""
    head = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        f'<{ROOT}{xmlns} ВерсияСхемы="{schema_version}" ДатаФормирования="{now:%Y-%m-%dT%H:%M:%S}">\n'
    )
    buffer, size = [head], len(head)
    for doc in documents:
        text = document_xml(doc) + "\n"
        buffer.append(text)
        size += len(text)
        if size >= chunk_size:
            # Characters the encoding lacks become character references: still the declared encoding.
            yield "".join(buffer).encode(encoding, errors="xmlcharrefreplace")
            buffer, size = [], 0
    buffer.append(f"</{ROOT}>\n")
    yield "".join(buffer).encode(encoding, errors="xmlcharrefreplace")


def info_document(statuses, payment_methods, delivery_methods, *, encoding="windows-1251"):
    """The reply to ``mode=info``: the shop's order statuses, payment and delivery methods."""
    root = etree.Element("Справочник")
    for group, items in (
        ("Статусы", statuses),
        ("ПлатежныеСистемы", payment_methods),
        ("СлужбыДоставки", delivery_methods),
    ):
        node = etree.SubElement(root, group)
        for code, name in items:
            item = etree.SubElement(node, "Элемент")
            etree.SubElement(item, "Ид").text = str(code)
            etree.SubElement(item, "Название").text = str(name)
    return etree.tostring(root, encoding=encoding, xml_declaration=True)
