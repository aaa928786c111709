"""Hostile or broken input gets a clear ``failure`` and changes nothing (real HTTP on loopback)."""

import base64
import io
import os
import urllib.request
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from oscar.core.loading import get_model

from erp_sync.client import ExchangeClient, ExchangeError, answer_documents
from tests.earning.factories import order_for
from tests.erp.conftest import EXCHANGE_PASSWORD, grant_exchange
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

Lot = get_model("oscar_loyalty", "Lot")
OrderErpState = get_model("erp_sync", "OrderErpState")
ExchangeSession = get_model("erp_sync", "ExchangeSession")
ExchangeEvent = get_model("erp_sync", "ExchangeEvent")
ExchangeFile = get_model("erp_sync", "ExchangeFile")
ExchangeDocument = get_model("erp_sync", "ExchangeDocument")


def raw_reply(url, *, headers=None, data=None):
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        return error.read()


def assert_refused(call, reason=""):
    with pytest.raises(ExchangeError) as error:
        call()
    assert reason in str(error.value)
    return error.value


# --- Who may call -----------------------------------------------------------------


def test_no_credentials_get_failure_as_the_first_line_and_no_session(exchange_url, exchange_user):
    body = raw_reply(f"{exchange_url}?type=sale&mode=checkauth")

    assert body.split(b"\n")[0] == b"failure"
    assert not ExchangeSession.objects.exists()
    assert ExchangeEvent.objects.get().result == "failure"


@pytest.mark.parametrize("password", ["wrong", "", EXCHANGE_PASSWORD + " "])
def test_a_wrong_password_is_refused(make_client, password):
    assert_refused(make_client(password=password).checkauth, "checkauth")
    assert not ExchangeSession.objects.exists()


def test_users_without_the_exchange_permission_are_refused_even_superusers(make_client):
    customer = UserFactory(password=EXCHANGE_PASSWORD)
    admin = UserFactory(password=EXCHANGE_PASSWORD, is_superuser=True, is_staff=True)

    assert_refused(make_client(customer).checkauth)
    assert_refused(make_client(admin).checkauth)
    assert not ExchangeSession.objects.exists()


def test_only_the_configured_exchange_user_gets_in(make_client, settings):
    other = grant_exchange(UserFactory(password=EXCHANGE_PASSWORD))
    settings.ERP_SYNC_EXCHANGE_USERNAME = "1c-exchange"

    assert_refused(make_client(other).checkauth)
    make_client().checkauth()


def test_every_later_call_needs_the_session_cookie(exchange_url, make_client):
    client = make_client()
    for mode in ("init", "query", "success", "import", "info"):
        assert_refused(lambda mode=mode: client.call(mode), "checkauth")
    assert_refused(lambda: client.upload("a.xml", b"<x/>"), "checkauth")


def test_a_made_up_or_a_shop_session_cookie_is_refused(make_client):
    client = make_client()
    client.cookie = ("erp_exchange", "made-up")
    assert_refused(client.init, "Unknown")

    # A staff member's shop session is no exchange session, under either name.
    browser = Client()
    browser.force_login(UserFactory(is_staff=True, is_superuser=True))
    shop_session = browser.cookies["sessionid"].value
    for name in ("sessionid", "erp_exchange"):
        client.cookie = (name, shop_session)
        assert_refused(client.init)
    assert not ExchangeSession.objects.exists()


def test_a_session_cannot_be_used_with_another_users_credentials(exchange_url, exchange_user):
    other = grant_exchange(UserFactory(password=EXCHANGE_PASSWORD))
    owner = ExchangeClient(exchange_url, exchange_user.username, EXCHANGE_PASSWORD)
    owner.checkauth()
    thief = ExchangeClient(exchange_url, other.username, EXCHANGE_PASSWORD)
    thief.cookie = owner.cookie

    assert_refused(thief.init, "another user")

    # Without credentials the cookie alone still works for its owner's session.
    owner.send_auth = False
    owner.init()


def test_an_expired_session_or_one_whose_user_lost_the_permission_is_refused(one_c, exchange_user):
    ExchangeSession.objects.update(created_at=timezone.now() - timedelta(days=2))
    assert_refused(one_c.query, "expired")

    one_c.checkauth()
    exchange_user.user_permissions.remove(Permission.objects.get(codename="exchange_orders"))
    assert_refused(one_c.query, "no longer")


# --- Files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filename", ["../../escape.xml", "..\\..\\escape.xml", "import_files/../../escape.xml", "a/\x00.xml", ""]
)
def test_path_traversal_in_the_file_name_is_refused(one_c, settings, filename):
    assert_refused(lambda: one_c.upload(filename, b"<x/>"))
    assert not os.path.exists(os.path.join(settings.ERP_SYNC_EXCHANGE_DIR, "escape.xml"))
    assert not ExchangeFile.objects.exists()


def test_sub_folders_and_absolute_1c_paths_stay_inside_the_session_directory(one_c, settings):
    one_c.upload("import_files/ab/photo.jpg", b"jpeg")
    one_c.upload("C:\\Exchange\\orders.xml", b"<x/>")
    one_c.upload("/var/1c/out.xml", b"<y/>")

    session = ExchangeSession.objects.get()
    directory = os.path.join(settings.ERP_SYNC_EXCHANGE_DIR, f"session-{session.pk}")
    assert Path(directory, "import_files/ab/photo.jpg").read_bytes() == b"jpeg"
    assert Path(directory, "Exchange/orders.xml").read_bytes() == b"<x/>"
    assert Path(directory, "var/1c/out.xml").read_bytes() == b"<y/>"


def test_a_file_over_the_size_limit_is_refused_and_keeps_what_was_accepted(one_c, settings):
    settings.ERP_SYNC_EXCHANGE_MAX_FILE_SIZE = 1000
    one_c.upload("big.xml", b"a" * 800)

    assert_refused(lambda: one_c.upload("big.xml", b"b" * 700), "1000")

    record = ExchangeFile.objects.get()
    assert record.size == 800
    session = ExchangeSession.objects.get()
    path = os.path.join(settings.ERP_SYNC_EXCHANGE_DIR, f"session-{session.pk}", "big.xml")
    assert os.path.getsize(path) == 800


def test_init_empties_the_working_directory(one_c):
    order = order_for(UserFactory(), "1000.00")
    one_c.upload("orders.xml", answer_documents([str(order.number)]))

    one_c.init()

    assert_refused(lambda: one_c.import_file("orders.xml"), "No file")


def test_chunks_are_appended_not_overwritten(one_c):
    order = order_for(UserFactory(), "1000.00")
    data = answer_documents([str(order.number)], version=1)

    one_c.upload("orders.xml", data, chunk_size=7)
    one_c.import_file("orders.xml")

    assert ExchangeFile.objects.get().chunks == -(-len(data) // 7)
    assert OrderErpState.objects.get(order=order).posted


def test_a_zip_bomb_is_refused_before_anything_is_unpacked(one_c, settings):
    settings.ERP_SYNC_EXCHANGE_MAX_FILE_SIZE = 5 * 1024 * 1024
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("orders.xml", b"\0" * (50 * 1024 * 1024))
    assert len(buffer.getvalue()) < 100 * 1024
    one_c.upload("orders.zip", buffer.getvalue())

    assert_refused(lambda: one_c.import_file("orders.zip"), "zip bomb")

    session = ExchangeSession.objects.get()
    directory = os.path.join(settings.ERP_SYNC_EXCHANGE_DIR, f"session-{session.pk}")
    assert sorted(os.listdir(directory)) == ["orders.zip"]


def test_a_zip_with_a_traversing_member_is_refused(one_c, settings):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../evil.xml", b"<x/>")
    one_c.upload("orders.zip", buffer.getvalue())

    assert_refused(lambda: one_c.import_file("orders.zip"))
    assert not os.path.exists(os.path.join(settings.ERP_SYNC_EXCHANGE_DIR, "evil.xml"))


def test_a_zip_with_a_traversing_member_is_refused_the_same_way_every_time(one_c, settings):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../evil.xml", b"<x/>")
    one_c.upload("evil.zip", buffer.getvalue())

    # 1C calls import again and again until it gets an answer: each must say why.
    replies = [one_c.call("import", params={"filename": "evil.zip"}, check=False) for _n in range(3)]

    assert [reply.status for reply in replies] == ["failure"] * 3
    assert all(reply.lines == replies[0].lines for reply in replies), replies
    assert "not allowed" in replies[0].lines[0]
    assert not any("Internal error" in line for reply in replies for line in reply.lines)
    outside = os.path.dirname(settings.ERP_SYNC_EXCHANGE_DIR)
    assert not os.path.exists(os.path.join(outside, "evil.xml"))
    assert not os.path.exists(os.path.join(settings.ERP_SYNC_EXCHANGE_DIR, "evil.xml"))


def test_a_broken_archive_is_refused(one_c):
    one_c.upload("orders.zip", b"PK\x03\x04 not really a zip")
    assert_refused(lambda: one_c.import_file("orders.zip"), "cannot be read")


# --- Whatever the request, the reply is the protocol's ------------------------------------


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """1C follows no redirect: a 301 is an answer it cannot read, so the tests must see it too."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def http_reply(url, *, method="GET", data=None, user=None):
    """(status, headers, body) of one request, redirects and error statuses included; ``user`` logs in."""
    headers = {}
    if user is not None:
        token = base64.b64encode(f"{user.username}:{EXCHANGE_PASSWORD}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.build_opener(NoRedirects).open(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_exchange_url_without_its_trailing_slash_answers_the_protocol(exchange_url, exchange_user, method):
    url = f"{exchange_url.rstrip('/')}?type=sale&mode=checkauth"

    status, headers, body = http_reply(url, method=method, data=b"" if method == "POST" else None, user=exchange_user)

    assert status == 200
    assert headers.get_content_type() == "text/plain"
    assert body.split(b"\n")[0] == b"success"
    assert ExchangeSession.objects.count() == 1


def test_the_exchange_url_name_still_reverses_to_the_configured_path():
    assert reverse("erp-exchange") == "/erp/exchange/"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_get_failure_in_plain_text(exchange_url, exchange_user, method):
    url = f"{exchange_url}?type=sale&mode=checkauth"

    status, headers, body = http_reply(url, method=method, data=b"x", user=exchange_user)

    assert status == 405
    assert headers["Allow"] == "GET, POST"
    assert headers["Content-Type"] == "text/plain; charset=windows-1251"
    lines = body.decode("windows-1251").split("\n")
    assert lines[0] == "failure"
    assert method in lines[1]
    assert not ExchangeSession.objects.exists()


def test_head_gets_the_failure_headers_without_a_body(exchange_url, exchange_user):
    url = f"{exchange_url}?type=sale&mode=checkauth"

    status, headers, body = http_reply(url, method="HEAD", user=exchange_user)

    assert status == 405
    assert headers["Allow"] == "GET, POST"
    assert headers.get_content_type() == "text/plain"
    assert body == b""


# --- Hostile and broken XML: a failure, and no order changes ---------------------------


HOSTILE = {
    "external entity": (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        "<КоммерческаяИнформация><Документ><Ид>{n}</Ид><Номер1С>&xxe;</Номер1С>"
        "<ЗначенияРеквизитов><ЗначениеРеквизита><Наименование>Проведен</Наименование><Значение>true</Значение>"
        "</ЗначениеРеквизита></ЗначенияРеквизитов></Документ></КоммерческаяИнформация>",
        "DTD",
    ),
    "entity expansion bomb": (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
        '<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>\n'
        "<КоммерческаяИнформация><Документ><Ид>{n}</Ид><Номер1С>&lol4;</Номер1С></Документ></КоммерческаяИнформация>",
        "DTD",
    ),
    "external DTD": (
        '<?xml version="1.0"?>\n<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd">\n'
        "<КоммерческаяИнформация><Документ><Ид>{n}</Ид></Документ></КоммерческаяИнформация>",
        "DTD",
    ),
    "undeclared entity": (
        '<?xml version="1.0"?>\n<КоммерческаяИнформация><Документ><Ид>{n}</Ид><Номер1С>&x;</Номер1С>'
        "</Документ></КоммерческаяИнформация>",
        "well-formed",
    ),
    "wrong root": ('<?xml version="1.0"?>\n<Other><Документ><Ид>{n}</Ид></Документ></Other>', "root"),
    "not xml": ("this is not xml {n}", "well-formed"),
    "empty": ("", "well-formed"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_xml_is_refused_and_changes_nothing(one_c, case):
    order = order_for(UserFactory(), "1000.00")
    text, reason = HOSTILE[case]
    one_c.upload("orders.xml", text.replace("{n}", str(order.number)).encode("utf-8") or b" ")

    assert_refused(lambda: one_c.import_file("orders.xml"), reason)

    assert not OrderErpState.objects.exists()
    assert not Lot.objects.exists()
    assert ExchangeFile.objects.get().status == "failed"
    # And the next call says the same, rather than importing half of it.
    assert_refused(lambda: one_c.import_file("orders.xml"))


def test_a_file_written_in_utf8_but_declaring_windows_1251_is_refused(one_c):
    order = order_for(UserFactory(), "1000.00")
    lying = answer_documents([str(order.number)], encoding="utf-8").replace(
        b'encoding="utf-8"', b'encoding="windows-1251"'
    )
    one_c.upload("orders.xml", lying)

    assert_refused(lambda: one_c.import_file("orders.xml"), "UTF-8")
    assert not OrderErpState.objects.exists()


def test_a_file_written_in_windows_1251_but_declaring_utf8_is_refused(one_c):
    order = order_for(UserFactory(), "1000.00")
    lying = answer_documents([str(order.number)]).replace(b'encoding="windows-1251"', b'encoding="utf-8"')
    one_c.upload("orders.xml", lying)

    assert_refused(lambda: one_c.import_file("orders.xml"), "utf-8")
    assert not OrderErpState.objects.exists()


@pytest.mark.parametrize("encoding", ["koi8-r", "utf-16"])
def test_other_encodings_are_refused(one_c, encoding):
    order = order_for(UserFactory(), "1000.00")
    data = answer_documents([str(order.number)], encoding=encoding)
    one_c.upload("orders.xml", data)

    assert_refused(lambda: one_c.import_file("orders.xml"))
    assert not OrderErpState.objects.exists()


def test_a_truncated_file_applies_none_of_its_complete_documents(one_c):
    first, second = order_for(UserFactory(), "1000.00"), order_for(UserFactory(), "2000.00")
    data = answer_documents([str(first.number), str(second.number)], version=1)
    one_c.upload("orders.xml", data[: len(data) - 60])

    assert_refused(lambda: one_c.import_file("orders.xml"), "well-formed")
    assert not OrderErpState.objects.exists()
    assert not Lot.objects.exists()


def test_an_unknown_order_and_a_non_numeric_amount_fail_alone_and_the_reply_says_why(one_c):
    known = order_for(UserFactory(), "1000.00")
    bad_amount = order_for(UserFactory(), "1000.00")
    data = answer_documents([str(known.number), "999999", (str(bad_amount.number), [("x", "12,5O")])], version=1)
    one_c.upload("orders.xml", data)

    reply = one_c.import_file("orders.xml")[-1]

    assert reply.status == "success"
    text = "\n".join(reply.lines)
    assert "999999" in text
    assert "12,5O" in text
    assert list(OrderErpState.objects.values_list("order__number", flat=True)) == [str(known.number)]
    documents = ExchangeDocument.objects.order_by("position")
    assert [(doc.position, doc.status) for doc in documents] == [(0, "applied"), (1, "skipped"), (2, "failed")]


# --- Versions -----------------------------------------------------------------------


def test_the_same_version_twice_or_an_older_one_later_changes_nothing(one_c):
    order = order_for(UserFactory(), "1000.00")
    one_c.send("v5.xml", answer_documents([str(order.number)], version=5, erp_prefix="NEW-"), zipped=False)
    one_c.send("v5-again.xml", answer_documents([str(order.number)], version=5, erp_prefix="NEW-"), zipped=False)
    one_c.send(
        "v3.xml", answer_documents([str(order.number)], version=3, erp_prefix="OLD-", cancelled=True), zipped=False
    )

    order.refresh_from_db()
    assert order.erp_state.erp_number == f"NEW-{order.number}"
    assert order.status != "Cancelled"
    assert Lot.objects.filter(order_number=order.number).count() == 1
    statuses = list(ExchangeDocument.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == ["applied", "unchanged", "unchanged"]


@pytest.mark.parametrize(
    "declaration",
    [
        '<?xml version="1.0"' + " " * 300 + 'encoding="windows-1251"?>',
        '<?xml version="1.0"\r\n' + "\t" * 250 + 'encoding="windows-1251"\r\n   standalone="yes"  ?>',
    ],
)
def test_the_whole_xml_declaration_is_read_however_long(one_c, declaration):
    order = order_for(UserFactory(), "1000.00")
    data = answer_documents([str(order.number)], version=1).replace(
        b'<?xml version="1.0" encoding="windows-1251"?>', declaration.encode("ascii")
    )
    assert "Проведен".encode("cp1251") in data

    one_c.send("orders.xml", data, zipped=False)

    assert OrderErpState.objects.get(order=order).posted


def test_a_declaration_that_never_ends_is_refused(one_c):
    one_c.upload("orders.xml", b'<?xml version="1.0"' + b" " * (100 * 1024))

    assert_refused(lambda: one_c.import_file("orders.xml"), "declaration")
