"""A 1C-like client drives the whole sale exchange over real HTTP on loopback.

checkauth → init → query → success → documents uploaded in chunks → import
answered with ``progress`` until ``success``; files in UTF-8 and
windows-1251, zipped and not, with and without the CommerceML namespace.
"""

from decimal import Decimal

import pytest
from oscar.core.loading import get_model

from erp_sync.client import answer_documents, exported_orders
from oscar_loyalty import ledger
from tests.campaigns.helpers import make_rule
from tests.earning.factories import order_for
from tests.erp.helpers import erp_product, order_paid_with_points
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

Lot = get_model("oscar_loyalty", "Lot")
ExchangeFile = get_model("erp_sync", "ExchangeFile")
ExchangeDocument = get_model("erp_sync", "ExchangeDocument")
ExchangeSession = get_model("erp_sync", "ExchangeSession")


@pytest.mark.parametrize(
    ("encoding", "zipped", "namespace"),
    [
        ("windows-1251", False, False),
        ("windows-1251", True, True),
        ("utf-8", False, True),
        ("utf-8", True, False),
    ],
)
def test_orders_go_out_with_their_bonus_data_and_come_back_posted(one_c, settings, encoding, zipped, namespace):
    settings.ERP_SYNC_EXCHANGE_STEP_SECONDS = 0  # one document per import step: progress, then success
    customer = UserFactory(first_name="Иван", last_name="Петров")
    bike = erp_product("b7c1d9e2-0001", price="30000.00")
    with_points = order_paid_with_points(customer, "30000.00", points=200, products=[bike])
    plain = order_for(UserFactory(), "1000.00")

    # Orders out.
    xml = one_c.query()
    orders = {ident: (requisites, lines) for ident, requisites, lines in exported_orders(xml)}
    assert set(orders) == {str(with_points.number), str(plain.number)}
    requisites, lines = orders[str(with_points.number)]
    assert requisites["Оплачено бонусами"] == "200.00"
    assert requisites["Списано бонусов"] == "200"
    assert requisites["Метод оплаты"] == "Bonus points"  # the points payment source type, as info lists it
    assert requisites["Статус начисления бонусов"] == "Нет"
    assert requisites["Уровень бонусной программы"] == "Silver"
    assert requisites["Бонусная карта"] == str(ledger.get_balance(customer) and customer.loyalty_account.pk)
    assert lines[0] == ("b7c1d9e2-0001", "30000.00")
    assert "Петров".encode("cp1251") in xml  # windows-1251 by default, as declared
    assert xml.startswith(b'<?xml version="1.0" encoding="windows-1251"?>')

    # Acknowledged: the next query of a new session sends nothing.
    one_c.success()
    assert exported_orders(one_c.query()) == []

    # Documents in: posted and paid, uploaded in small chunks, imported step by step.
    data = answer_documents(
        [str(with_points.number), str(plain.number)], version=5, paid=True, encoding=encoding, namespace=namespace
    )
    replies = one_c.send("documents___1.xml", data, zipped=zipped, chunk_size=300)

    assert [reply.status for reply in replies] == ["progress", "success"]
    with_points.refresh_from_db()
    assert with_points.status == "Being processed"
    assert with_points.erp_state.erp_number == f"ERP-{with_points.number}"
    assert with_points.erp_state.payment_number == f"PAY-{with_points.number}"
    assert with_points.erp_state.posted
    lot = Lot.objects.get(order_number=with_points.number)
    assert lot.points == 894  # Silver 3% of the 29,800 paid in money
    assert lot.status == Lot.PENDING
    session = ExchangeSession.objects.get(pk=ExchangeFile.objects.latest("pk").session_id)
    xml_file = ExchangeFile.objects.get(session=session, name="documents___1.xml")
    assert (xml_file.status, xml_file.documents_applied, xml_file.documents_failed) == ("imported", 2, 0)
    assert ExchangeDocument.objects.filter(file=xml_file, status="applied").count() == 2

    # What changed since (a status, points accrued) goes out again in the next session.
    one_c.checkauth()
    one_c.init()
    again = {ident: requisites for ident, requisites, _lines in exported_orders(one_c.query())}
    assert set(again) == {str(with_points.number), str(plain.number)}
    assert again[str(with_points.number)]["Начислено бонусов"] == "894"
    assert again[str(with_points.number)]["Статус начисления бонусов"] == "Ожидает"
    assert again[str(with_points.number)]["Заказ оплачен"] == "true"


def test_the_old_protocol_imports_inside_the_file_call(make_client):
    order = order_for(UserFactory(), "1000.00")
    client = make_client(version="")
    client.checkauth()
    assert client.init()["zip"] == "yes"

    reply = client.upload("orders.xml", answer_documents([str(order.number)], version=1))[0]

    assert reply.status == "success"
    order.refresh_from_db()
    assert order.erp_state.posted
    assert Lot.objects.filter(order_number=order.number).exists()


def test_the_shipped_client_script_runs_against_the_shop(exchange_url, exchange_user, capsys):
    from erp_sync import client
    from tests.erp.conftest import EXCHANGE_PASSWORD

    order = order_for(UserFactory(), "2000.00")

    code = client.main(
        [
            "--url",
            exchange_url,
            "--user",
            exchange_user.username,
            "--password",
            EXCHANGE_PASSWORD,
            "--paid",
            "--shipped",
        ]
    )

    out = capsys.readouterr().out
    assert code == 0, out
    assert "query: 1 order(s)" in out
    assert "success" in out
    order.refresh_from_db()
    assert order.status == "Complete"
    assert Lot.objects.get(order_number=order.number).points == 60


def test_changed_line_amounts_recompute_the_accrual_once_per_version(one_c):
    customer = UserFactory()
    bike, helmet = erp_product("bike-1", "20000.00"), erp_product("helmet-1", "5000.00")
    order = order_for(customer, "20000.00", "5000.00", products=[bike, helmet])
    posted = answer_documents([str(order.number)], version=1)
    one_c.send("a.xml", posted, zipped=False)
    assert ledger.get_balance(customer).pending == 750  # 3% of 25,000

    # The accounting system sold the helmet for 3,000 instead (version 2), then sent it again.
    changed = [(str(order.number), [("bike-1", "20000.00"), ("helmet-1", "3000.00")])]
    one_c.send("b.xml", answer_documents(changed, version=2), zipped=False)
    one_c.send("c.xml", answer_documents(changed, version=2), zipped=False)
    assert ledger.get_balance(customer).pending == 690  # 3% of 23,000

    # A later version raises it past the order's own total: nothing stands returned, and the
    # shop's order lines stay the basis (no points on goods the shop did not sell).
    raised = [(str(order.number), [("bike-1", "20000.00"), ("helmet-1", "6000.00")])]
    one_c.send("d.xml", answer_documents(raised, version=3), zipped=False)
    assert ledger.get_balance(customer).pending == 750
    assert ExchangeDocument.objects.filter(order_number=order.number, status="unchanged").count() == 1


def test_a_cancelled_document_reverses_the_points_through_the_ledger(one_c):
    customer = UserFactory()
    order = order_paid_with_points(customer, "10000.00", points=300)
    one_c.send("posted.xml", answer_documents([str(order.number)], version=1), zipped=False)
    assert ledger.get_balance(customer).pending == 291  # 3% of 9,700

    one_c.send("cancel.xml", answer_documents([str(order.number)], version=2, cancelled=True), zipped=False)

    order.refresh_from_db()
    balance = ledger.get_balance(customer)
    assert order.status == "Cancelled"
    assert order.erp_state.cancelled
    assert balance.pending == 0
    assert balance.available == 300  # the points spent on it are back
    assert Decimal(order.total_incl_tax) == Decimal("10000.00")


def test_posting_an_order_the_shop_cancelled_accrues_nothing(one_c):
    order = order_for(UserFactory(), "5000.00")
    order.set_status("Cancelled")

    one_c.send("posted.xml", answer_documents([str(order.number)], version=1, paid=True), zipped=False)

    order.refresh_from_db()
    assert order.status == "Cancelled"
    assert order.erp_state.posted
    assert not Lot.objects.filter(order_number=order.number).exists()


def test_a_sale_the_accounting_system_reports_from_a_store_earns_in_that_stores_channel(one_c):
    make_rule("Store 12 opening", channels=["store:12"], reward="multiplier", value=2)
    in_store, shipped, on_the_web = UserFactory(), UserFactory(), UserFactory()
    posted = order_for(in_store, "10000.00")
    delivered = order_for(shipped, "10000.00")
    web = order_for(on_the_web, "10000.00")

    one_c.send("store.xml", answer_documents([str(posted.number)], version=1, store="12"), zipped=False)
    # Shipped, not posted: the status moves to Complete and the status receiver accrues, in the store's channel.
    one_c.send(
        "shipped.xml",
        answer_documents([str(delivered.number)], version=1, posted=False, shipped=True, store=" 12 "),
        zipped=False,
    )
    one_c.send("web.xml", answer_documents([str(web.number)], version=1), zipped=False)

    for order in (posted, delivered):
        lots = Lot.objects.filter(order_number=order.number)
        assert sorted((lot.origin, lot.points, lot.channel) for lot in lots) == [
            (Lot.CAMPAIGN, 300, "store:12"),
            (Lot.ORDER, 300, "store:12"),
        ]
    assert [(lot.points, lot.channel) for lot in Lot.objects.filter(order_number=web.number)] == [(300, "web")]


def test_a_store_name_longer_than_the_channel_holds_fails_its_document_alone(one_c):
    too_long, fine = order_for(UserFactory(), "1000.00"), order_for(UserFactory(), "1000.00")
    one_c.send("long.xml", answer_documents([str(too_long.number)], version=1, store="x" * 59), zipped=False)
    one_c.send("fine.xml", answer_documents([str(fine.number)], version=1, store="x" * 58), zipped=False)

    (failed,) = ExchangeDocument.objects.filter(status="failed")
    assert "Магазин" in failed.error and "58" in failed.error
    assert not Lot.objects.filter(order_number=too_long.number).exists()
    assert Lot.objects.get(order_number=fine.number).channel == "store:" + "x" * 58
