"""Importing catalogue files into Oscar: products, categories, attributes, margin groups, prices and stock.

The files are imported as the command does (from disk, step by step); the
exchange's HTTP side is in ``test_catalogue_exchange``.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oscar.core.loading import get_model

from erp_sync.exchange.catalogue import runs
from tests.erp.catalogue_files import (
    MAIN_STORE,
    SHOWROOM,
    WHOLESALE,
    Item,
    OfferRow,
    import_xml,
    offers_xml,
)

pytestmark = pytest.mark.django_db

Product = get_model("catalogue", "Product")
Category = get_model("catalogue", "Category")
StockRecord = get_model("partner", "StockRecord")
Partner = get_model("partner", "Partner")
ProductAttributeValue = get_model("catalogue", "ProductAttributeValue")
MarginGroup = get_model("oscar_loyalty", "MarginGroup")
MarginGroupAssignment = get_model("oscar_loyalty", "MarginGroupAssignment")
ErpProduct = get_model("erp_sync", "ErpProduct")
CatalogueImport = get_model("erp_sync", "CatalogueImport")

BIKES, ROAD, HELMETS = "g-bikes", "g-road", "g-helmets"
GROUPS = [(BIKES, "Велосипеды", ""), (ROAD, "Шоссейные", BIKES), (HELMETS, "Шлемы", "")]
ROAD_BIKE = "p-0001"
HELMET = "p-0002"
JERSEY = "p-0003"


def items():
    return [
        Item(
            ROAD_BIKE,
            "Велосипед Volna Road 105",
            ROAD,
            article="VR-105",
            barcode="4601234567890",
            margin="low",
            description="Шоссейный велосипед, 2×12.",
        ),
        Item(HELMET, "Шлем Vektor Road MIPS", HELMETS, article="VH-01", margin="high", margin_as_property=True),
        Item(JERSEY, "Веломайка «Сокол»", HELMETS, article="VJ-02", margin="Сезонная распродажа"),
    ]


def offers():
    return [
        OfferRow(ROAD_BIKE, retail="129900", wholesale="99000", quantity="6"),
        OfferRow(HELMET, retail="12900.50", quantity="15"),
        OfferRow(
            f"{JERSEY}#c-red-m",
            name="Веломайка «Сокол» (красная, M)",
            retail="3500",
            quantity="4",
            characteristics={"Цвет": "красный", "Размер": "M"},
        ),
        OfferRow(f"{JERSEY}#c-blue-l", name="Веломайка «Сокол» (синяя, L)", retail="3600", quantity="2"),
    ]


def load(tmp_path, name, data, *, budget=float("inf")):
    path = tmp_path / name
    path.write_bytes(data)
    run = runs.start(name, str(path))
    steps = 0
    while not runs.step(run, str(path), directory=str(tmp_path), budget=budget):
        steps += 1
        assert steps < 1000
    run.refresh_from_db()
    return run


def product(erp_id):
    return ErpProduct.objects.select_related("product").get(erp_id=erp_id).product


def test_a_full_catalogue_becomes_categories_products_variants_prices_and_stock(tmp_path):
    products_run = load(tmp_path, "import.xml", import_xml(GROUPS, items()))
    offers_run = load(tmp_path, "offers.xml", offers_xml(offers()))

    assert (products_run.status, products_run.created, products_run.failed) == ("finished", 3, 0)
    road = Category.objects.get(name="Шоссейные")
    assert road.get_parent().name == "Велосипеды"
    bike = product(ROAD_BIKE)
    assert bike.title == "Велосипед Volna Road 105"
    assert bike.upc == "4601234567890"
    assert bike.description == "Шоссейный велосипед, 2×12."
    assert bike.product_class.name == "Товар"
    assert list(bike.categories.all()) == [road]
    assert {v.attribute.code: v.value_text for v in ProductAttributeValue.objects.filter(product=bike)} == {
        "article": "VR-105",
        "unit": "Штука",
    }
    # Margin groups: by code from a requisite, by a property's reference value, and a new one at 1.0.
    assert MarginGroupAssignment.objects.get(product=bike).group.code == "low"
    assert MarginGroupAssignment.objects.get(product=product(HELMET)).group.code == "high"
    sale = MarginGroupAssignment.objects.get(product=product(JERSEY)).group
    assert (sale.name, sale.coefficient) == ("Сезонная распродажа", Decimal("1.000"))

    assert (offers_run.status, offers_run.created, offers_run.failed) == ("finished", 4, 0)
    record = StockRecord.objects.get(product=bike)
    assert (record.price, record.price_currency, record.num_in_stock) == (Decimal("129900.00"), "RUB", 6)
    assert StockRecord.objects.get(product=product(HELMET)).price == Decimal("12900.50")
    jersey = product(JERSEY)
    assert jersey.structure == Product.PARENT
    red = product(f"{JERSEY}#c-red-m")
    assert (red.parent_id, red.structure, red.title) == (jersey.pk, Product.CHILD, "Веломайка «Сокол» (красная, M)")
    assert StockRecord.objects.get(product=red).num_in_stock == 4
    assert not StockRecord.objects.filter(product=jersey).exists()


def test_the_same_files_twice_change_nothing(tmp_path):
    load(tmp_path, "import.xml", import_xml(GROUPS, items()))
    load(tmp_path, "offers.xml", offers_xml(offers()))
    before = sorted(Product.objects.values_list("pk", "date_updated", "title", "is_public", "structure"))
    stock_before = sorted(StockRecord.objects.values_list("pk", "date_updated", "price", "num_in_stock"))

    again = load(tmp_path, "import.xml", import_xml(GROUPS, items()))
    offers_again = load(tmp_path, "offers.xml", offers_xml(offers()))

    assert (again.created, again.updated, again.unchanged, again.unavailable) == (0, 0, 3, 0)
    assert (offers_again.created, offers_again.updated, offers_again.unchanged) == (0, 0, 4)
    assert sorted(Product.objects.values_list("pk", "date_updated", "title", "is_public", "structure")) == before
    assert sorted(StockRecord.objects.values_list("pk", "date_updated", "price", "num_in_stock")) == stock_before
    assert Category.objects.count() == 3
    assert MarginGroup.objects.count() == 4


def test_a_partial_file_updates_only_what_it_holds(tmp_path):
    load(tmp_path, "import.xml", import_xml(GROUPS, items()))
    load(tmp_path, "offers.xml", offers_xml(offers()))
    renamed = [Item(HELMET, "Шлем Vektor Road MIPS 2", HELMETS, article="VH-01", margin="low")]

    run = load(tmp_path, "import.xml", import_xml(GROUPS, renamed, full=False))
    offers_run = load(tmp_path, "offers.xml", offers_xml([OfferRow(HELMET, retail=None, quantity="3")], full=False))

    assert (run.created, run.updated, run.unavailable) == (0, 1, 0)
    assert product(HELMET).title == "Шлем Vektor Road MIPS 2"
    assert MarginGroupAssignment.objects.get(product=product(HELMET)).group.code == "low"
    assert product(ROAD_BIKE).is_public
    helmet_stock = StockRecord.objects.get(product=product(HELMET))
    assert (helmet_stock.price, helmet_stock.num_in_stock) == (Decimal("12900.50"), 3)  # no price sent: kept
    assert StockRecord.objects.get(product=product(ROAD_BIKE)).num_in_stock == 6
    assert offers_run.updated == 1


def test_a_full_upload_makes_what_it_omits_unavailable_and_deletes_nothing(tmp_path):
    load(tmp_path, "import.xml", import_xml(GROUPS, items()))
    load(tmp_path, "offers.xml", offers_xml(offers()))

    run = load(tmp_path, "import.xml", import_xml(GROUPS, items()[:1]))
    offers_run = load(tmp_path, "offers.xml", offers_xml(offers()[:1]))

    assert run.unavailable == 2
    assert not product(HELMET).is_public and not product(JERSEY).is_public
    assert product(ROAD_BIKE).is_public
    assert offers_run.unavailable == 3
    assert StockRecord.objects.get(product=product(HELMET)).num_in_stock == 0
    assert StockRecord.objects.get(product=product(ROAD_BIKE)).num_in_stock == 6
    assert Product.objects.count() == 5

    # Listed again, the helmet comes back.
    load(tmp_path, "import.xml", import_xml(GROUPS, items()))
    assert product(HELMET).is_public


def test_bad_products_and_offers_are_listed_and_the_rest_of_the_file_is_applied(tmp_path):
    bad_items = [
        *items(),
        Item("p-unknown-group", "Товар из неизвестной группы", "g-nowhere"),
        Item(ROAD_BIKE, "Дубль", ROAD),
        Item("p-0004", "Фляга 750 мл", HELMETS),
    ]
    run = load(tmp_path, "import.xml", import_xml(GROUPS, bad_items))
    bad_offers = [
        *offers(),
        OfferRow("p-missing", retail="10"),
        OfferRow("p-missing#c-1", retail="10"),
        OfferRow(HELMET, retail="20"),
        OfferRow("p-0004", retail="двести"),
    ]
    negative = OfferRow("p-0004", retail="200", quantity="-3")
    offers_run = load(tmp_path, "offers.xml", offers_xml([*bad_offers]))
    negative_run = load(tmp_path, "rests.xml", offers_xml([negative], full=False))

    assert (run.created, run.failed) == (4, 2)
    reasons = {error["id"]: error["error"] for error in run.errors}
    assert "g-nowhere" in reasons["p-unknown-group"]
    assert "twice" in reasons[ROAD_BIKE]
    assert product(ROAD_BIKE).title == "Велосипед Volna Road 105"
    assert not ErpProduct.objects.filter(erp_id="p-unknown-group").exists()
    assert not Product.objects.filter(title="Товар из неизвестной группы").exists()

    assert (offers_run.created, offers_run.failed) == (4, 4)
    reasons = {error["id"]: error["error"] for error in offers_run.errors}
    assert set(reasons) == {"p-missing", "p-missing#c-1", HELMET, "p-0004"}
    assert "двести" in reasons["p-0004"]
    assert StockRecord.objects.get(product=product(HELMET)).price == Decimal("12900.50")  # the first one counts
    assert not StockRecord.objects.filter(product=product("p-0004")).exists()  # no half-written offer
    assert negative_run.failed == 1 and "negative" in negative_run.errors[0]["error"]


@pytest.mark.parametrize(
    "bad",
    [
        OfferRow(HELMET, retail="1E+30"),
        OfferRow(HELMET, retail="12900", wholesale="1E+1000000"),
        OfferRow(HELMET, retail="12900", quantity=None, stores={"w-1": "1E+1000000"}),
        OfferRow(HELMET, retail="12900", quantity="-1E+1000000"),
    ],
    ids=["price", "other price", "warehouse stock", "quantity"],
)
def test_an_absurd_price_or_stock_fails_its_offer_and_the_rest_of_the_file_is_applied(tmp_path, bad):
    load(tmp_path, "import.xml", import_xml(GROUPS, items()))
    load(tmp_path, "offers.xml", offers_xml(offers()))
    before = StockRecord.objects.get(product=product(HELMET)).price

    run = load(tmp_path, "rests.xml", offers_xml([bad, OfferRow(ROAD_BIKE, retail="120000", quantity="4")], full=False))

    assert (run.status, run.updated, run.failed) == ("finished", 1, 1)
    assert run.errors[0]["id"] == HELMET and "range" in run.errors[0]["error"]
    assert StockRecord.objects.get(product=product(HELMET)).price == before
    assert StockRecord.objects.get(product=product(ROAD_BIKE)).num_in_stock == 4


def test_price_type_warehouses_and_tax_follow_the_settings(tmp_path, settings):
    settings.ERP_SYNC_CATALOGUE_PRICE_TYPE = "Оптовая"
    settings.ERP_SYNC_CATALOGUE_TAX_RATE = 20
    settings.ERP_SYNC_CATALOGUE_WAREHOUSES = ["Основной склад"]
    load(tmp_path, "import.xml", import_xml(GROUPS, items()))
    rows = [OfferRow(ROAD_BIKE, retail="129900", wholesale="99000", quantity=None, stores={MAIN_STORE: 4, SHOWROOM: 1})]

    load(tmp_path, "offers.xml", offers_xml(rows, warehouses=[(MAIN_STORE, "Основной склад"), (SHOWROOM, "Шоурум")]))

    record = StockRecord.objects.get(product=product(ROAD_BIKE))
    assert record.price == Decimal("118800.00")  # 99,000 without VAT, plus 20%
    assert record.num_in_stock == 4  # the showroom is not counted
    assert WHOLESALE


def test_steps_resume_where_the_last_one_stopped(tmp_path, settings):
    settings.ERP_SYNC_CATALOGUE_BATCH_SIZE = 1
    path = tmp_path / "import.xml"
    path.write_bytes(import_xml(GROUPS, items()))
    run = runs.start("import.xml", str(path))

    finished = [runs.step(run, str(path), budget=0) for _step in range(4)]

    assert finished == [False, False, True, True]  # the last batch finishes the run; a late step changes nothing
    run.refresh_from_db()
    assert (run.items_done, run.created, run.status) == (3, 3, "finished")


def test_queries_grow_with_batches_not_products(tmp_path, settings):
    def queries(count):
        settings.ERP_SYNC_CATALOGUE_BATCH_SIZE = count
        rows = [Item(f"q-{count}-{n}", f"Товар {n}", HELMETS, article=f"A-{n}", margin="high") for n in range(count)]
        path = tmp_path / f"import-{count}.xml"
        path.write_bytes(import_xml(GROUPS, rows, full=False))
        run = runs.start(path.name, str(path))
        with CaptureQueriesContext(connection) as captured:
            runs.step(run, str(path))
        return len(captured)

    queries(2)  # the groups, classes and attributes exist from here on
    assert queries(5) == queries(20)  # within what one statement of the database holds


def test_a_product_1c_marks_deleted_is_made_unavailable_not_deleted(tmp_path):
    load(tmp_path, "import.xml", import_xml(GROUPS, items()))
    deleted = [Item(HELMET, "Шлем Vektor Road MIPS", HELMETS, extra="<Статус>Удален</Статус>")]

    run = load(tmp_path, "import.xml", import_xml(GROUPS, deleted, full=False))

    assert run.unavailable == 1
    assert not product(HELMET).is_public
    assert product(ROAD_BIKE).is_public


def test_margin_groups_can_follow_the_classifier_and_characteristics_become_attributes(tmp_path, settings):
    settings.ERP_SYNC_CATALOGUE_MARGIN_GROUP_SOURCE = None
    settings.ERP_SYNC_CATALOGUE_MARGIN_GROUP_FROM_CLASSIFIER = True
    settings.ERP_SYNC_CATALOGUE_ATTRIBUTES = {"Цвет": "colour", "Производитель": "brand"}
    load(tmp_path, "import.xml", import_xml(GROUPS, items()))

    load(tmp_path, "offers.xml", offers_xml(offers()))

    helmets = MarginGroupAssignment.objects.get(product=product(HELMET)).group
    assert (helmets.name, helmets.coefficient) == ("Шлемы", Decimal("1.000"))
    assert MarginGroupAssignment.objects.get(product=product(ROAD_BIKE)).group.name == "Шоссейные"
    values = ProductAttributeValue.objects.filter(product=product(f"{JERSEY}#c-red-m"))
    assert {value.attribute.code: value.value_text for value in values} == {"colour": "красный"}
    assert ProductAttributeValue.objects.get(product=product(ROAD_BIKE), attribute__code="brand").value_text == "Volna"


def test_a_warehouse_mapped_to_a_partner_gets_a_stock_record_of_its_own(tmp_path, settings):
    settings.ERP_SYNC_CATALOGUE_PARTNER = "Velo Warehouse"
    settings.ERP_SYNC_CATALOGUE_WAREHOUSE_PARTNERS = {"Шоурум": "Showroom on Nevsky"}
    load(tmp_path, "import.xml", import_xml(GROUPS, items()))
    warehouses = [(MAIN_STORE, "Основной склад"), (SHOWROOM, "Шоурум")]
    rows = [
        OfferRow(ROAD_BIKE, retail="129900", wholesale="99000", quantity=None, stores={MAIN_STORE: 4, SHOWROOM: 2}),
        OfferRow(HELMET, retail="12900", wholesale="9000", quantity=None, stores={MAIN_STORE: 7}),
    ]

    first = load(tmp_path, "offers.xml", offers_xml(rows, warehouses=warehouses))

    bike = {r.partner.name: (r.num_in_stock, r.price) for r in StockRecord.objects.filter(product=product(ROAD_BIKE))}
    assert bike == {"Velo Warehouse": (4, Decimal("129900")), "Showroom on Nevsky": (2, Decimal("129900"))}
    helmet = StockRecord.objects.filter(product=product(HELMET))
    assert [r.partner.name for r in helmet] == ["Velo Warehouse"]  # no showroom stock sent: no record there
    assert (first.created, first.updated, first.failed) == (2, 0, 0)  # offers, not records, are counted

    again = load(tmp_path, "offers.xml", offers_xml(rows, warehouses=warehouses))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert StockRecord.objects.count() == 3

    prices = [OfferRow(ROAD_BIKE, retail="119900", wholesale="90000", quantity=None)]
    load(tmp_path, "prices.xml", offers_xml(prices, full=False))
    bike = {r.partner.name: (r.num_in_stock, r.price) for r in StockRecord.objects.filter(product=product(ROAD_BIKE))}
    assert bike == {"Velo Warehouse": (4, Decimal("119900")), "Showroom on Nevsky": (2, Decimal("119900"))}

    load(tmp_path, "offers.xml", offers_xml(rows[1:], warehouses=warehouses))  # a full upload without the bike
    assert set(StockRecord.objects.filter(product=product(ROAD_BIKE)).values_list("num_in_stock", flat=True)) == {0}


def test_a_products_own_vat_rate_is_added_to_prices_without_tax(tmp_path, settings):
    settings.ERP_SYNC_CATALOGUE_PRICE_TYPE = "Оптовая"  # declared with УчтеноВСумме=false
    settings.ERP_SYNC_CATALOGUE_TAX_RATE = 20
    road_bike, helmet, jersey = items()
    road_bike.vat, helmet.vat, jersey.vat = "10", "Без НДС", None
    load(tmp_path, "import.xml", import_xml(GROUPS, [road_bike, helmet, jersey]))
    rows = [
        OfferRow(ROAD_BIKE, wholesale="1000", retail=None),
        OfferRow(HELMET, wholesale="1000", retail=None),
        OfferRow(JERSEY, wholesale="1000", retail=None),
        OfferRow(f"{ROAD_BIKE}#c-red", wholesale="1000", retail=None),  # a variant is taxed as its product
    ]

    load(tmp_path, "offers.xml", offers_xml(rows))

    prices = {erp_id: StockRecord.objects.get(product=product(erp_id)).price for erp_id in (HELMET, JERSEY)}
    assert prices == {HELMET: Decimal("1000.00"), JERSEY: Decimal("1200.00")}  # exempt; the setting's 20%
    assert StockRecord.objects.get(product=product(f"{ROAD_BIKE}#c-red")).price == Decimal("1100.00")
    assert ErpProduct.objects.get(erp_id=ROAD_BIKE).vat_rate == Decimal("10")

    road_bike.vat = "20"  # the rate changes in the accounting system: the product is applied again
    again = load(tmp_path, "import.xml", import_xml(GROUPS, [road_bike, helmet, jersey]))
    assert (again.updated, again.unchanged) == (1, 2)
    assert ErpProduct.objects.get(erp_id=ROAD_BIKE).vat_rate == Decimal("20")


def test_a_vat_rate_that_is_no_percentage_fails_its_product_alone(tmp_path):
    road_bike, helmet, jersey = items()
    road_bike.vat = "двадцать"

    run = load(tmp_path, "import.xml", import_xml(GROUPS, [road_bike, helmet, jersey]))

    assert (run.created, run.failed) == (2, 1)
    assert "Ставка" in run.errors[0]["error"] and run.errors[0]["id"] == ROAD_BIKE
