"""Building blocks for the dashboard tests: orders written directly, dates in UTC, staff with roles."""

from datetime import UTC, datetime
from decimal import Decimal

from django.contrib.auth.models import Permission
from oscar.core.loading import get_model

from oscar_loyalty.settings import loyalty_settings
from tests.factories import UserFactory

Order = get_model("order", "Order")
Source = get_model("payment", "Source")
SourceType = get_model("payment", "SourceType")


def at(year, month, day, hour=12, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def place_order(number, user, total, when, *, status="Complete", points_paid=Decimal(0), points_refunded=Decimal(0)):
    """An Oscar order as the KPIs see it: a total, a date, a status, and what points paid of it."""
    total = Decimal(total)
    order = Order.objects.create(
        number=number,
        user=user,
        total_incl_tax=total,
        total_excl_tax=total,
        shipping_incl_tax=Decimal(0),
        shipping_excl_tax=Decimal(0),
        status=status,
        date_placed=when,
    )
    if points_paid:
        points, _created = SourceType.objects.get_or_create(name=loyalty_settings.POINTS_SOURCE_TYPE)
        Source.objects.create(
            order=order,
            source_type=points,
            amount_allocated=Decimal(points_paid),
            amount_debited=Decimal(points_paid),
            amount_refunded=Decimal(points_refunded),
        )
    return order


def user_with(*codenames, is_staff=True, **kwargs):
    user = UserFactory(is_staff=is_staff, **kwargs)
    if codenames:
        user.user_permissions.add(
            *Permission.objects.filter(content_type__app_label="oscar_loyalty", codename__in=codenames)
        )
    return user
