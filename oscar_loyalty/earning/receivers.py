"""Oscar's order lifecycle drives accrual: paid/complete accrues, cancelled/returned reverses."""

from django.utils.translation import gettext as _

from oscar_loyalty.settings import loyalty_settings


def order_status_changed(sender, order, old_status, new_status, **kwargs):
    from oscar_loyalty.earning import services

    if new_status in loyalty_settings.ACCRUAL_STATUSES:
        services.accrue_for_order(order)
    elif new_status in loyalty_settings.CANCEL_STATUSES:
        services.reverse_for_order(
            order, reason=_("Order %(number)s: %(status)s") % {"number": order.number, "status": new_status}
        )


def connect():
    from oscar.apps.order.signals import order_status_changed as signal

    signal.connect(order_status_changed, dispatch_uid="oscar_loyalty.order_status_changed")
