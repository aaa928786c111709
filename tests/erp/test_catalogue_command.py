"""``manage.py erp_import_catalogue`` imports files, directories and zip archives from disk, with a progress bar."""

import io
import zipfile

import pytest
from django.core.management import CommandError, call_command
from oscar.core.loading import get_model

from tests.erp.catalogue_files import GROUPS_3, Item, OfferRow, import_xml, offers_xml

pytestmark = pytest.mark.django_db

StockRecord = get_model("partner", "StockRecord")
CatalogueImport = get_model("erp_sync", "CatalogueImport")
ErpProduct = get_model("erp_sync", "ErpProduct")

ITEMS = [Item("p-1", "Фонарь", "g3-lights"), Item("p-2", "Замок", "g3-locks")]
OFFERS = [OfferRow("p-1", retail="5900", quantity="3"), OfferRow("p-2", retail="4900", quantity="1")]


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("erp_import_catalogue", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_directory_is_imported_products_first_with_a_progress_bar(tmp_path):
    (tmp_path / "offers.xml").write_bytes(offers_xml(OFFERS))
    (tmp_path / "import.xml").write_bytes(import_xml(GROUPS_3, ITEMS))
    (tmp_path / "notes.txt").write_text("not a catalogue")

    out, err = run(str(tmp_path))

    assert [r.name for r in CatalogueImport.objects.order_by("pk")] == ["import.xml", "offers.xml"]
    assert "import.xml: 2 products and offers; 2 created, 0 updated" in out
    assert "[##############################] 100% 2/2" in err
    assert StockRecord.objects.get(product=ErpProduct.objects.get(erp_id="p-1").product).num_in_stock == 3


def test_a_zip_archive_is_unpacked_and_imported(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("offers.xml", offers_xml(OFFERS))
        archive.writestr("import.xml", import_xml(GROUPS_3, ITEMS))
    (tmp_path / "catalogue.zip").write_bytes(buffer.getvalue())

    out, _err = run(str(tmp_path / "catalogue.zip"), "--no-progress")

    assert "offers.xml: 2 products and offers; 2 created" in out
    assert ErpProduct.objects.count() == 2


def test_a_broken_file_is_refused_and_the_command_fails(tmp_path):
    (tmp_path / "import.xml").write_bytes(import_xml(GROUPS_3, ITEMS)[:-40])

    with pytest.raises(CommandError, match="1 file"):
        run(str(tmp_path / "import.xml"))

    assert CatalogueImport.objects.get().status == "failed"
    assert not ErpProduct.objects.exists()
