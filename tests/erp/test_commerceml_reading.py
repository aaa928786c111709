"""Reading CommerceML, pure (no database): whether an upload is whole, the declaration, the shop's limits."""

import io
from decimal import Decimal

import pytest
from lxml import etree

from erp_sync.client import answer_documents
from erp_sync.exchange import commerceml

WHOLE = answer_documents(["100001", "100002"], version=1, paid=True)


@pytest.mark.parametrize(
    ("data", "state"),
    [
        (WHOLE, commerceml.COMPLETE),
        (WHOLE + b"\r\n", commerceml.COMPLETE),
        (WHOLE[:-40], commerceml.INCOMPLETE),
        (WHOLE[:30], commerceml.INCOMPLETE),
        (answer_documents(["1"], encoding="utf-8")[:120], commerceml.INCOMPLETE),
        (b"", commerceml.INCOMPLETE),
        (b"this is not xml", commerceml.BROKEN),
        (b'<?xml version="1.0"?><a><b></a>', commerceml.BROKEN),
        (WHOLE[:200] + b"</Wrong>" + WHOLE[200:], commerceml.BROKEN),
    ],
)
def test_whether_an_upload_is_whole(tmp_path, data, state):
    path = tmp_path / "orders.xml"
    path.write_bytes(data)
    assert commerceml.upload_state(path) == state


def test_an_upload_cut_inside_any_character_is_never_broken(tmp_path):
    data = answer_documents(["100001"], encoding="utf-8")
    path = tmp_path / "orders.xml"
    for cut in range(1, len(data.rstrip())):  # until the root closes
        path.write_bytes(data[:cut])
        assert commerceml.upload_state(path) == commerceml.INCOMPLETE, cut


@pytest.mark.parametrize(
    ("head", "encoding"),
    [
        (b'<?xml version="1.0" encoding="windows-1251"?><a/>', "cp1251"),
        (b'<?xml version="1.0"' + b" " * 5000 + b'encoding="windows-1251"?><a/>', "cp1251"),
        (b'<?xml version="1.0"\r\n\tencoding="WINDOWS-1251"\r\n\tstandalone="yes"?>', "cp1251"),
        (b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?><a/>', "utf-8"),
        (b"<a/>", "utf-8"),
    ],
)
def test_the_declared_encoding_is_read_from_the_whole_declaration(head, encoding):
    assert commerceml.declared_encoding(commerceml.read_declaration(io.BytesIO(head)))[0] == encoding


def document(requisites="", amount="100.00"):
    xml = (
        "<Документ><Ид>1</Ид><Товары><Товар><Ид>x</Ид><Сумма>"
        + amount
        + "</Сумма></Товар></Товары><ЗначенияРеквизитов>"
        + requisites
        + "</ЗначенияРеквизитов></Документ>"
    )
    return commerceml.read_document(etree.fromstring(xml), 0)


def requisite(name, value):
    return f"<ЗначениеРеквизита><Наименование>{name}</Наименование><Значение>{value}</Значение></ЗначениеРеквизита>"


@pytest.mark.parametrize(
    ("name", "length", "fails"),
    [
        ("Номер оплаты по 1С", 64, False),
        ("Номер оплаты по 1С", 65, True),
        ("Номер отгрузки по 1С", 70, True),
        ("Номер по 1С", 70, True),
        ("Статус заказа", 128, False),
        ("Статус заказа", 129, True),
    ],
)
def test_texts_longer_than_the_shop_stores_fail_the_document(name, length, fails):
    doc = document(requisite(name, "Щ" * length))
    assert bool(doc.error) is fails
    if fails:
        assert name in doc.error


@pytest.mark.parametrize(
    ("amount", "fails"),
    [("999999999999.99", False), ("1000000000000.00", True), ("1E+15", True), ("-1E+15", True)],
)
def test_amounts_out_of_the_shops_range_fail_the_document(amount, fails):
    assert bool(document(amount=amount).error) is fails


@pytest.mark.parametrize("amount", ["1E+30", "1E+1000000", "-1E+1000000", "9" * 400])
@pytest.mark.parametrize("where", ["line", "total"])
def test_numbers_far_beyond_any_the_shop_stores_fail_the_document_not_the_file(amount, where):
    doc = document(amount=amount) if where == "line" else total_document(amount)
    assert "out of the range the shop stores" in doc.error


def test_many_lines_near_the_limit_add_up_to_a_total_out_of_range_not_to_an_error():
    lines = "".join(f"<Товар><Ид>{i}</Ид><Сумма>999999999999.99</Сумма></Товар>" for i in range(2000))
    doc = commerceml.read_document(etree.fromstring(f"<Документ><Ид>1</Ид><Товары>{lines}</Товары></Документ>"), 0)
    assert "out of the range the shop stores" in doc.error


def total_document(amount):
    return commerceml.read_document(etree.fromstring(f"<Документ><Ид>1</Ид><Сумма>{amount}</Сумма></Документ>"), 0)


@pytest.mark.parametrize(
    ("element", "requisite_value", "marked"),
    [("true", None, True), (None, "true", True), (None, "Да", True), (None, "false", False), ("false", None, False)],
)
def test_a_deletion_mark_is_read_from_the_element_or_from_a_requisite(element, requisite_value, marked):
    xml = "<Документ><Ид>1</Ид>"
    if element is not None:
        xml += f"<ПометкаУдаления>{element}</ПометкаУдаления>"
    if requisite_value is not None:
        xml += f"<ЗначенияРеквизитов>{requisite('ПометкаУдаления', requisite_value)}</ЗначенияРеквизитов>"
    doc = commerceml.read_document(etree.fromstring(xml + "</Документ>"), 0)
    assert (doc.error, doc.deletion_mark) == ("", marked)


def test_limits_can_be_the_shops_own():
    limits = commerceml.Limits(text={"payment_number": 10}, max_digits=6, decimal_places=2)
    element = etree.fromstring(
        "<Документ><Ид>1</Ид><Сумма>9999.99</Сумма><ЗначенияРеквизитов>"
        + requisite("Номер оплаты по 1С", "0123456789")
        + "</ЗначенияРеквизитов></Документ>"
    )
    doc = commerceml.read_document(element, 0, limits=limits)
    assert (doc.error, doc.total) == ("", Decimal("9999.99"))
