"""Fixtures shared by the checkout tests."""

from decimal import Decimal as D

import pytest

from tests.checkout.flow import customer_with_points, product_priced
from tests.checkout.promotions import order_of_an_ended_sale


@pytest.fixture
def last_day(client):
    """An order placed on the sale's last day, the sale over and the order cancelled the next morning."""
    customer = customer_with_points(0)
    product = product_priced("1000.00")
    sale, original = order_of_an_ended_sale(client, customer, product, once_per_customer=True)
    assert original.total_incl_tax == D("800.00")
    return customer, product, sale, original
