"""Orders out: the marker moves only on acknowledgement, the document is declared as it is encoded,
and a batch costs the same number of queries however many orders it holds."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from lxml import etree
from oscar.core.loading import get_model

from erp_sync.client import exported_orders
from erp_sync.exchange import export
from oscar_loyalty import ledger
from tests.earning.factories import order_for
from tests.erp.helpers import erp_product, order_paid_with_points, pay_by_card
from tests.factories import UserFactory

ExchangeSession = get_model("erp_sync", "ExchangeSession")
ExportMarker = get_model("erp_sync", "ExportMarker")
Order = get_model("order", "Order")
OrderStatusChange = get_model("order", "OrderStatusChange")


def ids(xml):
    return sorted(ident for ident, _requisites, _lines in exported_orders(xml))


@pytest.mark.django_db(transaction=True)
def test_an_unacknowledged_query_sends_the_same_orders_again(one_c, new_session):
    first = order_for(UserFactory(), "1000.00")
    assert ids(one_c.query()) == [str(first.number)]

    # 1C failed halfway and never said success: a new session gets them again.
    again = new_session()
    second = order_for(UserFactory(), "500.00")
    assert ids(again.query()) == sorted([str(first.number), str(second.number)])
    again.success()

    # Acknowledged: only what changes from now on goes out.
    later = new_session()
    assert ids(later.query()) == []
    first.set_status("Being processed")
    assert ids(later.query()) == [str(first.number)]


def accrued_long_ago(customer, days=20):
    """An order whose points were accrued ``days`` ago: their hold ended before today."""
    order = order_for(customer, "1000.00")
    ledger.accrue(
        customer,
        30,
        key=f"test:{order.number}",
        reason="Order",
        order=order.number,
        now=timezone.now() - timedelta(days=days),
    )
    return order


@pytest.mark.django_db(transaction=True)
def test_an_activation_written_after_the_acknowledgement_goes_out_though_dated_before_it(one_c, new_session):
    order = accrued_long_ago(UserFactory())
    assert ids(one_c.query()) == [str(order.number)]
    one_c.success()

    # The beat pass runs now; the entry it writes is dated when the hold ended, days before the acknowledgement.
    assert ledger.activate_matured_lots() == 1

    later = new_session()
    requisites = {ident: requisites for ident, requisites, _lines in exported_orders(later.query())}
    assert list(requisites) == [str(order.number)]
    assert requisites[str(order.number)]["Статус начисления бонусов"] == "Начислены"


@pytest.mark.django_db(transaction=True)
def test_an_entry_written_between_query_and_success_goes_out_next_time(one_c, new_session):
    order = accrued_long_ago(UserFactory())
    assert ids(one_c.query()) == [str(order.number)]
    assert ledger.activate_matured_lots() == 1  # after the query 1C is acknowledging
    one_c.success()

    later = new_session()
    assert ids(later.query()) == [str(order.number)]
    later.success()
    assert ids(later.query()) == []


@pytest.mark.django_db(transaction=True)
def test_an_order_and_a_status_change_written_after_the_query_go_out_next_time_though_dated_before_it(
    one_c, new_session
):
    dated = timezone.now()  # a checkout dates its order, then stalls before writing it
    moved = order_for(UserFactory(), "1000.00")
    assert ids(one_c.query()) == [str(moved.number)]
    # Written after that query fixed its window, dated before the window's end.
    late = order_for(UserFactory(), "700.00")
    Order.objects.filter(pk=late.pk).update(date_placed=dated)
    moved.set_status("Being processed")
    OrderStatusChange.objects.filter(order=moved).update(date_created=dated)
    one_c.success()

    later = new_session()
    assert ids(later.query()) == sorted([str(late.number), str(moved.number)])
    later.success()
    assert ids(new_session().query()) == []


@pytest.mark.django_db(transaction=True)
def test_a_marker_from_before_orders_were_counted_by_id_windows_them_by_date_once(one_c, new_session):
    order_for(UserFactory(), "1000.00")
    ExportMarker.objects.create(exchange_type="sale", exported_until=timezone.now())
    placed = order_for(UserFactory(), "700.00")

    assert ids(one_c.query()) == [str(placed.number)]
    one_c.success()

    assert ExportMarker.objects.get().exported_order == placed.pk
    assert ids(new_session().query()) == []


@pytest.mark.django_db(transaction=True)
def test_success_without_a_query_or_from_an_old_session_does_not_move_the_marker(one_c, new_session):
    order_for(UserFactory(), "1000.00")
    one_c.query()  # an old session's window

    newer = new_session()
    newer.query()
    newer.success()
    acknowledged = ExportMarker.objects.get().exported_until

    one_c.success()  # late acknowledgement of the older, smaller window
    assert ExportMarker.objects.get().exported_until == acknowledged

    idle = new_session()
    assert "Nothing to acknowledge" in " ".join(idle.success().lines)
    assert ExportMarker.objects.get().exported_until == acknowledged


@pytest.mark.django_db(transaction=True)
def test_utf8_and_the_namespace_can_be_configured_and_are_declared(one_c, settings):
    settings.ERP_SYNC_EXCHANGE_ENCODING = "utf-8"
    settings.ERP_SYNC_EXCHANGE_NAMESPACE = True
    order = order_for(UserFactory(first_name="Иван"), "1000.00")

    reply = one_c.call("query")

    assert reply.headers["Content-Type"] == "application/xml; charset=utf-8"
    assert reply.body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = etree.fromstring(reply.body)
    assert root.tag == "{urn:1C.ru:commerceml_2}КоммерческаяИнформация"
    assert "Иван".encode() in reply.body
    assert ids(reply.body) == [str(order.number)]


@pytest.mark.django_db(transaction=True)
def test_the_default_document_is_windows_1251_and_lxml_reads_it_back(one_c):
    order = order_for(UserFactory(first_name="Иван", last_name="Čapek ☃"), "1000.00")

    reply = one_c.call("query")

    assert reply.headers["Content-Type"] == "application/xml; charset=windows-1251"
    root = etree.fromstring(reply.body)
    assert root.get("ВерсияСхемы") == "2.08"
    party = root.find("Документ/Контрагенты/Контрагент/Фамилия")
    assert party.text == "Čapek ☃"  # characters windows-1251 lacks travel as references
    assert ids(reply.body) == [str(order.number)]


@pytest.mark.django_db(transaction=True)
def test_info_lists_the_shops_statuses(one_c):
    reply = one_c.call("info")
    root = etree.fromstring(reply.body)
    assert "Pending" in [node.text for node in root.iter("Ид")]


def payment_systems(one_c):
    """The names of the payment systems ``mode=info`` lists, as 1C maps them."""
    root = etree.fromstring(one_c.call("info").body)
    return [node.text for node in root.iterfind("ПлатежныеСистемы/Элемент/Название")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("encoding", ["windows-1251", "utf-8"])
def test_each_orders_payment_method_is_a_payment_system_info_lists(one_c, settings, encoding):
    settings.ERP_SYNC_EXCHANGE_ENCODING = encoding
    customer = UserFactory()
    by_card = order_for(customer, "1000.00")
    pay_by_card(by_card, "1000.00")
    in_part = order_paid_with_points(customer, "1000.00", points=200)
    pay_by_card(in_part, "800.00")
    with_points = order_paid_with_points(customer, "300.00", points=300)
    pay_by_card(with_points, "0.00")  # the card's share of an order points paid whole

    requisites = {ident: requisites for ident, requisites, _lines in exported_orders(one_c.query())}

    assert sorted(payment_systems(one_c)) == ["Bank card", "Bonus points"]
    assert requisites[str(by_card.number)]["Метод оплаты"] == "Bank card"
    # Paid partly with points: the method of the money, the points' share travelling as before.
    assert requisites[str(in_part.number)]["Метод оплаты"] == "Bank card"
    assert requisites[str(in_part.number)]["Оплачено бонусами"] == "200.00"
    assert requisites[str(in_part.number)]["Списано бонусов"] == "200"
    assert requisites[str(with_points.number)]["Метод оплаты"] == "Bonus points"
    assert requisites[str(with_points.number)]["Оплачено бонусами"] == "300.00"


@pytest.mark.django_db(transaction=True)
def test_a_bonus_payment_method_the_shop_named_still_goes_out_for_orders_points_paid_part_of(one_c, settings):
    settings.ERP_SYNC_EXCHANGE_BONUS_PAYMENT_METHOD = "Оплата бонусами"
    customer = UserFactory()
    by_card = order_for(customer, "1000.00")
    pay_by_card(by_card, "1000.00")
    in_part = order_paid_with_points(customer, "1000.00", points=200)
    pay_by_card(in_part, "800.00")

    requisites = {ident: requisites for ident, requisites, _lines in exported_orders(one_c.query())}

    assert requisites[str(in_part.number)]["Метод оплаты"] == "Оплата бонусами"
    assert requisites[str(by_card.number)]["Метод оплаты"] == "Bank card"


@pytest.mark.parametrize(
    ("money", "money_amount", "points_amount", "bonus_method", "expected"),
    [
        ("Bank card", "1000.00", "0.00", None, "Bank card"),
        ("Bank card", "800.00", "200.00", None, "Bank card"),
        ("", "0.00", "300.00", None, "Bonus points"),
        ("Bank card", "0.00", "300.00", None, "Bonus points"),
        ("Bank card", "0.00", "0.00", None, "Bank card"),
        ("", "0.00", "0.00", None, ""),
        ("Bank card", "800.00", "200.00", "Оплата бонусами", "Оплата бонусами"),
        ("", "0.00", "300.00", "Оплата бонусами", "Оплата бонусами"),
        ("Bank card", "1000.00", "0.00", "Оплата бонусами", "Bank card"),
    ],
)
def test_the_payment_method_names_the_money_payment_else_the_points(
    money, money_amount, points_amount, bonus_method, expected
):
    method = export.payment_method(
        money,
        Decimal(money_amount),
        Decimal(points_amount),
        points_method="Bonus points",
        bonus_method=bonus_method,
    )
    assert method == expected


@pytest.mark.django_db(transaction=True)
def test_unknown_modes_and_types_and_file_by_get_fail_cleanly(one_c):
    assert one_c.call("nonsense", check=False).status == "failure"
    assert one_c.call("file", params={"filename": "a.xml"}, check=False).status == "failure"
    one_c.exchange_type = "catalog"
    assert one_c.call("init", check=False).status == "failure"


@pytest.mark.django_db
def test_a_batch_costs_the_same_queries_whatever_its_size():
    customer = UserFactory()
    product = erp_product("erp-1")
    for _n in range(3):
        order_paid_with_points(customer, "1000.00", points=10, products=[product])
        order_for(UserFactory(), "500.00", "700.00")
    until = timezone.now() + timedelta(seconds=1)

    def count(batch_size):
        with CaptureQueriesContext(connection) as queries:
            documents = list(export.iter_documents(export.ExportWindow(None, until), batch_size=batch_size))
        return len(documents), len(queries)

    one, two, three = count(6), count(3), count(2)  # one, two and three batches of the same six orders
    assert one[0] == two[0] == three[0] == 6
    per_batch = two[1] - one[1]
    assert three[1] - two[1] == per_batch
    assert per_batch <= 12
    assert one[1] - per_batch <= 2  # the site name and the last, empty page of ids


@pytest.mark.django_db
def test_staff_see_the_exchange_log_and_customers_do_not(client):
    session = ExchangeSession.objects.create(token_hash="x" * 64, username="1c", exchange_type="sale")
    url = reverse("erp-exchange-dashboard:session-detail", kwargs={"pk": session.pk})

    client.force_login(UserFactory())
    assert client.get(url).status_code == 302

    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse("erp-exchange-dashboard:session-list")).status_code == 200
    page = client.get(url)
    assert page.status_code == 200
    assert b"1c" in page.content


@pytest.mark.django_db
def test_the_session_page_shows_the_id_positions_the_export_was_windowed_by(client):
    session = ExchangeSession.objects.create(
        token_hash="z" * 64,
        username="1c",
        exchange_type="sale",
        export_after_entry=120,
        export_upto_entry=187,
        export_after_order=None,
        export_upto_order=42,
        export_after_status_change=7,
        export_upto_status_change=9,
    )
    client.force_login(UserFactory(is_staff=True))
    page = client.get(reverse("erp-exchange-dashboard:session-detail", kwargs={"pk": session.pk})).content.decode()
    assert "Journal entries: 120 &ndash; 187" in page
    assert "Orders: - &ndash; 42" in page
    assert "Status changes: 7 &ndash; 9" in page


@pytest.mark.django_db
def test_the_admin_lists_the_exchange_records_read_only(admin_client):
    ExchangeSession.objects.create(token_hash="y" * 64, username="1c", exchange_type="sale")
    for name in ("exchangesession", "exchangeevent", "exchangefile", "exchangedocument", "ordererpstate"):
        assert admin_client.get(reverse(f"admin:erp_sync_{name}_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:erp_sync_exchangesession_add")).status_code == 403
