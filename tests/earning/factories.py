from decimal import Decimal

from oscar.core.loading import get_class
from oscar.test.factories import create_basket, create_order, create_product, create_stockrecord

Default = get_class("partner.strategy", "Default")


def order_for(user, *prices, number=None, product_class="Accessory", products=None):
    """A placed Oscar order for ``user`` with one line per price (incl. tax; the default strategy adds none)."""
    basket = create_basket(empty=True)
    basket.owner = user
    basket.strategy = Default()
    products = products or [None] * len(prices)
    for price, product in zip(prices, products, strict=True):
        if product is None:
            product = create_product(product_class=product_class, price=Decimal(price), num_in_stock=10)
        elif not product.stockrecords.exists():
            create_stockrecord(product, price=Decimal(price), num_in_stock=10)
        basket.add_product(product)
    return create_order(number=number, basket=basket, user=user)
