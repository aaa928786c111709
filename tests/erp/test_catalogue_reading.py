"""Reading catalogue files is pure: any schema version, namespace or encoding 1C writes gives the same dataclasses."""

import tracemalloc
from decimal import Decimal

import pytest

from erp_sync.exchange.catalogue import reading
from tests.erp.catalogue_files import GROUPS_3, MAIN_STORE, RETAIL, Item, OfferRow, import_xml, offers_xml

ITEMS = [
    Item(
        "p-1",
        "Фонарь «Луч» 1200",
        "g3-lights",
        article="LL-1200",
        barcode="4601",
        margin="high",
        images=("import_files/ab/p1.jpg",),
    ),
    Item("p-2", "Замок U-lock", "g3-locks", margin="low", margin_as_property=True),
]


@pytest.mark.parametrize(
    ("version", "namespace", "encoding", "bom", "full_as_element"),
    [
        ("2.03", "", "windows-1251", False, True),
        ("2.04", "", "utf-8", True, True),
        ("2.05", "2", "windows-1251", False, False),
        ("2.08", "2", "utf-8", True, False),
        ("2.09", "", "utf-8", False, False),
        ("2.10", "2", "utf-8", False, False),
        ("3.1", "3", "utf-8", True, False),
        ("3.1", "3", "windows-1251", False, False),
    ],
)
def test_every_version_namespace_and_encoding_reads_alike(tmp_path, version, namespace, encoding, bom, full_as_element):
    path = tmp_path / "import.xml"
    path.write_bytes(
        import_xml(
            GROUPS_3,
            ITEMS,
            version=version,
            namespace=namespace,
            encoding=encoding,
            bom=bom,
            full_as_element=full_as_element,
        )
    )

    scan = reading.scan_file(str(path))
    items = list(reading.iter_catalogue(str(path)))

    assert (scan.items, scan.products, scan.full) == (2, 2, True)
    groups = [(g.erp_id, g.name, g.parent_id) for g in items if isinstance(g, reading.Group)]
    assert groups == GROUPS_3
    lamp, lock = [item for item in items if isinstance(item, reading.Product)]
    assert (lamp.erp_id, lamp.name, lamp.article, lamp.barcode, lamp.unit) == (
        "p-1",
        "Фонарь «Луч» 1200",
        "LL-1200",
        "4601",
        "Штука",
    )
    assert (lamp.groups, lamp.images, lamp.requisites["ГруппаМаржинальности"]) == (
        ["g3-lights"],
        ["import_files/ab/p1.jpg"],
        "high",
    )
    assert lock.properties["d4e5f6a7-3333-4000-8000-000000000001"] == ["m-low"]
    properties = {p.name: p.values for p in items if isinstance(p, reading.Property)}
    assert properties["ГруппаМаржинальности"] == {"m-high": "high", "m-low": "low"}
    if version == "3.1":
        assert [t.erp_id for t in items if isinstance(t, reading.PriceType)] == [RETAIL]
        assert [w.erp_id for w in items if isinstance(w, reading.Warehouse)] == [MAIN_STORE]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (OfferRow("o-1", retail="1 299,50", quantity="3.000"), ([Decimal("1299.50")], Decimal(3), {})),
        (OfferRow("o-1", retail=None, quantity=None, stores={"s1": "2", "s2": "5"}), (None, None, {"s1": 2, "s2": 5})),
        (OfferRow("o-1", retail="10", wholesale="8", quantity="0"), ([Decimal(8), Decimal(10)], Decimal(0), {})),
    ],
)
def test_offers_read_prices_quantities_and_warehouses(tmp_path, row, expected):
    path = tmp_path / "offers.xml"
    path.write_bytes(offers_xml([row], namespace="2"))

    offer = next(item for item in reading.iter_catalogue(str(path)) if isinstance(item, reading.Offer))

    prices = None if offer.prices is None else [price.amount for price in offer.prices]
    assert (prices, offer.quantity, offer.stocks) == expected
    assert offer.error == ""


@pytest.mark.parametrize(
    ("row", "error"),
    [
        (OfferRow("o-1", retail="сто"), "not a number"),
        (OfferRow("o-1", retail="-5"), "negative"),
        (OfferRow("o-1", quantity="-1"), "negative"),
        (OfferRow("o-1", retail=None, quantity=None, stores={"s1": "-2"}), "negative"),
        (OfferRow("", retail="5"), "no Ид"),
        (OfferRow("x" * 151, retail="5"), "longer"),
    ],
)
def test_a_bad_offer_carries_its_error_and_nothing_else_fails(tmp_path, row, error):
    path = tmp_path / "offers.xml"
    path.write_bytes(offers_xml([row, OfferRow("o-2")]))

    bad, good = [item for item in reading.iter_catalogue(str(path)) if isinstance(item, reading.Offer)]

    assert error in bad.error
    assert good.error == ""


def test_reading_resumes_at_a_position_and_passes_the_earlier_items_unread(tmp_path):
    path = tmp_path / "import.xml"
    path.write_bytes(import_xml(GROUPS_3, [Item(f"p-{n}", f"Товар {n}", "g3-locks") for n in range(10)]))

    products = [item for item in reading.iter_catalogue(str(path), start=7) if isinstance(item, reading.Product)]

    assert [(p.position, p.erp_id) for p in products] == [(7, "p-7"), (8, "p-8"), (9, "p-9")]


def test_memory_stays_flat_whatever_the_number_of_products(tmp_path):
    def peak(count):
        path = tmp_path / f"import-{count}.xml"
        path.write_bytes(
            import_xml(
                GROUPS_3, [Item(f"p-{n}", f"Товар {n}", "g3-locks", description="x" * 200) for n in range(count)]
            )
        )
        tracemalloc.start()
        for _item in reading.iter_catalogue(str(path)):
            pass
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    small, large = peak(200), peak(4000)
    assert large < small * 1.5
