"""Staff see each catalogue import in the Django admin: what it did, how long it took, what failed."""

import pytest
from django.urls import reverse
from oscar.core.loading import get_model

from erp_sync.exchange.catalogue import runs
from tests.erp.catalogue_files import GROUPS_3, Item, import_xml
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CatalogueImport = get_model("erp_sync", "CatalogueImport")


def test_an_import_run_is_listed_with_its_counts_and_its_errors(client, tmp_path):
    path = tmp_path / "import.xml"
    path.write_bytes(import_xml(GROUPS_3, [Item("p-1", "Фонарь", "g3-lights"), Item("p-2", "Замок", "g-nowhere")]))
    run = runs.start("import.xml", str(path))
    runs.step(run, str(path))
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    listing = client.get(reverse("admin:erp_sync_catalogueimport_changelist")).content.decode()
    detail = client.get(reverse("admin:erp_sync_catalogueimport_change", args=[run.pk])).content.decode()

    assert "import.xml" in listing and "Finished" in listing
    assert "p-2: It names groups the classifier does not have: g-nowhere." in detail
    for model in ("erpproduct", "erpcategory", "erppricetype"):
        assert client.get(reverse(f"admin:erp_sync_{model}_changelist")).status_code == 200
