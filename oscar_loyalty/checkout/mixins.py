"""Paying part of an order with points, as a mixin for Oscar's ``PaymentDetailsView``.

Oscar takes payment before it creates the order, so the points go through
three steps around its ``submit``:

1. ``handle_payment`` re-checks the chosen points against the live balance
   and limits and *reserves* them (keyed by the order number, so a
   double-clicked "Place order" reserves once), then records them as the
   order's "Bonus points" payment source and lets the rest of the payment run;
2. ``place_order`` *captures* the reservation in the same transaction that
   writes the order: no order without its points, no points without the order;
3. ``submit`` *releases* the reservation if the order was not placed, whatever
   failed (a declined card, order creation raising).

A payment gateway that sends the customer away to pay (``RedirectRequired``)
leaves the reservation held. Its return view submits the frozen basket again
(as django-oscar-paypal's does); the choice, kept for the basket, reads as none
there, so ``submit`` takes up the points by the order number instead (see
:meth:`PointsPaymentMixin.resume_points`): the order the customer comes back to
is paid with exactly the points reserved before the redirect, and the gateway
is left the rest. If those points were released meanwhile (the customer took
longer than ``OSCAR_LOYALTY_RESERVATION_TIMEOUT_MINUTES``), the return is refused
before any payment is taken, and the customer places the order again: it
is never placed as if the points had paid part of it, and the gateway cannot
be made to take more than the customer approved there.

A shop on Oscar's own checkout gets this through
``oscar_loyalty.checkout.loading.class_loader``. A shop with a forked
checkout puts the mixin first in its own view::

    from oscar.apps.checkout import views
    from oscar_loyalty.checkout.mixins import PointsPaymentMixin

    class PaymentDetailsView(PointsPaymentMixin, views.PaymentDetailsView):
        ...

and extends the two templates as the plugin's own do (see
``oscar_loyalty/templates/oscar/checkout/``).
"""

import logging
from decimal import Decimal

from django import http
from django.contrib import messages
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_class, get_model

from oscar_loyalty import ledger
from oscar_loyalty.campaigns.services import spend_basket
from oscar_loyalty.checkout.calculations import points_value
from oscar_loyalty.checkout.choosing import PointsChoiceMixin
from oscar_loyalty.checkout.payment_types import payment_event_type_id, points_source_type_id
from oscar_loyalty.settings import loyalty_settings

UnableToTakePayment = get_class("payment.exceptions", "UnableToTakePayment")
UnableToPlaceOrder = get_class("order.exceptions", "UnableToPlaceOrder")
Basket = get_model("basket", "Basket")
Source = get_model("payment", "Source")
PaymentEvent = get_model("order", "PaymentEvent")
Reservation = get_model("oscar_loyalty", "Reservation")

logger = logging.getLogger("oscar_loyalty.checkout")

# Retries of one order number (the basket restored after a failure keeps its
# number) each get a fresh reservation; this bounds how many.
MAX_ATTEMPTS = 20

# Where Oscar's checkout session keeps which reservation (if any) went to a payment gateway.
SESSION_NAMESPACE = "loyalty"
SESSION_REDIRECTED = "redirected_points"


def reservation_key(order_number, attempt=0):
    """The idempotency key of the points reservation for one attempt at placing an order."""
    key = f"checkout:{order_number}:points"
    return key if attempt == 0 else f"{key}:{attempt}"


class PointsPaymentMixin(PointsChoiceMixin):
    """Lets a signed-in customer pay part of the order with points (see the module's docstring)."""

    points_event_type = "Bonus points"

    _points_reservation = None
    _points_captured = False
    _points_order_number = None
    _points_order_placed = False
    _points_given_up = False
    _points_returning = False
    _points_shipping_charge = None
    _points_claimed_basket = None
    _points_events = ()

    # --- Reserve, capture, release ---------------------------------------------

    def submit(self, *args, **kwargs):
        self._points_reservation = None
        self._points_captured = False
        self._points_order_number = None
        self._points_order_placed = False
        self._points_given_up = False
        self._points_events = []
        self._points_shipping_charge = kwargs.get("shipping_charge")
        self._points_claimed_basket = None
        basket = kwargs.get("basket")
        # A basket frozen before it is submitted comes back from a payment gateway.
        self._points_returning = basket is not None and basket.status == Basket.FROZEN and self.can_pay_with_points()
        if basket is not None and not self.claim_basket(basket):
            return self.handle_basket_already_submitted()
        try:
            response = self.submit_returning(basket, kwargs) if self._points_returning else None
            if response is None:
                response = super().submit(*args, **kwargs)
        except BaseException:
            self._points_given_up = True
            raise
        finally:
            self.release_unused_points()
            self.unclaim_basket()
        if self.sent_to_payment_gateway():
            self.remember_redirected_points(self._points_order_number)
        return response

    def submit_returning(self, basket, submission):
        """Take up the points for a basket back from a payment gateway; a response if the order goes no further."""
        try:
            reservation = self.resume_points(basket, submission.get("order_total"))
        except UnableToTakePayment as exc:
            # As Oscar answers a refused payment, before any payment is taken.
            self.restore_frozen_basket()
            return self.render_payment_details(self.request, error=str(exc), **(submission.get("payment_kwargs") or {}))
        if reservation is not None and reservation.status == Reservation.CAPTURED:
            # An earlier return placed the order.
            return self.handle_basket_already_submitted()
        return None

    def sent_to_payment_gateway(self):
        """Whether this submission ended with the customer sent to pay elsewhere (``RedirectRequired``).

        Oscar answers a redirect with the redirect and nothing else: payment
        began, and no order was placed, yet the basket was not given back to
        the customer as on every failure. The shop's ``handle_payment`` may
        raise it after the mixin's has returned, where the mixin cannot catch it.
        """
        return self._points_order_number is not None and not self._points_order_placed and not self._points_given_up

    def restore_frozen_basket(self):
        # Oscar gives the basket back when it gives up on the attempt: the points go back too.
        self._points_given_up = True
        super().restore_frozen_basket()

    def claim_basket(self, basket):
        """Claim the basket for this submission unless a concurrent request already has; False if one has.

        Two "Place order" clicks (or tabs) submit the same open basket: only
        the request that freezes it goes on to take payment, so the other
        neither shares nor releases its reservation. Two returns from a
        payment gateway (a reload, the gateway calling beside the browser)
        submit the same frozen basket: only the request that stamps it as
        being submitted goes on, until it places the order or gives the
        basket back (:meth:`unclaim_basket`). A guest's frozen basket is left to Oscar.
        """
        if basket.pk is None:
            return True
        baskets = Basket._default_manager.filter(pk=basket.pk)
        if basket.status == Basket.OPEN:
            claimed = baskets.filter(status=Basket.OPEN).update(status=Basket.FROZEN)
        elif basket.status == Basket.FROZEN and self._points_returning:
            now = timezone.now()
            claimed = baskets.filter(status=Basket.FROZEN, date_submitted__isnull=True).update(date_submitted=now)
            if claimed:
                basket.date_submitted = now
        else:
            return True
        if claimed:
            basket.status = Basket.FROZEN
            self._points_claimed_basket = basket.pk
        return bool(claimed)

    def unclaim_basket(self):
        """Let a gateway's next return submit the basket again, if this one placed no order."""
        if self._points_returning and self._points_claimed_basket is not None and not self._points_order_placed:
            Basket._default_manager.filter(pk=self._points_claimed_basket).exclude(status=Basket.SUBMITTED).update(
                date_submitted=None
            )

    def freeze_basket(self, basket):
        # The claim froze it in the database already: Oscar's save would write the same again.
        if basket.pk is None or basket.pk != self._points_claimed_basket:
            super().freeze_basket(basket)

    def handle_basket_already_submitted(self):
        messages.info(self.request, _("Your order is already being placed."))
        return http.HttpResponseRedirect(reverse("checkout:thank-you"))

    def handle_payment(self, order_number, total, **kwargs):
        # On a gateway's return the points were taken up already (see ``submit``).
        points = self.get_chosen_points() if self.can_pay_with_points() and not self._points_returning else 0
        self._points_order_number = order_number
        if points:
            self.reserve_points(order_number, total, points)
        super().handle_payment(order_number, total, **kwargs)

    def remember_redirected_points(self, order_number):
        """Note which reservation, if any, this attempt at the order took to the payment gateway.

        Kept in Oscar's checkout session, which the submission writes anyway
        (the order number, the frozen basket). An earlier attempt at the same
        order number may still hold points it chose: without this note, its
        reservation could not be told from this attempt's on the return.
        """
        if not self.can_pay_with_points():
            return
        key = self._points_reservation.key if self._points_reservation is not None else ""
        self.checkout_session._set(
            SESSION_NAMESPACE, SESSION_REDIRECTED, {"order_number": str(order_number), "key": key}
        )

    def find_redirected_reservation(self, order_number):
        """The reservation the attempt that went to the payment gateway holds for ``order_number`` (None if none).

        The attempt noted in the checkout session if it is this order's; else,
        the customer's latest reservation for the order number.
        """
        reservations = Reservation.objects.filter(order_number=order_number, account__user_id=self.request.user.pk)
        redirected = self.checkout_session._get(SESSION_NAMESPACE, SESSION_REDIRECTED) or {}
        if redirected.get("order_number") == str(order_number):
            if not redirected.get("key"):
                return None
            reservations = reservations.filter(key=redirected["key"])
        return reservations.order_by("-pk").first()

    def get_points_held_for(self, basket):
        """On a payment gateway's return that shows the order first, the points held for it (the choice is no more)."""
        if basket is None or basket.status != Basket.FROZEN or not self.can_pay_with_points():
            return 0
        reservation = self.find_redirected_reservation(self.generate_order_number(basket))
        return reservation.points if reservation is not None and reservation.status == Reservation.HELD else 0

    def resume_points(self, basket, total):
        """On the return from a payment gateway, take up the points reserved before the redirect.

        Returns the reservation (captured already if the order was placed by
        an earlier return), or None if the order is paid without points.
        Raises ``UnableToTakePayment`` if the points were released meanwhile:
        the gateway was asked for the total less those points, so the order
        can be paid neither with them nor in full; the customer places it again.
        ``submit`` calls this before Oscar's: before the shop's ``handle_payment``,
        so a gateway that takes the money there (PayPal Express) takes none,
        and whether or not a return view's ``handle_payment`` calls the mixin's.
        """
        order_number = self.generate_order_number(basket)
        reservation = self.find_redirected_reservation(order_number)
        if reservation is None or reservation.status == Reservation.CAPTURED:
            return reservation
        if reservation.status != Reservation.HELD:
            raise UnableToTakePayment(
                _(
                    "The points held for this order were released while you were on the payment page, "
                    "so the order has not been placed. Please place it again."
                )
            )
        self._points_reservation = reservation
        self.check_points_cap(total, reservation.points)
        self.record_points_payment(reservation, total)
        return reservation

    def get_points_payment(self):
        """What the points reserved by this submission pay, in money: the rest is for other means of payment."""
        if self._points_reservation is None:
            return Decimal("0.00")
        return points_value(self._points_reservation.points, loyalty_settings.POINT_VALUE)

    def reserve_points(self, order_number, total, points):
        """Re-check ``points`` against the order's limits, reserve them and record the payment.

        The balance is not read here: the ledger checks it under the
        account's lock as it reserves, and refuses what is not there.
        """
        self.check_points_cap(total, points)
        reservation = self._reserve(order_number, points)
        self._points_reservation = reservation
        self.record_points_payment(reservation, total)
        return reservation

    def check_points_cap(self, total, points):
        """Refuse ``points`` beyond what the order allows at the customer's tier."""
        shipping_charge = self._points_shipping_charge
        if shipping_charge is None:
            shipping_charge = self.build_submission()["shipping_charge"]
        cap = self.get_points_cap(total, shipping_charge)
        if points > cap:
            raise UnableToTakePayment(
                _("You can use at most %(max)s points on this order. Please choose the points to use again.")
                % {"max": cap}
            )

    def record_points_payment(self, reservation, total):
        """Record the reserved points as the order's "Bonus points" payment source and event."""
        money = points_value(reservation.points, loyalty_settings.POINT_VALUE)
        self.add_payment_source(
            Source(
                source_type_id=points_source_type_id(),
                currency=total.currency,
                amount_allocated=money,
                amount_debited=money,
                reference=reservation.key,
            )
        )
        self.add_points_payment_event(money, reference=reservation.key)

    def add_points_payment_event(self, amount, reference):
        """Record the points payment as an event of the whole order (Oscar's dashboard lists it).

        Oscar's ``add_payment_event`` ties an event to every line, a query
        per line; points pay the order as a whole, like an order-level
        payment event entered in the dashboard.
        """
        event = PaymentEvent(
            event_type_id=payment_event_type_id(self.points_event_type), amount=amount, reference=reference
        )
        self._points_events = [*self._points_events, event]

    def save_payment_events(self, order):
        for event in self._points_events:
            event.order = order
            event.save()
        super().save_payment_events(order)

    def get_points_spend_basket(self):
        """What lots with spend restrictions weigh (read only if the customer holds such lots)."""
        basket = getattr(self.request, "basket", None)
        if basket is None:
            return None
        return lambda: spend_basket(basket)

    def _reserve(self, order_number, points):
        user = self.request.user
        for attempt in range(MAX_ATTEMPTS):
            key = reservation_key(order_number, attempt)
            try:
                reservation = ledger.reserve(
                    user, points, key=key, order_number=order_number, basket=self.get_points_spend_basket()
                )
            except ledger.IdempotencyConflict:
                # An earlier attempt at this order chose another amount: it is
                # not coming back, so its points should not stay held. Only
                # this customer's own: a key another account holds (a shop's
                # order numbers repeating) is never this checkout's to release.
                earlier = Reservation.objects.filter(key=key, account__user_id=user.pk).first()
                self._release_quietly(earlier, _("Checkout retried"))
                continue
            except ledger.InsufficientPoints as exc:
                raise UnableToTakePayment(
                    _("You have only %(available)s points available. Please choose the points to use again.")
                    % {"available": exc.available if exc.available is not None else 0}
                ) from exc
            except ledger.AccountBlocked as exc:
                raise UnableToTakePayment(
                    _("Your points account is blocked. Please contact customer services.")
                ) from exc
            except ledger.LoyaltyError as exc:
                raise UnableToTakePayment(str(exc)) from exc
            if reservation.status == Reservation.HELD:
                return reservation
            if reservation.status == Reservation.CAPTURED:
                raise UnableToTakePayment(_("The points for this order have already been spent."))
            # Released: an earlier attempt at this order failed; reserve afresh.
        raise UnableToTakePayment(_("The points could not be reserved. Please try again later."))

    def place_order(self, *args, **kwargs):
        if self._points_reservation is None:
            order = super().place_order(*args, **kwargs)
        else:
            # The order and the capture of its points commit together (in the
            # caller's transaction if there is one: nothing here catches an error).
            with transaction.atomic(savepoint=False):
                order = super().place_order(*args, **kwargs)
                self.capture_points(order)
            self._points_captured = True
        self._points_order_placed = True
        return order

    def capture_points(self, order):
        """Spend the points this submission reserved and recorded on the order (none: nothing to do).

        On a payment gateway's return, the reservation is the one ``submit``
        took up again (see :meth:`resume_points`).
        """
        reservation = self._points_reservation
        if reservation is None:
            return
        try:
            ledger.capture(reservation)
        except ledger.LoyaltyError as exc:
            raise UnableToPlaceOrder(
                _("The points reserved for this order were released meanwhile. Please place the order again.")
            ) from exc

    def release_unused_points(self):
        """Give back the points of an attempt that failed (not of one sent to a payment gateway).

        The points of an attempt sent to a gateway wait for the customer's
        return, or for the beat task if they never come back.
        """
        if self._points_reservation is None or self._points_captured or self.sent_to_payment_gateway():
            return
        self._release_quietly(self._points_reservation, _("Order not placed"))

    def _release_quietly(self, reservation, reason):
        if reservation is None or reservation.status != Reservation.HELD:
            return
        try:
            ledger.release(reservation, reason=reason)
        except ledger.ReservationCaptured:
            # A concurrent request (a double click) placed the order with it.
            pass
        except Exception:
            # The beat task releases it once it goes stale.
            logger.exception("Could not release points reservation %s", reservation.key)
