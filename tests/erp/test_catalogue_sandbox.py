"""The demo's catalogue ships as CommerceML (sandbox/commerceml): it loads by the command and by the endpoint,
and the margin groups it carries change the "+N bonuses" on product pages."""

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from oscar.core.loading import get_model
from oscar.test.factories import create_product

from erp_sync.client import main as one_c_client
from sandbox.demo import data
from tests.display.conftest import customer_at
from tests.display.html import shown_bonuses
from tests.erp.conftest import EXCHANGE_PASSWORD

Product = get_model("catalogue", "Product")
Category = get_model("catalogue", "Category")
ProductClass = get_model("catalogue", "ProductClass")
StockRecord = get_model("partner", "StockRecord")
MarginGroup = get_model("oscar_loyalty", "MarginGroup")
MarginGroupAssignment = get_model("oscar_loyalty", "MarginGroupAssignment")
ErpProduct = get_model("erp_sync", "ErpProduct")

FILES = Path(__file__).resolve().parents[2] / "sandbox" / "commerceml"


def assert_demo_catalogue():
    assert ErpProduct.objects.count() == Product.objects.count() == len(data.PRODUCTS)
    for spec in data.PRODUCTS:
        product = Product.objects.get(upc=spec.upc)
        assert (product.title, product.product_class.name) == (spec.title, spec.product_class)
        assert product.categories.get().full_name == spec.category
        record = StockRecord.objects.get(product=product)
        assert (record.price, record.num_in_stock) == (spec.price, spec.num_in_stock)
    assert MarginGroup.objects.get(name="Clearance").coefficient == 1


@pytest.mark.django_db
def test_the_demo_catalogue_loads_from_the_sandbox_files_by_the_command():
    call_command("erp_import_catalogue", str(FILES), "--no-progress", stdout=io.StringIO())

    assert_demo_catalogue()


@pytest.mark.django_db(transaction=True)
def test_the_demo_catalogue_loads_from_the_sandbox_files_by_the_endpoint(exchange_url, exchange_user, capsys):
    argv = ["--url", exchange_url, "--user", exchange_user.username, "--password", EXCHANGE_PASSWORD]

    assert one_c_client([*argv, "--catalog", str(FILES)]) == 0  # as the README tells to try it

    out = capsys.readouterr().out
    assert "import import.xml: 0 progress step(s), then success" in out
    assert "import offers.xml: 0 progress step(s), then success" in out
    assert_demo_catalogue()


@pytest.mark.django_db
def test_margin_groups_from_the_accounting_system_change_the_bonus_on_the_product_page(client):
    # The demo shop as loyalty_demo_data builds it: the reference bike entered by hand, bikes in the low group.
    bike = create_product(
        upc=data.REFERENCE_UPC,
        title="Volna Road 105 road bike",
        product_class=data.BICYCLE,
        partner_name=data.PARTNER_NAME,
        price=Decimal("129900"),
    )
    record = bike.stockrecords.get()
    MarginGroupAssignment.objects.create(
        product_class=ProductClass.objects.get(name=data.BICYCLE), group=MarginGroup.objects.get(code="low")
    )
    client.force_login(customer_at("gold"))
    assert shown_bonuses(client.get(bike.get_absolute_url())) == ["+3247 bonuses"]  # 129,900 × 5% × 0.5

    call_command("erp_import_catalogue", str(FILES), "--no-progress", stdout=io.StringIO())

    bike.refresh_from_db()
    assert ErpProduct.objects.get(product=bike)  # adopted by its barcode, not doubled
    assert StockRecord.objects.get(product=bike).pk == record.pk
    assert MarginGroupAssignment.objects.get(product=bike).group.code == "standard"
    assert shown_bonuses(client.get(bike.get_absolute_url())) == ["+6495 bonuses"]  # the accountant's standard group
