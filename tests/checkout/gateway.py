"""A payment gateway that sends the customer away to pay, and a shop's checkout built around it.

What a shop with a redirect gateway (PayPal Express, a bank's 3-D Secure page)
writes: its own ``PaymentDetailsView`` with the plugin's ``PointsPaymentMixin``
first; "Place order" reserves the points, asks the gateway for the rest and
sends the customer there; the gateway sends them back to a return view that,
like django-oscar-paypal's ``SuccessResponseView``, loads the frozen basket
and submits it again. Mounted under ``test-gateway/`` by ``tests/urls.py``.
"""

import itertools
from dataclasses import dataclass, field
from decimal import Decimal

from django import http
from django.contrib import messages
from django.urls import path, reverse
from oscar.apps.checkout import views
from oscar.core.loading import get_class, get_classes, get_model

from oscar_loyalty.checkout.mixins import PointsPaymentMixin

RedirectRequired, UnableToTakePayment = get_classes("payment.exceptions", ["RedirectRequired", "UnableToTakePayment"])
Applicator = get_class("offer.applicator", "Applicator")
Selector = get_class("partner.strategy", "Selector")
Basket = get_model("basket", "Basket")
Source = get_model("payment", "Source")
SourceType = get_model("payment", "SourceType")

app_name = "test-gateway"


@dataclass
class Payment:
    """One payment the shop asked the gateway for: approved by the customer, then captured by the shop."""

    token: str
    order_number: str
    basket_id: int
    amount: Decimal
    currency: str
    approved: bool = False
    captures: list = field(default_factory=list)


class Gateway:
    """The payment provider, in memory: what it was asked to take, and what it took."""

    def __init__(self):
        self.payments = {}
        self._tokens = itertools.count(1)

    def start(self, order_number, basket_id, amount, currency):
        token = f"PAY-{next(self._tokens)}"
        self.payments[token] = Payment(token, str(order_number), basket_id, amount, currency)
        return token

    def approve(self, token):
        self.payments[token].approved = True

    def capture(self, token, amount):
        """Take ``amount`` of an approved payment: the amount the customer approved, and only once."""
        payment = self.payments.get(token)
        if payment is None or not payment.approved:
            raise UnableToTakePayment("The payment was not approved.")
        if payment.captures:
            raise UnableToTakePayment("The payment was taken already.")
        if amount != payment.amount:
            raise UnableToTakePayment(f"The payment was approved for {payment.amount}, not {amount}.")
        payment.captures.append(amount)
        return payment

    def captured(self):
        """Every amount taken, in order."""
        return [amount for payment in self.payments.values() for amount in payment.captures]


gateway = Gateway()


class PaymentDetailsView(PointsPaymentMixin, views.PaymentDetailsView):
    """The shop's checkout: points first, the rest through the gateway."""

    source_type_name = "Test gateway"

    def handle_payment(self, order_number, total, **kwargs):
        # The points: reserved now, or found again on the return.
        super().handle_payment(order_number, total, **kwargs)
        amount = total.incl_tax - self.get_points_payment()
        token = kwargs.get("token")
        if token is None:
            basket_id = self.checkout_session.get_submitted_basket_id()
            token = gateway.start(order_number, basket_id, amount, total.currency)
            raise RedirectRequired(reverse("test-gateway:pay", kwargs={"token": token}))
        gateway.capture(token, amount)
        self.record_gateway_payment(token, amount, total.currency)

    def record_gateway_payment(self, token, amount, currency):
        source_type, _created = SourceType.objects.get_or_create(name=self.source_type_name)
        self.add_payment_source(
            Source(
                source_type=source_type,
                currency=currency,
                amount_allocated=amount,
                amount_debited=amount,
                reference=token,
            )
        )
        self.add_payment_event("Settled", amount, reference=token)


class ReturnView(PaymentDetailsView):
    """Where the gateway sends the customer back: places the order with the frozen basket, as django-oscar-paypal's."""

    preview = True

    def get_pre_conditions(self, request):
        # The request's basket is a new, empty one: the order's is frozen.
        return []

    def get_skip_conditions(self, request):
        return []

    def get(self, request, *args, basket_id, **kwargs):
        basket = self.load_frozen_basket(basket_id)
        if basket is None:
            messages.error(request, "No basket was found for this payment.")
            return http.HttpResponseRedirect(reverse("basket:summary"))
        submission = self.build_submission(basket=basket)
        submission["payment_kwargs"]["token"] = request.GET["token"]
        return self.submit(**submission)

    def load_frozen_basket(self, basket_id):
        basket = Basket.objects.filter(pk=basket_id, status=Basket.FROZEN).first()
        if basket is None:
            return None
        basket.strategy = Selector().strategy(self.request)
        Applicator().apply(basket, self.request.user, self.request)
        return basket


class PaypalReturnView(ReturnView):
    """A return view whose ``handle_payment`` replaces the shop's, as django-oscar-paypal's does: only the gateway's."""

    def handle_payment(self, order_number, total, **kwargs):
        token = kwargs["token"]
        payment = gateway.payments[token]
        # PayPal takes the amount the customer approved, whatever the order says.
        gateway.capture(token, payment.amount)
        self.record_gateway_payment(token, payment.amount, payment.currency)


class PreviewReturnView(ReturnView):
    """A return view that shows the order before the customer confirms it, as django-oscar-paypal's does by default."""

    def get(self, request, *args, basket_id, **kwargs):
        basket = self.load_frozen_basket(basket_id)
        if basket is None:
            return http.HttpResponseRedirect(reverse("basket:summary"))
        return self.render_preview(request, basket=basket, token=request.GET["token"])

    def post(self, request, *args, basket_id, **kwargs):
        basket = self.load_frozen_basket(basket_id)
        if basket is None:
            return http.HttpResponseRedirect(reverse("basket:summary"))
        submission = self.build_submission(basket=basket)
        submission["payment_kwargs"]["token"] = request.POST["token"]
        return self.submit(**submission)


def pay(request, token):
    """The gateway's page: the customer approves the payment and is sent back to the shop."""
    gateway.approve(token)
    payment = gateway.payments[token]
    returning = {"paypal": "test-gateway:paypal-return", "preview": "test-gateway:preview-return"}.get(
        request.GET.get("return"), "test-gateway:return"
    )
    return http.HttpResponseRedirect(f"{reverse(returning, kwargs={'basket_id': payment.basket_id})}?token={token}")


urlpatterns = [
    path("checkout/preview/", PaymentDetailsView.as_view(preview=True), name="preview"),
    path("pay/<str:token>/", pay, name="pay"),
    path("return/<int:basket_id>/", ReturnView.as_view(), name="return"),
    path("paypal-return/<int:basket_id>/", PaypalReturnView.as_view(), name="paypal-return"),
    path("preview-return/<int:basket_id>/", PreviewReturnView.as_view(), name="preview-return"),
]
