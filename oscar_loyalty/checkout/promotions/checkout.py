"""Promo codes and secret codes in Oscar's checkout, as a mixin for ``PaymentDetailsView``.

Goes before :class:`~oscar_loyalty.checkout.mixins.PointsPaymentMixin`::

    class PaymentDetailsView(PromotionsMixin, PointsPaymentMixin, views.PaymentDetailsView):
        ...

It enforces ``OSCAR_LOYALTY_COMBINE_WITH_VOUCHERS`` (see :mod:`.policy`) on
the payment step, the preview and again when the order is placed, and uses
the secret code of the basket for the order, in the transaction that writes it.
(``place_order`` is called with keyword arguments, as Oscar's
``handle_order_placement`` does.)
"""

from django.db import transaction
from django.utils.translation import gettext as _
from oscar.core.loading import get_class, get_classes

from oscar_loyalty.checkout.promotions import policy, services

UnableToTakePayment = get_class("payment.exceptions", "UnableToTakePayment")
(UnableToPlaceOrder,) = get_classes("order.exceptions", ["UnableToPlaceOrder"])


class PromotionsMixin:
    # --- The combination policy ---------------------------------------------------

    def points_excluded(self):
        """Whether the shop's policy rules out points for the request's basket (a promo code is in it)."""
        return policy.points_excluded(getattr(self.request, "basket", None))

    def get_chosen_points(self):
        points = super().get_chosen_points()
        if points and self.points_excluded():
            return 0
        return points

    def get_points_context(self, basket, order_total, shipping_charge):
        ctx = super().get_points_context(basket, order_total, shipping_charge)
        excluded = self.points_excluded()
        ctx["excluded"] = excluded
        if excluded:
            ctx["exclusion_message"] = policy.exclusion_message()
            ctx["max_points"] = 0
            if super().get_chosen_points():
                # A promo code came after the points were chosen: it wins (see :mod:`.policy`).
                self.store_chosen_points(0)
        return ctx

    def handle_payment_details_submission(self, request):
        posted = "points" in request.POST or "use_maximum" in request.POST
        if not (posted and self.can_pay_with_points() and self.points_excluded()):
            return super().handle_payment_details_submission(request)
        submission = self.build_submission()
        available, _max_points = self.get_points_limits(submission["order_total"], submission["shipping_charge"])
        # Limits are not the point here: any points at all are refused, with the policy's reason.
        form = self.get_points_form(available, available, data=request.POST)
        if form.is_valid() and (form.cleaned_data.get("points") or form.cleaned_data.get("use_maximum")):
            form.add_error("points", policy.exclusion_message())
        if not form.is_valid():
            self._points_form = form
            return self.render_payment_details(request)
        self.store_chosen_points(0)
        return super().handle_payment_details_submission(request)

    # --- Placing the order ----------------------------------------------------------

    def handle_payment(self, order_number, total, **kwargs):
        basket = getattr(self.request, "basket", None)
        if self.can_pay_with_points() and policy.points_excluded(basket):
            chosen = super().get_chosen_points()
            if chosen:
                self.store_chosen_points(0)
                raise UnableToTakePayment(
                    _("%(reason)s The points you chose were removed: please check the order and place it again.")
                    % {"reason": policy.exclusion_message()}
                )
        try:
            services.check_before_payment(self.request, basket)
        except services.CodeNotUsable as exc:
            raise UnableToTakePayment(str(exc)) from exc
        return super().handle_payment(order_number, total, **kwargs)

    def place_order(self, *args, **kwargs):
        basket = kwargs.get("basket")
        try:
            # The code is taken before the order (and its points) is written,
            # and all of it commits together.
            with transaction.atomic():
                claimed = services.claim_for_order(self.request, basket) if basket is not None else []
                order = super().place_order(*args, **kwargs)
                services.link_order(self.request, claimed, order)
        except services.CodeNotUsable as exc:
            # Logged outside the transaction that rolled back.
            services.log_refusal(self.request, exc, order_number=str(kwargs.get("order_number", "")))
            raise UnableToPlaceOrder(str(exc)) from exc
        return order
