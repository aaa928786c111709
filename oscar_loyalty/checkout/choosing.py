"""The points a customer chooses on the payment step, and what the payment step and the preview show of them.

The first half of :class:`oscar_loyalty.checkout.mixins.PointsPaymentMixin`,
which builds on it to reserve, capture and release the points chosen.
"""

from decimal import Decimal

from oscar_loyalty import ledger
from oscar_loyalty.campaigns.services import spend_basket
from oscar_loyalty.checkout import choice
from oscar_loyalty.checkout.calculations import points_cap, points_value
from oscar_loyalty.checkout.forms import PointsForm
from oscar_loyalty.earning import display, margins
from oscar_loyalty.earning.calculations import LineInput, order_accrual
from oscar_loyalty.settings import loyalty_settings


class PointsChoiceMixin:
    """The customer's choice of points for the order, with their limits, and the pages' ``loyalty`` context."""

    points_form_class = PointsForm

    _points_form = None
    _chosen_points = None
    _points_choice_changed = False
    _points_balance = None
    _points_shortfall = None

    # --- The customer's choice -------------------------------------------------

    def can_pay_with_points(self):
        return self.request.user.is_authenticated

    def get_chosen_points(self):
        """The points chosen on the payment step (0 if none), kept in a signed cookie (see :mod:`..choice`)."""
        if self._chosen_points is None:
            self._chosen_points = choice.read(self.request)
        return self._chosen_points

    def store_chosen_points(self, points):
        """Choose ``points`` for this customer's order: the response keeps them (0 forgets the choice)."""
        self._chosen_points = int(points)
        self._points_choice_changed = True

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        if self._points_choice_changed:
            choice.write(response, request, self._chosen_points)
        return response

    def handle_successful_order(self, order):
        # The choice was for this order: the next one starts without.
        self.store_chosen_points(0)
        return super().handle_successful_order(order)

    def get_points_limits(self, order_total, shipping_charge):
        """``(available, max_points)`` for this order, from the customer's balance and tier.

        Points whose lots' spend restrictions (a campaign's "only on these
        products", "at most 20 %", ...) do not allow them on this basket are
        available but not usable here: the maximum leaves them out.
        """
        balance = self.get_points_balance()
        available = 0 if balance.blocked else max(balance.available, 0)
        usable = available - self.get_points_shortfall() if available else 0
        return available, max(0, min(usable, self.get_points_cap(order_total, shipping_charge)))

    def get_points_shortfall(self):
        """The available points that restrictions keep off this basket, read once per request."""
        if self._points_shortfall is None:
            basket = self.request.basket
            self._points_shortfall = ledger.restricted_shortfall(self.request.user, lambda: spend_basket(basket))
        return self._points_shortfall

    def get_points_cap(self, order_total, shipping_charge):
        """The most points this order allows at the customer's tier, whatever their balance."""
        tier = self.get_points_tier()
        return points_cap(
            _amount(order_total),
            _amount(shipping_charge),
            tier.max_share_percent if tier is not None else None,
            loyalty_settings.POINT_VALUE,
            min_to_pay=loyalty_settings.MIN_TO_PAY,
            shipping_payable=loyalty_settings.POINTS_PAY_SHIPPING,
        )

    def get_points_balance(self):
        """The customer's balance, read once per request (the pages show it; the ledger re-checks it)."""
        if self._points_balance is None:
            self._points_balance = ledger.get_balance(self.request.user)
        return self._points_balance

    def get_points_tier(self):
        """The customer's tier: the one the request's bonus display uses, read once, with the cached tiers."""
        return display.for_request(self.request).tier

    def get_points_form(self, available, max_points, data=None):
        initial = {"points": self.get_chosen_points() or ""}
        return self.points_form_class(data, initial=initial, max_points=max_points, available=available)

    def handle_payment_details_submission(self, request):
        """The payment step's points form: store a valid choice and show the preview, or show the errors."""
        if not self.can_pay_with_points() or ("points" not in request.POST and "use_maximum" not in request.POST):
            return super().handle_payment_details_submission(request)
        submission = self.build_submission()
        if submission["order_total"] is None:
            return super().handle_payment_details_submission(request)
        available, max_points = self.get_points_limits(submission["order_total"], submission["shipping_charge"])
        form = self.get_points_form(available, max_points, data=request.POST)
        if not form.is_valid():
            self._points_form = form
            return self.render_payment_details(request)
        self.store_chosen_points(form.cleaned_data["points"])
        return super().handle_payment_details_submission(request)

    # --- What the pages show ---------------------------------------------------

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        order_total = ctx.get("order_total")
        if self.can_pay_with_points() and order_total is not None:
            ctx["loyalty"] = self.get_points_context(ctx["basket"], order_total, ctx.get("shipping_charge"))
        return ctx

    def get_points_context(self, basket, order_total, shipping_charge):
        available, max_points = self.get_points_limits(order_total, shipping_charge)
        # Points held for the order already were checked as they were reserved.
        held = self.get_points_held_for(basket)
        points = held or self.get_chosen_points()
        money = points_value(points, loyalty_settings.POINT_VALUE)
        return {
            "available": available,
            "max_points": max_points,
            "form": self._points_form or self.get_points_form(available, max_points),
            "points": points,
            "points_value": money,
            "points_valid": bool(held) or points <= max_points,
            "remaining": _amount(order_total) - money,
            "bonus": self.get_order_bonus(basket, money),
            "currency": order_total.currency,
        }

    def get_points_held_for(self, basket):
        """The points already held for ``basket``'s order: none while the customer is still choosing."""
        return 0

    def get_order_bonus(self, basket, paid_with_points):
        """The points the order will earn once paid: its money part at the customer's tier."""
        tier = self.get_points_tier()
        priced = [(line, display.line_amount(line)) for line in basket.all_lines()]
        priced = [(line, amount) for line, amount in priced if amount is not None]
        if tier is None or not priced:
            return 0
        coefficients = margins.coefficients([line.product for line, _amount in priced if line.product_id])
        accruals = order_accrual(
            [
                LineInput(
                    reference=str(line.pk),
                    amount=amount,
                    coefficient=coefficients.get(line.product_id, margins.NEUTRAL),
                    offer_discounted=display.is_offer_discounted(line),
                )
                for line, amount in priced
            ],
            cashback_percent=tier.cashback_percent,
            reduction=paid_with_points,
            spread_reductions=loyalty_settings.SPREAD_REDUCTIONS,
            offers_earn=loyalty_settings.OFFERS_EARN,
        )
        return sum(accrual.points for accrual in accruals)


def _amount(price):
    """An Oscar price's amount: incl. tax when known."""
    if price is None:
        return Decimal("0.00")
    return price.incl_tax if price.is_tax_known else price.excl_tax
