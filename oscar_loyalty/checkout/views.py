from oscar.apps.checkout import views

from oscar_loyalty.checkout.mixins import PointsPaymentMixin
from oscar_loyalty.checkout.promotions.checkout import PromotionsMixin


class PaymentDetailsView(PromotionsMixin, PointsPaymentMixin, views.PaymentDetailsView):
    """Oscar's payment details and preview view, with points as a means of payment beside promo and secret codes.

    Imports Oscar's view directly, not through ``get_class``: the plugin's
    class loader returns this class for that name.
    """
