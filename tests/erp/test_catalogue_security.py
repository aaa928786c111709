"""Hostile or broken catalogue uploads get a clear ``failure`` and change nothing (real HTTP on loopback)."""

import io
import os
import urllib.request
import zipfile

import pytest
from oscar.core.loading import get_model

from erp_sync.client import ExchangeClient, ExchangeError
from tests.erp.catalogue_files import GROUPS_3, Item, import_xml
from tests.erp.conftest import EXCHANGE_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

Product = get_model("catalogue", "Product")
Category = get_model("catalogue", "Category")
ExchangeFile = get_model("erp_sync", "ExchangeFile")
ExchangeSession = get_model("erp_sync", "ExchangeSession")
CatalogueImport = get_model("erp_sync", "CatalogueImport")

ITEMS = [Item("p-1", "Фонарь", "g3-lights"), Item("p-2", "Замок", "g3-locks")]


@pytest.fixture
def catalog(exchange_url, exchange_user):
    client = ExchangeClient(exchange_url, exchange_user.username, EXCHANGE_PASSWORD, exchange_type="catalog")
    client.checkauth()
    client.init()
    return client


def refused(call, reason=""):
    with pytest.raises(ExchangeError) as error:
        call()
    assert reason in str(error.value)


def nothing_imported():
    return not Product.objects.exists() and not Category.objects.exists()


def test_no_credentials_no_catalogue_session(exchange_url, exchange_user):
    with urllib.request.urlopen(f"{exchange_url}?type=catalog&mode=checkauth", timeout=30) as response:
        assert response.read().split(b"\n")[0] == b"failure"
    refused(ExchangeClient(exchange_url, exchange_user.username, "wrong", exchange_type="catalog").checkauth)
    assert not ExchangeSession.objects.exists()


HOSTILE = {
    "external entity": (
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        "<КоммерческаяИнформация><Каталог><Товары><Товар><Ид>p-1</Ид><Наименование>&xxe;</Наименование>"
        "</Товар></Товары></Каталог></КоммерческаяИнформация>",
        "DTD",
    ),
    "entity expansion bomb": (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n'
        "<КоммерческаяИнформация><Каталог><Товары><Товар><Ид>p-1</Ид><Наименование>&lol3;</Наименование>"
        "</Товар></Товары></Каталог></КоммерческаяИнформация>",
        "DTD",
    ),
    "external DTD": (
        '<?xml version="1.0"?>\n<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd">\n<КоммерческаяИнформация/>',
        "DTD",
    ),
    "undeclared entity": (
        '<?xml version="1.0"?>\n<КоммерческаяИнформация><Каталог><Товары><Товар><Ид>p-1</Ид>'
        "<Наименование>&x;</Наименование></Товар></Товары></Каталог></КоммерческаяИнформация>",
        "well-formed",
    ),
    "wrong root": ('<?xml version="1.0"?>\n<Catalog><Товар><Ид>p-1</Ид></Товар></Catalog>', "root"),
    "not xml": ("this is not xml", "well-formed"),
    "empty": (" ", "well-formed"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_xml_is_refused_and_changes_nothing(catalog, case):
    text, reason = HOSTILE[case]
    catalog.upload("import.xml", text.encode("utf-8"))

    refused(lambda: catalog.import_file("import.xml"), reason)

    assert nothing_imported()
    assert ExchangeFile.objects.get().status == "failed"
    assert CatalogueImport.objects.get().status == "failed"
    refused(lambda: catalog.import_file("import.xml"))  # and again, rather than half of it


def test_a_truncated_file_applies_none_of_its_complete_products(catalog):
    data = import_xml(GROUPS_3, ITEMS)
    catalog.upload("import.xml", data[: data.rindex("</Товары>".encode())])  # both products complete, the file not

    refused(lambda: catalog.import_file("import.xml"), "well-formed")
    assert nothing_imported()


@pytest.mark.parametrize(
    ("written", "declared", "reason"),
    [("utf-8", "windows-1251", "UTF-8"), ("windows-1251", "utf-8", "utf-8")],
)
def test_a_file_whose_declaration_lies_about_its_encoding_is_refused(catalog, written, declared, reason):
    data = import_xml(GROUPS_3, ITEMS, encoding=written).replace(
        f'encoding="{written}"'.encode(), f'encoding="{declared}"'.encode()
    )
    catalog.upload("import.xml", data)

    refused(lambda: catalog.import_file("import.xml"), reason)
    assert nothing_imported()


@pytest.mark.parametrize("encoding", ["koi8-r", "utf-16"])
def test_other_encodings_are_refused(catalog, encoding):
    text = import_xml(GROUPS_3, ITEMS).decode("utf-8").replace('encoding="utf-8"', f'encoding="{encoding}"')
    catalog.upload("import.xml", text.encode(encoding))

    refused(lambda: catalog.import_file("import.xml"))
    assert nothing_imported()


@pytest.mark.parametrize("filename", ["../../escape.xml", "import_files/../../escape.xml", "a/\x00.xml"])
def test_path_traversal_in_the_file_name_is_refused(catalog, settings, filename):
    refused(lambda: catalog.upload(filename, b"<x/>"))
    refused(lambda: catalog.call("import", params={"filename": filename}))
    assert not os.path.exists(os.path.join(settings.ERP_SYNC_EXCHANGE_DIR, "escape.xml"))


def test_a_zip_bomb_and_a_traversing_member_are_refused_before_anything_is_unpacked(catalog, settings):
    settings.ERP_SYNC_EXCHANGE_MAX_FILE_SIZE = 5 * 1024 * 1024
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("import.xml", b"\0" * (50 * 1024 * 1024))
    catalog.upload("import_files.zip", bomb.getvalue())

    refused(lambda: catalog.import_file("import.xml"), "zip bomb")

    catalog.init()
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../../import.xml", import_xml(GROUPS_3, ITEMS))
    catalog.upload("import_files.zip", evil.getvalue())
    refused(lambda: catalog.import_file("import.xml"))
    assert nothing_imported()


def test_an_archive_with_a_traversing_member_is_refused_the_same_way_every_time(catalog, settings):
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../../import.xml", import_xml(GROUPS_3, ITEMS))
    catalog.upload("catalog.zip", evil.getvalue())

    replies = [catalog.call("import", params={"filename": "catalog.zip"}, check=False) for _n in range(3)]

    assert [reply.status for reply in replies] == ["failure"] * 3
    assert all(reply.lines == replies[0].lines for reply in replies), replies
    assert "not allowed" in replies[0].lines[0]
    assert not os.path.exists(os.path.join(os.path.dirname(settings.ERP_SYNC_EXCHANGE_DIR), "import.xml"))
    assert nothing_imported()


def test_a_file_over_the_size_limit_is_refused(catalog, settings):
    settings.ERP_SYNC_EXCHANGE_MAX_FILE_SIZE = 2000
    data = import_xml(GROUPS_3, ITEMS * 20)

    refused(lambda: catalog.upload("import.xml", data, chunk_size=1000), "larger")
    assert nothing_imported()


def test_a_picture_path_outside_the_session_directory_is_ignored(catalog, settings, tmp_path):
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(b"not for the shop")
    items = [Item("p-1", "Фонарь", "g3-lights", images=("../../secret.jpg", str(secret), "import_files/none.jpg"))]
    catalog.upload("import.xml", import_xml(GROUPS_3, items))

    assert catalog.import_file("import.xml")[-1].status == "success"
    assert not Product.objects.get().images.exists()
