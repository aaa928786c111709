import uuid
from decimal import Decimal

from oscar.core.loading import get_model
from oscar.test.factories import create_product

from oscar_loyalty import ledger
from tests.earning.factories import order_for

ProductAttribute = get_model("catalogue", "ProductAttribute")
ProductAttributeValue = get_model("catalogue", "ProductAttributeValue")
ProductClass = get_model("catalogue", "ProductClass")
Source = get_model("payment", "Source")
SourceType = get_model("payment", "SourceType")


def erp_product(erp_id, price="1000.00"):
    """A product whose catalogue entry came from the accounting system (its id in ``erp_id``)."""
    product = create_product(product_class="Accessory", price=Decimal(price), num_in_stock=10)
    attribute, _created = ProductAttribute.objects.get_or_create(
        product_class=product.get_product_class(), code="erp_id", defaults={"name": "ERP id", "type": "text"}
    )
    ProductAttributeValue.objects.create(product=product, attribute=attribute, value_text=erp_id)
    return product


def order_paid_with_points(user, *prices, points, products=None):
    """An order of which ``points`` (1 point = 1 rouble) were paid with bonuses, as checkout records it."""
    ledger.adjust(user, points, key=f"gift:{uuid.uuid4()}", reason="Welcome", actor="test")
    order = order_for(user, *prices, products=products)
    reservation = ledger.reserve(user, points, key=f"spend:{order.number}", order_number=order.number)
    ledger.capture(reservation)
    source_type, _created = SourceType.objects.get_or_create(name="Bonus points")
    Source.objects.create(
        order=order, source_type=source_type, amount_allocated=Decimal(points), amount_debited=Decimal(points)
    )
    return order


def pay_by_card(order, amount, *, name="Bank card"):
    """Record that a card paid ``amount`` of ``order``, as a payment gateway does: a source of its own type."""
    source_type, _created = SourceType.objects.get_or_create(name=name)
    return Source.objects.create(
        order=order, source_type=source_type, amount_allocated=Decimal(amount), amount_debited=Decimal(amount)
    )
