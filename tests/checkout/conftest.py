"""Fixtures shared by the checkout tests."""

from decimal import Decimal as D

import pytest
from oscar.core.loading import get_model

from tests.checkout.flow import customer_with_points, place_order, product_priced, reach_payment_details
from tests.checkout.promotions import end, promotion

Order = get_model("order", "Order")


@pytest.fixture
def last_day(client):
    """An order placed on the sale's last day, the sale over and the order cancelled the next morning."""
    customer = customer_with_points(0)
    product = product_priced("1000.00")
    sale = promotion(product, percent=20)
    sale.max_user_applications = 1  # once per customer: the original order used it
    sale.save()
    reach_payment_details(client, customer, product)
    place_order(client)
    original = Order.objects.get()
    assert original.total_incl_tax == D("800.00")
    end(sale)
    original.set_status("Cancelled")
    return customer, product, sale, original
