"""The catalogue arrives over real HTTP on loopback exactly as 1C sends it.

checkauth → init → each file POSTed in chunks of ``file_limit`` (or all of
them in one zip archive, pictures included) → ``import`` for import.xml,
then offers.xml (or prices and rests files), repeated while the shop answers
``progress``, until ``success``.
"""

import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from oscar.core.loading import get_model

from erp_sync.client import ExchangeClient, ExchangeError
from tests.erp.catalogue_files import GROUPS_3, Item, OfferRow, import_xml, offers_xml
from tests.erp.conftest import EXCHANGE_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

Product = get_model("catalogue", "Product")
ProductImage = get_model("catalogue", "ProductImage")
Category = get_model("catalogue", "Category")
StockRecord = get_model("partner", "StockRecord")
MarginGroupAssignment = get_model("oscar_loyalty", "MarginGroupAssignment")
MarginGroup = get_model("oscar_loyalty", "MarginGroup")
ErpProduct = get_model("erp_sync", "ErpProduct")
CatalogueImport = get_model("erp_sync", "CatalogueImport")
ExchangeFile = get_model("erp_sync", "ExchangeFile")

UT11 = Path(__file__).parent / "files" / "ut11"
ROAD_BIKE = "a1c3e5f7-9c71-11e9-80f2-00155d0a6401"
HELMET = "a1c3e5f9-9c71-11e9-80f2-00155d0a6401"
JERSEY = "a1c3e5fa-9c71-11e9-80f2-00155d0a6401"
RED_M = f"{JERSEY}#b7d9f1a3-9c72-11e9-80f2-00155d0a6401"
# The smallest JPEG worth the name: a picture as 1C sends it under import_files/.
PICTURE = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c"
    "20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100ffc4001f0000010501010101010100"
    "000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114"
    "328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a63646566"
    "6768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3"
    "d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fbd3ffd9"
)


@pytest.fixture
def catalog(exchange_url, exchange_user, settings):
    """A 1C client on ``type=catalog``, logged in and initialised, with small chunks and short steps."""
    settings.ERP_SYNC_EXCHANGE_FILE_LIMIT = 1500
    settings.ERP_SYNC_EXCHANGE_STEP_SECONDS = 0  # one batch per step: progress, progress, ..., success
    settings.ERP_SYNC_CATALOGUE_BATCH_SIZE = 2
    settings.ERP_SYNC_CATALOGUE_PRICE_TYPE = "Розничная"  # 1C:Trade Management declares the wholesale type first
    client = ExchangeClient(exchange_url, exchange_user.username, EXCHANGE_PASSWORD, exchange_type="catalog")
    client.checkauth()
    client.init()
    return client


def send_zipped(client, files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    client.upload("import_files.zip", buffer.getvalue())


def product(erp_id):
    return ErpProduct.objects.select_related("product").get(erp_id=erp_id).product


@pytest.mark.parametrize("zipped", [False, True])
def test_a_catalogue_as_1c_trade_management_writes_it_arrives_whole(catalog, zipped):
    files = {name: (UT11 / name).read_bytes() for name in ("import.xml", "offers.xml")}
    picture = "import_files/a1/a1c3e5f7-9c71-11e9-80f2-00155d0a6401_b2d4.jpg"
    assert catalog.zip and catalog.file_limit == 1500

    if zipped:
        send_zipped(catalog, {**files, picture: PICTURE})
    else:
        for name, data in [*files.items(), (picture, PICTURE)]:
            replies = catalog.upload(name, data)
            assert {reply.status for reply in replies} == {"success"}
            assert len(replies) == -(-len(data) // 1500)  # chunks of file_limit, appended by the shop
    products = catalog.import_file("import.xml")
    offers = catalog.import_file("offers.xml")

    assert [reply.status for reply in products] == ["progress", "success"]
    assert [reply.status for reply in offers] == ["progress", "progress", "success"]
    assert offers[-1].lines == ["Import finished."]
    bike = product(ROAD_BIKE)
    assert (bike.title, bike.upc, bike.product_class.name) == (
        "Велосипед шоссейный Volna Road 105",
        "4607001230016",
        "Велосипед",
    )
    assert [c.full_name for c in bike.categories.all()] == ["Велосипеды > Шоссейные велосипеды"]
    assert ProductImage.objects.filter(product=bike).count() == 1
    assert MarginGroupAssignment.objects.get(product=bike).group.code == "low"
    assert MarginGroupAssignment.objects.get(product=product(HELMET)).group.code == "high"
    assert MarginGroup.objects.get(name="Распродажа").coefficient == 1
    record = StockRecord.objects.get(product=bike)
    assert (record.price, record.price_currency, record.num_in_stock) == (Decimal("129900.00"), "RUB", 6)
    red = product(RED_M)
    assert red.parent_id == product(JERSEY).pk and StockRecord.objects.get(product=red).price == Decimal("3500.00")
    runs = CatalogueImport.objects.order_by("pk")
    assert [(run.name, run.status, run.created, run.failed) for run in runs] == [
        ("import.xml", "finished", 4, 0),
        ("offers.xml", "finished", 5, 0),
    ]
    assert ExchangeFile.objects.get(name="offers.xml").status == "imported"


def test_the_3_1_exchange_sends_a_container_and_separate_prices_and_rests(catalog):
    items = [Item("p-1", "Фонарь Луч 1200", "g3-lights", article="LL-1200"), Item("p-2", "Замок U-lock", "g3-locks")]
    catalog.upload("import0_1.xml", import_xml(GROUPS_3, items, version="3.1", namespace="3"))
    catalog.upload(
        "offers0_1.xml",
        offers_xml(
            [OfferRow("p-1", retail=None, quantity=None), OfferRow("p-2", retail=None, quantity=None)],
            version="3.1",
            namespace="3",
        ),
    )
    catalog.upload(
        "prices0_1.xml",
        offers_xml(
            [OfferRow("p-1", retail="5900"), OfferRow("p-2", retail="4900", quantity=None)],
            version="3.1",
            namespace="3",
            declare_price_types=False,
            full=False,
        ),
    )
    catalog.upload(
        "rests0_1.xml",
        offers_xml(
            [
                OfferRow("p-1", retail=None, quantity=None, stores={"s-1": "30"}),
                OfferRow("p-2", retail=None, quantity=None, stores={"s-1": "2.5"}),
            ],
            version="3.1",
            namespace="3",
            declare_price_types=False,
            full=False,
        ),
    )

    for name in ("import0_1.xml", "offers0_1.xml", "prices0_1.xml", "rests0_1.xml"):
        assert catalog.import_file(name)[-1].status == "success"

    lamp = StockRecord.objects.get(product=product("p-1"))
    lock = StockRecord.objects.get(product=product("p-2"))
    assert (lamp.price, lamp.num_in_stock) == (Decimal("5900.00"), 30)
    assert (lock.price, lock.num_in_stock) == (Decimal("4900.00"), 2)
    assert Category.objects.get(name="Фонари").get_parent().name == "Аксессуары"


def test_bad_products_get_warning_lines_after_success_and_the_rest_is_applied(catalog):
    items = [Item("p-1", "Фонарь", "g3-lights"), Item("p-2", "Без группы", "g-none"), Item("p-1", "Дубль", "g3-lights")]
    catalog.upload("import.xml", import_xml(GROUPS_3, items))
    catalog.upload(
        "offers.xml",
        offers_xml(
            [OfferRow("p-1", retail="abc"), OfferRow("p-9", retail="10"), OfferRow("p-1", retail="100", quantity="-1")]
        ),
    )

    products = catalog.import_file("import.xml")
    offers = catalog.import_file("offers.xml")

    assert products[-1].status == "success"
    assert products[-1].lines[0] == "Import finished."
    assert products[-1].lines[1] == "warning: import.xml: 2 products or offers could not be applied."
    assert any("g-none" in line for line in products[-1].lines)
    assert product("p-1").title == "Фонарь"
    assert offers[-1].lines[1] == "warning: offers.xml: 3 products or offers could not be applied."
    assert not StockRecord.objects.exists()


def test_the_catalogue_session_offers_only_its_modes_and_the_sale_session_not_catalogue_import(catalog, new_session):
    for mode in ("query", "success", "info"):
        with pytest.raises(ExchangeError, match="Unsupported mode"):
            catalog.call(mode)
    sale = new_session()
    sale.exchange_type = "catalog"
    with pytest.raises(ExchangeError, match="another exchange type"):
        sale.call("import", params={"filename": "import.xml"})
