from oscar.apps.checkout import views

from oscar_loyalty.checkout.mixins import PointsPaymentMixin


class PaymentDetailsView(PointsPaymentMixin, views.PaymentDetailsView):
    """Oscar's payment details and preview view, with points as a means of payment.

    Imports Oscar's view directly, not through ``get_class``: the plugin's
    class loader returns this class for that name.
    """
