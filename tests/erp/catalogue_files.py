"""CommerceML catalogue files as 1C writes them, built from plain tuples (no fixture files to drift).

``import_xml`` and ``offers_xml`` take the classifier's groups, the
products and the offers, and write them the way a given schema version
does: 2.03-2.10 plain, 3.1 wrapped in ``Контейнер``, with or without the
namespace, in UTF-8 (with or without BOM) or windows-1251.
"""

import codecs
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

CLASSIFIER_ID = "8b7c1d2e-0000-4000-8000-000000000001"
CATALOGUE_ID = CLASSIFIER_ID + "#"
RETAIL = "b0c8a1f4-1111-4000-8000-000000000001"
WHOLESALE = "b0c8a1f4-1111-4000-8000-000000000002"
MAIN_STORE = "c5d2f0a9-2222-4000-8000-000000000001"
SHOWROOM = "c5d2f0a9-2222-4000-8000-000000000002"
MARGIN_PROPERTY = "d4e5f6a7-3333-4000-8000-000000000001"
#: A small classifier: accessories with lights and locks under them.
GROUPS_3 = [("g3-acc", "Аксессуары", ""), ("g3-lights", "Фонари", "g3-acc"), ("g3-locks", "Замки", "g3-acc")]


@dataclass
class Item:
    erp_id: str
    name: str
    group: str = ""
    article: str = ""
    barcode: str = ""
    description: str = ""
    margin: str = ""
    margin_as_property: bool = False
    kind: str = ""
    images: tuple = ()
    extra: str = ""  # raw XML added inside the Товар
    vat: str | None = "20"  # СтавкиНалогов' НДС (None: not sent)


@dataclass
class OfferRow:
    erp_id: str
    name: str = ""
    retail: str | None = "1000"
    wholesale: str | None = None
    quantity: str | None = "5"
    stores: dict = field(default_factory=dict)  # warehouse id → quantity (Остатки)
    characteristics: dict = field(default_factory=dict)


def _head(version, namespace, encoding, bom):
    ns = {"": "", "2": ' xmlns="urn:1C.ru:commerceml_2"', "3": ' xmlns="urn:1C.ru:commerceml_3"'}[namespace]
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        f'<КоммерческаяИнформация{ns} xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ВерсияСхемы="{version}" '
        f'ДатаФормирования="2026-11-30T18:04:12">\n'
    ), bom


def _encode(text, encoding, bom):
    data = text.encode("cp1251" if encoding == "windows-1251" else "utf-8")
    return (codecs.BOM_UTF8 + data) if bom and encoding == "utf-8" else data


def _groups(groups, parent=""):
    parts = []
    children = [(gid, name) for gid, name, par in groups if par == parent]
    if not children:
        return ""
    parts.append("<Группы>")
    for gid, name in children:
        parts.append(f"<Группа><Ид>{gid}</Ид><Наименование>{escape(name)}</Наименование>")
        parts.append(_groups(groups, gid))
        parts.append("</Группа>")
    parts.append("</Группы>")
    return "".join(parts)


def import_xml(
    groups,
    items,
    *,
    full=True,
    version="2.08",
    namespace="",
    encoding="utf-8",
    bom=False,
    full_as_element=False,
):
    """``import.xml``: ``groups`` as (Ид, name, parent Ид) tuples, ``items`` as ``Item``."""
    head, bom = _head(version, namespace, encoding, bom)
    container = version.startswith("3")
    parts = [head]
    if container:
        parts.append("<Контейнер>")
    parts.append(
        f"<Классификатор><Ид>{CLASSIFIER_ID}</Ид><Наименование>Классификатор (Основной каталог товаров)</Наименование>"
        "<Владелец><Ид>e1f2a3b4-0000-4000-8000-00000000000a</Ид><Наименование>ВелоСклад</Наименование>"
        '<ОфициальноеНаименование>ООО "ВелоСклад"</ОфициальноеНаименование><ИНН>7701234567</ИНН></Владелец>'
    )
    parts.append(_groups(groups))
    parts.append(
        "<Свойства>"
        f"<Свойство><Ид>{MARGIN_PROPERTY}</Ид><Наименование>ГруппаМаржинальности</Наименование>"
        "<ТипЗначений>Справочник</ТипЗначений><ВариантыЗначений>"
        "<Справочник><ИдЗначения>m-high</ИдЗначения><Значение>high</Значение></Справочник>"
        "<Справочник><ИдЗначения>m-low</ИдЗначения><Значение>low</Значение></Справочник>"
        "</ВариантыЗначений></Свойство>"
        "<Свойство><Ид>prop-brand</Ид><Наименование>Производитель</Наименование><ТипЗначений>Строка</ТипЗначений></Свойство>"
        "</Свойства>"
    )
    if container:
        parts.append(
            f"<ТипыЦен><ТипЦены><Ид>{RETAIL}</Ид><Наименование>Розничная</Наименование><Валюта>RUB</Валюта>"
            "<Налог><Наименование>НДС</Наименование><УчтеноВСумме>true</УчтеноВСумме><Акциз>false</Акциз></Налог>"
            "</ТипЦены></ТипыЦен>"
            f"<Склады><Склад><Ид>{MAIN_STORE}</Ид><Наименование>Основной склад</Наименование></Склад></Склады>"
        )
    parts.append("</Классификатор>")
    flag = "false" if full else "true"
    if full_as_element:
        parts.append(f"<Каталог><СодержитТолькоИзменения>{flag}</СодержитТолькоИзменения>")
    else:
        parts.append(f'<Каталог СодержитТолькоИзменения="{flag}">')
    parts.append(
        f"<Ид>{CATALOGUE_ID}</Ид><ИдКлассификатора>{CLASSIFIER_ID}</ИдКлассификатора>"
        "<Наименование>Основной каталог товаров</Наименование><Товары>"
    )
    for item in items:
        parts.append(_product(item))
    parts.append("</Товары></Каталог>")
    if container:
        parts.append("</Контейнер>")
    parts.append("</КоммерческаяИнформация>\n")
    return _encode("".join(parts), encoding, bom)


def _product(item):
    requisites = [
        ("ВидНоменклатуры", item.kind or "Товар"),
        ("ТипНоменклатуры", "Товар"),
        ("Полное наименование", item.name),
    ]
    if item.margin and not item.margin_as_property:
        requisites.append(("ГруппаМаржинальности", item.margin))
    parts = [f"<Товар><Ид>{item.erp_id}</Ид>"]
    if item.barcode:
        parts.append(f"<Штрихкод>{escape(item.barcode)}</Штрихкод>")
    parts.append(f"<Артикул>{escape(item.article)}</Артикул><Наименование>{escape(item.name)}</Наименование>")
    parts.append(
        '<БазоваяЕдиница Код="796 " НаименованиеПолное="Штука" МеждународноеСокращение="PCE">шт</БазоваяЕдиница>'
    )
    if item.group:
        parts.append(f"<Группы><Ид>{item.group}</Ид></Группы>")
    if item.description:
        parts.append(f"<Описание>{escape(item.description)}</Описание>")
    for image in item.images:
        parts.append(f"<Картинка>{image}</Картинка>")
    parts.append("<ЗначенияСвойств>")
    if item.margin and item.margin_as_property:
        parts.append(
            f"<ЗначенияСвойства><Ид>{MARGIN_PROPERTY}</Ид><Значение>m-{item.margin}</Значение></ЗначенияСвойства>"
        )
    parts.append("<ЗначенияСвойства><Ид>prop-brand</Ид><Значение>Volna</Значение></ЗначенияСвойства>")
    parts.append("</ЗначенияСвойств>")
    if item.vat is not None:
        parts.append(
            "<СтавкиНалогов><СтавкаНалога><Наименование>НДС</Наименование>"
            f"<Ставка>{escape(item.vat)}</Ставка></СтавкаНалога></СтавкиНалогов>"
        )
    parts.append("<ЗначенияРеквизитов>")
    for name, value in requisites:
        parts.append(
            f"<ЗначениеРеквизита><Наименование>{name}</Наименование><Значение>{escape(value)}</Значение></ЗначениеРеквизита>"
        )
    parts.append("</ЗначенияРеквизитов>")
    parts.append(item.extra)
    parts.append("</Товар>")
    return "".join(parts)


def offers_xml(
    offers,
    *,
    full=True,
    version="2.08",
    namespace="",
    encoding="utf-8",
    bom=False,
    declare_price_types=True,
    warehouses=(),
):
    """``offers.xml`` (or, with only prices or only quantities, a prices or rests file)."""
    head, bom = _head(version, namespace, encoding, bom)
    container = version.startswith("3")
    flag = "false" if full else "true"
    parts = [head]
    if container:
        parts.append("<Контейнер>")
    parts.append(
        f'<ПакетПредложений СодержитТолькоИзменения="{flag}"><Ид>{CATALOGUE_ID}</Ид>'
        "<Наименование>Пакет предложений (Основной каталог товаров)</Наименование>"
        f"<ИдКаталога>{CATALOGUE_ID}</ИдКаталога><ИдКлассификатора>{CLASSIFIER_ID}</ИдКлассификатора>"
    )
    if declare_price_types:
        parts.append(
            "<ТипыЦен>"
            f"<ТипЦены><Ид>{RETAIL}</Ид><Наименование>Розничная</Наименование><Валюта>руб</Валюта>"
            "<Налог><Наименование>НДС</Наименование><УчтеноВСумме>true</УчтеноВСумме></Налог></ТипЦены>"
            f"<ТипЦены><Ид>{WHOLESALE}</Ид><Наименование>Оптовая</Наименование><Валюта>RUB</Валюта>"
            "<Налог><Наименование>НДС</Наименование><УчтеноВСумме>false</УчтеноВСумме></Налог></ТипЦены>"
            "</ТипыЦен>"
        )
    if warehouses:
        parts.append("<Склады>")
        for wid, name in warehouses:
            parts.append(f"<Склад><Ид>{wid}</Ид><Наименование>{escape(name)}</Наименование></Склад>")
        parts.append("</Склады>")
    parts.append("<Предложения>")
    for offer in offers:
        parts.append(_offer(offer))
    parts.append("</Предложения></ПакетПредложений>")
    if container:
        parts.append("</Контейнер>")
    parts.append("</КоммерческаяИнформация>\n")
    return _encode("".join(parts), encoding, bom)


def _offer(offer):
    parts = [f"<Предложение><Ид>{offer.erp_id}</Ид>"]
    if offer.name:
        parts.append(f"<Наименование>{escape(offer.name)}</Наименование>")
    parts.append(
        '<БазоваяЕдиница Код="796" НаименованиеПолное="Штука" МеждународноеСокращение="PCE">шт</БазоваяЕдиница>'
    )
    if offer.characteristics:
        parts.append("<ХарактеристикиТовара>")
        for name, value in offer.characteristics.items():
            parts.append(
                f"<ХарактеристикаТовара><Наименование>{escape(name)}</Наименование>"
                f"<Значение>{escape(value)}</Значение></ХарактеристикаТовара>"
            )
        parts.append("</ХарактеристикиТовара>")
    prices = [(WHOLESALE, offer.wholesale, "Оптовая"), (RETAIL, offer.retail, "Розничная")]
    if any(value is not None for _id, value, _label in prices):
        parts.append("<Цены>")
        for price_type, value, _label in prices:
            if value is not None:
                parts.append(
                    f"<Цена><Представление>{escape(str(value))} RUB за шт</Представление>"
                    f"<ИдТипаЦены>{price_type}</ИдТипаЦены>"
                    f"<ЦенаЗаЕдиницу>{escape(str(value))}</ЦенаЗаЕдиницу><Валюта>RUB</Валюта><Единица>шт</Единица>"
                    "<Коэффициент>1</Коэффициент></Цена>"
                )
        parts.append("</Цены>")
    if offer.quantity is not None:
        parts.append(f"<Количество>{offer.quantity}</Количество>")
    if offer.stores:
        parts.append("<Остатки>")
        for store, quantity in offer.stores.items():
            parts.append(f"<Остаток><Склад><Ид>{store}</Ид><Количество>{quantity}</Количество></Склад></Остаток>")
        parts.append("</Остатки>")
    parts.append("</Предложение>")
    return "".join(parts)
