"""A documents file as 1C:Enterprise ("Обмен с сайтом", CommerceML 2.08) writes it, sent over real HTTP.

Not the shop's own ``answer_documents``: the namespace and schema attributes
1C declares, GUIDs for counterparties and products, a unit code with a
trailing space, requisites in 1C's spelling and date formats, and what turns
up in files from other shops: a document for an order this shop never had,
and a payment number longer than the shop stores.
"""

import pytest
from oscar.core.loading import get_model

from tests.earning.factories import order_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

OrderErpState = get_model("erp_sync", "OrderErpState")
ExchangeDocument = get_model("erp_sync", "ExchangeDocument")
ExchangeEvent = get_model("erp_sync", "ExchangeEvent")
Lot = get_model("oscar_loyalty", "Lot")

HEAD = (
    '<?xml version="1.0" encoding="windows-1251"?>\r\n'
    '<КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_2" xmlns:xs="http://www.w3.org/2001/XMLSchema" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ВерсияСхемы="2.08" '
    'ДатаФормирования="2026-12-01T10:15:42">\r\n'
)

DOCUMENT = """\t<Документ>
\t\t<Ид>{number}</Ид>
\t\t<НомерВерсии>AAAAAQAAAA{version}=</НомерВерсии>
\t\t<ПометкаУдаления>false</ПометкаУдаления>
\t\t<Номер>{number}</Номер>
\t\t<Дата>2026-11-30</Дата>
\t\t<ХозОперация>Заказ товара</ХозОперация>
\t\t<Роль>Продавец</Роль>
\t\t<Валюта>руб</Валюта>
\t\t<Курс>1</Курс>
\t\t<Сумма>{total}</Сумма>
\t\t<Контрагенты>
\t\t\t<Контрагент>
\t\t\t\t<Ид>8f2a4c1e-6b3d-11ee-9a7c-00155d01c805</Ид>
\t\t\t\t<Наименование>Петров Иван Сергеевич</Наименование>
\t\t\t\t<Роль>Покупатель</Роль>
\t\t\t\t<ПолноеНаименование>Петров Иван Сергеевич</ПолноеНаименование>
\t\t\t\t<Фамилия>Петров</Фамилия>
\t\t\t\t<Имя>Иван</Имя>
\t\t\t</Контрагент>
\t\t</Контрагенты>
\t\t<Время>12:04:31</Время>
\t\t<Комментарий>Позвонить за час до доставки</Комментарий>
\t\t<Товары>
\t\t\t<Товар>
\t\t\t\t<Ид>b7c1d9e2-4e5f-11ee-9a7c-00155d01c805</Ид>
\t\t\t\t<Наименование>Велосипед горный 27,5"</Наименование>
\t\t\t\t<БазоваяЕдиница Код="796 " НаименованиеПолное="Штука" МеждународноеСокращение="PCE">шт</БазоваяЕдиница>
\t\t\t\t<ЦенаЗаЕдиницу>{total}</ЦенаЗаЕдиницу>
\t\t\t\t<Количество>1</Количество>
\t\t\t\t<Сумма>{total}</Сумма>
\t\t\t\t<ЗначенияРеквизитов>
\t\t\t\t\t<ЗначениеРеквизита><Наименование>ВидНоменклатуры</Наименование><Значение>Товар</Значение></ЗначениеРеквизита>
\t\t\t\t\t<ЗначениеРеквизита><Наименование>ТипНоменклатуры</Наименование><Значение>Товар</Значение></ЗначениеРеквизита>
\t\t\t\t</ЗначенияРеквизитов>
\t\t\t</Товар>
\t\t</Товары>
\t\t<ЗначенияРеквизитов>
{requisites}\t\t</ЗначенияРеквизитов>
\t</Документ>
"""

REQUISITE = """\t\t\t<ЗначениеРеквизита>
\t\t\t\t<Наименование>{name}</Наименование>
\t\t\t\t<Значение>{value}</Значение>
\t\t\t</ЗначениеРеквизита>
"""


def requisites(document):
    return "".join(
        REQUISITE.format(name=name, value=value)
        for name, value in (
            ("Проведен", "true"),
            ("Номер по 1С", document["erp_number"]),
            ("Дата по 1С", "2026-12-01T10:12:05"),
            ("Номер оплаты по 1С", document["payment"]),
            ("Дата оплаты по 1С", "01.12.2026 10:14:00"),
            ("Статус заказа", "[N] Принят"),
            ("Статуса заказа ИД", "N"),
            ("Финальный статус", "false"),
            ("Отменен", "false"),
        )
    )


LONG_PAYMENT = "Платежное поручение входящее 00БП-000123 от 01.12.2026 10:14:00 (банк)"


def one_c_file(documents):
    body = "".join(DOCUMENT.format(**document, requisites=requisites(document)) for document in documents)
    return (HEAD + body + "</КоммерческаяИнформация>\r\n").replace("\r\n", "\n").replace("\n", "\r\n").encode("cp1251")


@pytest.mark.parametrize("version", ["2.08", ""], ids=["import-steps", "old-protocol"])
def test_a_real_1c_file_with_an_unknown_order_and_a_long_payment_number_is_answered_success(make_client, version):
    assert len(LONG_PAYMENT) == 70
    bike, helmet, gloves = (order_for(UserFactory(), price) for price in ("30000.00", "2500.00", "900.00"))
    documents = [
        {"number": bike.number, "version": "B", "total": "30000.00", "erp_number": "00УТ-000101", "payment": "214"},
        {"number": "77123", "version": "C", "total": "1500.00", "erp_number": "00УТ-000102", "payment": "215"},
        {"number": helmet.number, "version": "D", "total": "2500.00", "erp_number": "00УТ-000103", "payment": "216"},
        {
            "number": gloves.number,
            "version": "E",
            "total": "900.00",
            "erp_number": "00УТ-000104",
            "payment": LONG_PAYMENT,
        },
    ]
    data = one_c_file(documents)
    one_c = make_client(version=version)
    one_c.checkauth()
    one_c.init()
    one_c.file_limit = 1024  # as 1C splits a file at the shop's file_limit
    name = "documents___8d2c0f1e-0f4e-4d8e-9f57-2a1b3c4d5e6f.xml"

    if version:  # stored by the file calls, imported by import calls
        replies = one_c.send(name, data, zipped=False)
    else:  # imported by the file call that completes it
        replies = one_c.upload(name, data)
        assert len(replies) > 3

    assert all(reply.status == "success" for reply in replies)
    final = replies[-1]
    assert final.body.split(b"\n")[0] == b"success"
    assert any("77123" in line and "does not have" in line for line in final.lines), final.lines
    assert any(str(gloves.number) in line for line in final.lines), final.lines
    for order, erp_number in ((bike, "00УТ-000101"), (helmet, "00УТ-000103")):
        state = OrderErpState.objects.get(order=order)
        assert (state.erp_number, state.posted, state.erp_status) == (erp_number, True, "N")
        assert state.paid_at is not None
        assert Lot.objects.filter(order_number=order.number).exists()
    assert not OrderErpState.objects.filter(order=gloves).exists()
    assert ExchangeDocument.objects.get(document_id="77123").status == "skipped"
    assert ExchangeDocument.objects.get(document_id=str(gloves.number)).status == "failed"
    assert "77123" in ExchangeEvent.objects.filter(mode="import" if version else "file").latest("pk").message
