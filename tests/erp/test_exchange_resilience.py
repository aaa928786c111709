"""One bad document does not stop the exchange: it fails alone, and the rest of the file is applied.

Real HTTP on loopback, driven like 1C drives it. 1C resends a file the shop
refused until it gets ``success``, so refusing a whole file for one document
(an order the shop does not have, a value too long for the shop's fields)
would stop the exchange for good.
"""

import io
import os
import zipfile

import pytest
from django.db import connection
from oscar.core.loading import get_model

from erp_sync.client import answer_documents
from tests.earning.factories import order_for
from tests.erp.test_exchange_security import assert_refused
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

Lot = get_model("oscar_loyalty", "Lot")
OrderErpState = get_model("erp_sync", "OrderErpState")
ExchangeEvent = get_model("erp_sync", "ExchangeEvent")
ExchangeFile = get_model("erp_sync", "ExchangeFile")
ExchangeDocument = get_model("erp_sync", "ExchangeDocument")


def with_requisite(data, order_number, name, value, encoding="windows-1251"):
    """``data`` with one more requisite on the document of ``order_number``."""
    text = data.decode(encoding)
    head, marker, tail = text.partition(f"<Ид>{order_number}</Ид>")
    assert marker, order_number
    requisite = (
        f"<ЗначениеРеквизита><Наименование>{name}</Наименование><Значение>{value}</Значение></ЗначениеРеквизита>"
    )
    tail = tail.replace("<ЗначенияРеквизитов>", "<ЗначенияРеквизитов>" + requisite, 1)
    return (head + marker + tail).encode(encoding)


def warnings(reply):
    return [line for line in reply.lines if line.startswith("warning:")]


def zipped(name, data):
    """An archive holding ``data`` as ``name``, as 1C packs its files when the shop answered zip=yes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def test_unknown_orders_are_skipped_listed_and_the_rest_is_applied(one_c):
    first, second = order_for(UserFactory(), "1000.00"), order_for(UserFactory(), "2000.00")
    data = answer_documents([str(first.number), "1234", str(second.number), "1235"], version=1)

    reply = one_c.send("orders.xml", data, zipped=False)[-1]

    assert reply.status == "success"
    assert reply.body.split(b"\n")[0] == b"success"
    assert warnings(reply) == ["warning: 2 documents name orders this shop does not have: 1234, 1235"]
    assert set(OrderErpState.objects.filter(posted=True).values_list("order__number", flat=True)) == {
        str(first.number),
        str(second.number),
    }
    skipped = ExchangeDocument.objects.filter(status="skipped").order_by("position")
    assert [(doc.position, doc.document_id) for doc in skipped] == [(1, "1234"), (3, "1235")]
    record = ExchangeFile.objects.get(name="orders.xml")
    assert (record.status, record.documents_applied, record.documents_skipped) == ("imported", 2, 2)
    # The exchange log says it too.
    logged = ExchangeEvent.objects.filter(mode="import", result="success").latest("pk").message
    assert "1234, 1235" in logged


def test_unknown_orders_can_be_made_fatal_and_then_nothing_is_applied(one_c, settings):
    settings.ERP_SYNC_EXCHANGE_UNKNOWN_ORDERS_FATAL = True
    known = order_for(UserFactory(), "1000.00")
    one_c.upload("orders.xml", answer_documents([str(known.number), "1234"], version=1))

    error = assert_refused(lambda: one_c.import_file("orders.xml"), "1234")

    assert "this shop does not have" in str(error)
    assert not OrderErpState.objects.exists()
    assert ExchangeFile.objects.get().status == "failed"


def test_a_payment_number_too_long_for_the_shop_fails_only_its_document(one_c):
    good, bad = order_for(UserFactory(), "1000.00"), order_for(UserFactory(), "2000.00")
    data = answer_documents([str(good.number), str(bad.number)], version=1)
    data = with_requisite(data, bad.number, "Номер оплаты по 1С", "П" * 70)

    reply = one_c.send("orders.xml", data, zipped=False)[-1]

    assert reply.status == "success"
    assert any(str(bad.number) in line and "64" in line for line in warnings(reply)), reply.lines
    assert OrderErpState.objects.get(order=good).posted
    assert not OrderErpState.objects.filter(order=bad).exists()
    failed = ExchangeDocument.objects.get(status="failed")
    assert failed.document_id == str(bad.number)
    assert "Номер оплаты по 1С" in failed.error


@pytest.mark.parametrize("amount", ["1" + "0" * 15 + ".00", "1E+30", "1E+1000000", "9" * 400])
def test_an_amount_out_of_range_fails_only_its_document(one_c, amount):
    good, bad = order_for(UserFactory(), "1000.00"), order_for(UserFactory(), "2000.00")
    data = answer_documents([(str(good.number), [("x", "1000.00")]), (str(bad.number), [("y", amount)])], version=1)

    reply = one_c.send("orders.xml", data, zipped=False)[-1]

    assert reply.status == "success"
    assert OrderErpState.objects.get(order=good).posted
    assert not OrderErpState.objects.filter(order=bad).exists()
    assert ExchangeDocument.objects.get(status="failed").document_id == str(bad.number)


@pytest.fixture
def database_refuses_erp_number():
    """A real database error for one value: a trigger that refuses to store the 1C number BOOM."""
    table = OrderErpState._meta.db_table
    if connection.vendor == "sqlite":
        statements = [
            f"CREATE TRIGGER refuse_boom BEFORE INSERT ON {table} WHEN NEW.erp_number = 'BOOM' "
            "BEGIN SELECT RAISE(ABORT, 'boom refused'); END",
            f"CREATE TRIGGER refuse_boom_update BEFORE UPDATE ON {table} WHEN NEW.erp_number = 'BOOM' "
            "BEGIN SELECT RAISE(ABORT, 'boom refused'); END",
        ]
        drop = ["DROP TRIGGER refuse_boom", "DROP TRIGGER refuse_boom_update"]
    elif connection.vendor == "postgresql":
        statements = [
            "CREATE FUNCTION refuse_boom() RETURNS trigger AS $$ BEGIN "
            "IF NEW.erp_number = 'BOOM' THEN RAISE EXCEPTION 'boom refused'; END IF; RETURN NEW; END $$ "
            "LANGUAGE plpgsql",
            f"CREATE TRIGGER refuse_boom BEFORE INSERT OR UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_boom()",
        ]
        drop = [f"DROP TRIGGER refuse_boom ON {table}", "DROP FUNCTION refuse_boom()"]
    else:
        pytest.skip("no trigger recipe for this database")
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    yield
    with connection.cursor() as cursor:
        for statement in drop:
            cursor.execute(statement)


def test_a_database_error_rolls_back_only_its_own_document(one_c, database_refuses_erp_number):
    first, boom, last = (order_for(UserFactory(), "1000.00") for _n in range(3))
    data = answer_documents([str(first.number), str(boom.number), str(last.number)], version=1)
    data = data.replace(f"ERP-{boom.number}".encode(), b"BOOM")

    reply = one_c.send("orders.xml", data, zipped=False)[-1]

    assert reply.status == "success"
    assert any(str(boom.number) in line for line in warnings(reply)), reply.lines
    assert set(OrderErpState.objects.values_list("order__number", flat=True)) == {str(first.number), str(last.number)}
    # The failing document's own writes went with it: no points for the order it names.
    assert not Lot.objects.filter(order_number=boom.number).exists()
    assert Lot.objects.filter(order_number=last.number).exists()
    assert ExchangeDocument.objects.get(status="failed").document_id == str(boom.number)


# --- The protocol without a version: the file call imports, once the file is whole ---------------


def test_the_old_protocol_imports_a_file_sent_in_chunks_after_its_last_chunk(make_client):
    orders = [order_for(UserFactory(), "1000.00") for _n in range(3)]
    client = make_client(version="")
    client.checkauth()
    client.init()
    data = answer_documents([str(order.number) for order in orders], version=1)

    replies = client.upload("orders.xml", data, chunk_size=250)

    assert len(replies) > 3
    assert [reply.status for reply in replies] == ["success"] * len(replies)
    assert OrderErpState.objects.filter(posted=True).count() == 3
    record = ExchangeFile.objects.get()
    assert (record.status, record.size, record.documents_applied) == ("imported", len(data), 3)


def test_the_old_protocol_waits_while_a_chunk_ends_inside_a_character(make_client):
    order = order_for(UserFactory(), "1000.00")
    client = make_client(version="")
    client.checkauth()
    client.init()
    data = answer_documents([str(order.number)], version=1, encoding="utf-8")
    cut = data.index("Номер".encode()) + 1  # in the middle of the two bytes of "Н"

    assert client.upload("orders.xml", data[:cut])[0].status == "success"
    assert not OrderErpState.objects.exists()
    assert client.upload("orders.xml", data[cut:])[0].status == "success"
    assert OrderErpState.objects.get().posted


def test_the_old_protocol_refuses_a_broken_file_without_waiting_for_more(make_client):
    client = make_client(version="")
    client.checkauth()
    client.init()

    assert_refused(lambda: client.upload("orders.xml", b"this is not xml"), "well-formed")
    assert ExchangeFile.objects.get().status == "failed"


def test_the_old_protocol_accepts_a_last_chunk_holding_only_the_line_ending(make_client):
    order = order_for(UserFactory(), "1000.00")
    client = make_client(version="")
    client.checkauth()
    client.init()
    data = answer_documents([str(order.number)], version=1)
    assert data.endswith(b">\n")

    replies = client.upload("orders.xml", data[:-1]) + client.upload("orders.xml", data[-1:])

    assert [reply.status for reply in replies] == ["success", "success"]
    assert OrderErpState.objects.get().posted
    assert ExchangeFile.objects.get().status == "imported"


def test_the_old_protocol_unpacks_and_imports_a_zip_inside_the_file_call(make_client):
    known = order_for(UserFactory(), "1000.00")
    client = make_client(version="")
    client.checkauth()
    assert client.init()["zip"] == "yes"
    archive = zipped("orders-1.xml", answer_documents([str(known.number), "1234"], version=1))

    reply = client.upload("orders.zip", archive)[0]

    assert reply.status == "success"
    assert reply.lines[0] == "Import finished."
    assert warnings(reply) == ["warning: 1 document names an order this shop does not have: 1234"]
    assert OrderErpState.objects.get(order=known).posted
    assert Lot.objects.filter(order_number=known.number).exists()
    assert ExchangeFile.objects.get(name="orders.zip").status == "imported"
    assert ExchangeFile.objects.get(name="orders-1.xml").status == "imported"


def test_the_old_protocol_waits_for_the_last_chunk_of_a_zip_before_unpacking_it(make_client):
    orders = [order_for(UserFactory(), "1000.00") for _n in range(3)]
    client = make_client(version="")
    client.checkauth()
    client.init()
    # Stored, not deflated: the archive is larger than one chunk.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("orders-1.xml", answer_documents([str(order.number) for order in orders], version=1))
    data = buffer.getvalue()

    replies = client.upload("orders.zip", data, chunk_size=250)

    assert len(replies) > 3
    assert [reply.status for reply in replies] == ["success"] * len(replies)
    assert all("waiting for the rest of the file" in reply.lines[0] for reply in replies[:-1])
    assert replies[-1].lines[0] == "Import finished."
    assert OrderErpState.objects.filter(posted=True).count() == 3
    record = ExchangeFile.objects.get(name="orders.zip")
    assert (record.status, record.size, record.chunks) == ("imported", len(data), len(replies))


def test_the_old_protocol_refuses_a_zip_with_a_traversing_member_in_the_file_call(make_client, settings):
    order = order_for(UserFactory(), "1000.00")
    client = make_client(version="")
    client.checkauth()
    client.init()

    assert_refused(
        lambda: client.upload("orders.zip", zipped("../../evil.xml", answer_documents([str(order.number)]))),
        "not allowed",
    )
    assert not OrderErpState.objects.exists()
    outside = os.path.dirname(settings.ERP_SYNC_EXCHANGE_DIR)
    assert not os.path.exists(os.path.join(outside, "evil.xml"))


def test_with_a_version_a_zip_is_stored_by_the_file_call_and_imported_by_import(one_c):
    order = order_for(UserFactory(), "1000.00")

    reply = one_c.upload("orders.zip", zipped("orders-1.xml", answer_documents([str(order.number)], version=1)))[0]

    assert reply.status == "success"
    assert "bytes received" in reply.lines[0]
    assert not OrderErpState.objects.exists()
    assert one_c.import_file("orders.zip")[-1].status == "success"
    assert OrderErpState.objects.get(order=order).posted
