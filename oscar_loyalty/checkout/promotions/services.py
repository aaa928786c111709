"""Secret codes: issuing them, entering them in a basket, and using them for an order.

The only writer of ``SecretCode`` and ``SecretCodeAttempt`` rows. Views, the
admin and the checkout call these functions; each failure is a precise
:class:`SecretCodeError` subclass whose message can be shown as it is.

A code's life: :func:`issue` (staff) → :func:`enter` (the customer, or staff
signed in as them: the code is bound to their basket, whose offers then
include the code's ended promotions, see :mod:`.applicator`) →
:func:`claim_for_order` and :func:`link_order` (in the transaction that
writes the order; a code is used once, whoever gets there first).
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from oscar.core.loading import get_model

from oscar_loyalty.checkout.promotions import acting, codes, reinstated, throttle
from oscar_loyalty.settings import loyalty_settings

SecretCode = get_model("oscar_loyalty", "SecretCode")
SecretCodeAttempt = get_model("oscar_loyalty", "SecretCodeAttempt")
ConditionalOffer = get_model("offer", "ConditionalOffer")
OrderDiscount = get_model("order", "OrderDiscount")
OrderLineDiscount = get_model("order", "OrderLineDiscount")
Line = get_model("order", "Line")
Voucher = get_model("voucher", "Voucher")
Basket = get_model("basket", "Basket")

logger = logging.getLogger("oscar_loyalty.secret_codes")

# Where a basket keeps the secret code row read for it during one request.
BASKET_MEMO = "_loyalty_secret_code"


# --- Errors ----------------------------------------------------------------------


class SecretCodeError(Exception):
    """A secret code could not be issued, entered or used; the message is for the person who tried."""

    outcome = SecretCodeAttempt.REFUSED


class CannotIssue(SecretCodeError):
    pass


class InvalidCode(SecretCodeError):
    outcome = SecretCodeAttempt.INVALID


class UnknownCode(SecretCodeError):
    outcome = SecretCodeAttempt.NOT_FOUND


class AnotherCustomersCode(SecretCodeError):
    outcome = SecretCodeAttempt.FOREIGN


class CodeExpired(SecretCodeError):
    outcome = SecretCodeAttempt.EXPIRED


class CodeAlreadyUsed(SecretCodeError):
    outcome = SecretCodeAttempt.ALREADY_USED


class CodeRevoked(SecretCodeError):
    outcome = SecretCodeAttempt.REVOKED


class TooManyAttempts(SecretCodeError):
    outcome = SecretCodeAttempt.THROTTLED


class CodeNotUsable(SecretCodeError):
    """The code entered in the basket can no longer be used for the order being placed."""

    outcome = SecretCodeAttempt.REFUSED


# Wrong guesses: these count towards the throttle. The other refusals need the
# right code, so they are mistakes, not guesses.
GUESSES = (InvalidCode, UnknownCode, AnotherCustomersCode)


# --- Issuing ---------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedCode:
    """A new code: ``code`` is the only copy of the plain code, to be shown once."""

    code: str
    secret_code: object


def promotions_of(order):
    """The offers that applied to ``order`` (what a secret code for it can keep), by priority."""
    offer_ids = OrderDiscount.objects.filter(order=order, offer_id__isnull=False).values_list("offer_id", flat=True)
    return list(ConditionalOffer.objects.filter(pk__in=set(offer_ids)))


def active_code_for(order, *, now=None):
    """The order's code that can still be used, if any."""
    now = now or timezone.now()
    return (
        SecretCode.objects.filter(
            original_order=order, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        )
        .order_by("-created_at")
        .first()
    )


def issue(original_order, *, offers=None, days=None, reason="", issued_by=None, basket=None, now=None):
    """Issue a secret code for the customer of ``original_order`` that keeps ``offers`` (default: all that applied).

    ``days`` of validity default to ``OSCAR_LOYALTY_SECRET_CODE_DAYS``. With
    ``basket`` (the customer's open basket) the code is entered there at once,
    for staff placing the corrected order on the customer's behalf. Returns
    an :class:`IssuedCode`; raises :class:`CannotIssue`.
    """
    now = now or timezone.now()
    customer = original_order.user
    if customer is None:
        raise CannotIssue(
            _("Order %(number)s was placed by a guest: a secret code needs a customer account.")
            % {"number": original_order.number}
        )
    days = loyalty_settings.SECRET_CODE_DAYS if days is None else days
    max_days = loyalty_settings.SECRET_CODE_MAX_DAYS
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= max_days:
        raise CannotIssue(_("A secret code can be valid for 1 to %(max)s days.") % {"max": max_days})
    applied = {offer.pk: offer for offer in promotions_of(original_order)}
    if not applied:
        raise CannotIssue(
            _("No promotion applied to order %(number)s: there is nothing for a secret code to keep.")
            % {"number": original_order.number}
        )
    chosen = list(applied.values()) if offers is None else list(offers)
    if not chosen:
        raise CannotIssue(_("Choose at least one promotion for the code to keep."))
    foreign = [offer for offer in chosen if offer.pk not in applied]
    if foreign:
        raise CannotIssue(
            _("“%(offer)s” did not apply to order %(number)s.") % {"offer": foreign[0], "number": original_order.number}
        )
    if basket is not None and basket.owner_id != customer.pk:
        raise CannotIssue(_("That basket is not the customer's."))
    with transaction.atomic():
        # The order's row orders concurrent issues for it, so only one live code exists.
        status = (
            type(original_order)
            ._default_manager.select_for_update()
            .filter(pk=original_order.pk)
            .values_list("status", flat=True)
            .first()
        )
        if status not in loyalty_settings.CANCEL_STATUSES:
            raise CannotIssue(
                _(
                    "Order %(number)s is not cancelled (its status is “%(status)s”). A secret code replaces a "
                    "cancelled order: cancel it first."
                )
                % {"number": original_order.number, "status": status}
            )
        used = (
            SecretCode.objects.filter(original_order=original_order, used_at__isnull=False)
            .select_related("replacement_order")
            .first()
        )
        if used is not None and used.replacement_order is not None:
            raise CannotIssue(
                _(
                    "Order %(number)s was already replaced by order %(replacement)s with a secret code. "
                    "To change it again, cancel order %(replacement)s and issue a code for it."
                )
                % {"number": original_order.number, "replacement": used.replacement_order.number}
            )
        if used is not None:
            raise CannotIssue(
                _("The secret code for order %(number)s has already been used.") % {"number": original_order.number}
            )
        existing = active_code_for(original_order, now=now)
        if existing is not None:
            raise CannotIssue(
                _(
                    "Order %(number)s already has a secret code ending in %(hint)s, valid until %(until)s. "
                    "Revoke it before issuing another."
                )
                % {
                    "number": original_order.number,
                    "hint": existing.code_hint,
                    "until": timezone.localtime(existing.expires_at).strftime("%Y-%m-%d %H:%M"),
                }
            )
        plain, row = _create(original_order, customer, days, reason, issued_by, now)
        row.offers.set(chosen)
        if basket is not None:
            row.basket = basket
            row.applied_at = now
            row.save(update_fields=["basket", "applied_at"])
    logger.info("Secret code …%s issued for order %s by %s", row.code_hint, original_order.number, row.issued_by_name)
    return IssuedCode(code=plain, secret_code=row)


def _create(original_order, customer, days, reason, issued_by, now):
    for _attempt in range(5):
        plain = codes.generate()
        canonical = codes.normalise(plain)
        try:
            with transaction.atomic():
                row = SecretCode.objects.create(
                    customer=customer,
                    customer_name=_name(customer),
                    original_order=original_order,
                    code_hash=codes.digest(canonical),
                    code_hint=codes.hint(canonical),
                    reason=reason[:255],
                    issued_by=issued_by,
                    issued_by_name=_name(issued_by),
                    created_at=now,
                    expires_at=now + timedelta(days=days),
                )
        except IntegrityError:
            # 80 random bits: a collision means something is wrong with the
            # random source, but retrying costs nothing.
            continue
        return plain, row
    raise CannotIssue(_("A secret code could not be generated. Please try again."))


def revoke(secret_code, *, actor=None, now=None):
    """Make an unused code unusable. Returns whether it was revoked (False: already used or revoked)."""
    now = now or timezone.now()
    revoked = SecretCode.objects.filter(pk=secret_code.pk, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by_name=_name(actor), basket=None
    )
    if revoked:
        secret_code.refresh_from_db()
    return bool(revoked)


# --- Entering a code in the basket --------------------------------------------------


def enter(request, raw_code, *, now=None):
    """Enter ``raw_code`` in the signed-in customer's basket; returns the ``SecretCode``.

    Every outcome is logged (refusals for too many attempts once per throttle
    window). Raises a :class:`SecretCodeError` subclass, after which nothing
    has changed (except the log and the throttle counters).
    """
    now = now or timezone.now()
    user = request.user
    # Checked and counted in one step: requests arriving together cannot all pass before one is counted.
    place = throttle.take(user.pk, client_ip(request))
    if place.blocked:
        # One row per window, not one per refused request: a flood would fill the log.
        if place.first_refusal:
            _log(request, SecretCodeAttempt.THROTTLED)
        raise TooManyAttempts(
            ngettext(
                "Too many attempts. Please try again in %(minutes)s minute.",
                "Too many attempts. Please try again in %(minutes)s minutes.",
                place.retry_after_minutes,
            )
            % {"minutes": place.retry_after_minutes}
        )
    wrong_guess = False
    try:
        secret_code = _find_usable(request, raw_code, now)
        basket = request.basket
        if basket.id is None:
            basket.save()
        with transaction.atomic():
            attached = SecretCode.objects.filter(
                pk=secret_code.pk, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
            ).update(basket=basket, applied_at=now)
            if not attached:
                # Used or revoked a moment ago: say which.
                secret_code.refresh_from_db()
                _check_state(secret_code, now)
                raise CodeNotUsable(_("This code can no longer be used."))
            # One code per basket: a code entered before gives way.
            for other in SecretCode.objects.filter(basket=basket, used_at__isnull=True).exclude(pk=secret_code.pk):
                SecretCode.objects.filter(pk=other.pk).update(basket=None, applied_at=None)
                _log(request, SecretCodeAttempt.REMOVED, code=other)
            _log(request, SecretCodeAttempt.APPLIED, code=secret_code)
    except SecretCodeError as exc:
        wrong_guess = isinstance(exc, GUESSES)
        _log(request, exc.outcome, code=getattr(exc, "secret_code", None))
        raise
    finally:
        if not wrong_guess:
            throttle.give_back(place)
    secret_code.refresh_from_db()
    forget(request.basket)
    return secret_code


def _find_usable(request, raw_code, now):
    try:
        canonical = codes.normalise(raw_code)
    except codes.CodeFormatError as exc:
        message = {
            "empty": _("Please enter the secret code."),
            "too_long": _("That is too long for a secret code: codes have 16 characters, like XXXX-XXXX-XXXX-XXXX."),
        }.get(exc.reason, _("That is not a secret code: codes have 16 letters and digits, like XXXX-XXXX-XXXX-XXXX."))
        raise InvalidCode(message) from exc
    secret_code = SecretCode.objects.filter(code_hash=codes.digest(canonical)).first()
    if secret_code is None:
        raise UnknownCode(_("No secret code matches what you entered. Please check it and try again."))
    if secret_code.customer_id != request.user.pk:
        if request.user.is_staff:
            message = _(
                "This code was issued to another customer. To place the order for them, sign in as the customer "
                "or enter the code in their basket when issuing it."
            )
        else:
            message = _("This code was issued to another customer: it works only in their account.")
        error = AnotherCustomersCode(message)
        error.secret_code = secret_code
        raise error
    _check_state(secret_code, now)
    if not secret_code.offers.exists():
        error = CodeNotUsable(_("The promotion this code was issued for no longer exists."))
        error.secret_code = secret_code
        raise error
    return secret_code


def _check_state(secret_code, now):
    state = secret_code.state(now)
    errors = {
        SecretCode.USED: CodeAlreadyUsed(_("This code has already been used.")),
        SecretCode.REVOKED: CodeRevoked(_("This code has been withdrawn. Please contact customer services.")),
        SecretCode.EXPIRED: CodeExpired(
            _("This code expired on %(date)s.")
            % {"date": timezone.localtime(secret_code.expires_at).strftime("%Y-%m-%d %H:%M")}
        ),
    }
    if state in errors:
        error = errors[state]
        error.secret_code = secret_code
        raise error


def remove(request):
    """Take the codes out of the signed-in customer's basket; returns how many were removed."""
    basket = request.basket
    if basket.id is None:
        return 0
    removed = 0
    for secret_code in SecretCode.objects.filter(basket=basket, used_at__isnull=True):
        SecretCode.objects.filter(pk=secret_code.pk).update(basket=None, applied_at=None)
        _log(request, SecretCodeAttempt.REMOVED, code=secret_code)
        removed += 1
    forget(basket)
    return removed


# --- The basket and the order ----------------------------------------------------


def code_in_basket(basket):
    """The code entered in ``basket`` (used or not), read once per basket object; None if none."""
    if basket is None or basket.id is None or basket.owner_id is None:
        return None
    if not hasattr(basket, BASKET_MEMO):
        secret_code = (
            SecretCode.objects.filter(basket_id=basket.id, customer_id=basket.owner_id, used_at__isnull=True)
            .order_by("-applied_at")
            .first()
        )
        setattr(basket, BASKET_MEMO, secret_code)
    return getattr(basket, BASKET_MEMO)


def forget(basket):
    """Drop what ``code_in_basket`` remembered: the next offer calculation reads the code again."""
    if basket is not None and hasattr(basket, BASKET_MEMO):
        delattr(basket, BASKET_MEMO)


def reinstated_offers(basket, user, *, now=None):
    """The ended promotions the code in ``basket`` brings back, ready to apply; [] without a usable code.

    Each is marked with its :class:`~.reinstated.Allowance`: what the
    cancelled original order received from it, within the promotion's own
    limits as the orders that still stand use them.
    """
    if user is None or not user.is_authenticated or basket.owner_id != user.pk:
        return []
    secret_code = code_in_basket(basket)
    if secret_code is None or secret_code.state(now) != SecretCode.ACTIVE:
        return []
    offers = list(secret_code.offers.exclude(status=ConditionalOffer.SUSPENDED).select_related("condition", "benefit"))
    if not offers:
        return []
    original_id = secret_code.original_order_id
    offer_ids = [offer.pk for offer in offers]
    original = {}
    voucher_ids = {}
    for offer_id, frequency, amount, voucher_id in OrderDiscount.objects.filter(
        order_id=original_id, offer_id__in=offer_ids
    ).values_list("offer_id", "frequency", "amount", "voucher_id"):
        used = original.get(offer_id, reinstated.Usage())
        original[offer_id] = reinstated.Usage(
            applications=used.applications + (frequency or 0), amount=used.amount + (amount or 0)
        )
        if voucher_id is not None:
            voucher_ids[offer_id] = voucher_id
    products = _discounted_products(original_id, offer_ids)
    standing = _standing_usage(offer_ids, original_id, secret_code.customer_id)
    vouchers = Voucher.objects.in_bulk(set(voucher_ids.values())) if voucher_ids else {}
    for offer in offers:
        # Reached through a promo code then: recorded as that code's discount again.
        voucher = vouchers.get(voucher_ids.get(offer.pk))
        if voucher is not None:
            offer.set_voucher(voucher)
        reinstated.mark(
            offer,
            reinstated.allowance(
                offer,
                secret_code=secret_code,
                original=original.get(offer.pk, reinstated.Usage()),
                standing=standing.get(offer.pk, reinstated.Usage()),
                product_ids=products.get(offer.pk) or products.get(None, ()),
            ),
        )
    return offers


def _discounted_products(order_id, offer_ids):
    """The products of the order's lines each offer discounted; under None, all of the order's products.

    A discount with no line rows (on shipping, or deferred) is tied to the
    order's products as a whole.
    """
    products = {None: set(Line.objects.filter(order_id=order_id).values_list("product_id", flat=True))}
    for offer_id, product_id in OrderLineDiscount.objects.filter(
        order_discount__order_id=order_id, order_discount__offer_id__in=offer_ids
    ).values_list("order_discount__offer_id", "line__product_id"):
        products.setdefault(offer_id, set()).add(product_id)
    return products


def _standing_usage(offer_ids, original_id, customer_id):
    """Each offer's use by the orders that still stand (not cancelled, not the original), as Oscar counts it."""
    rows = (
        OrderDiscount.objects.filter(offer_id__in=offer_ids)
        .exclude(order_id=original_id)
        .exclude(order__status__in=loyalty_settings.CANCEL_STATUSES)
        .values("offer_id")
        .annotate(
            applications=Sum("frequency"),
            amount=Sum("amount"),
            customer_applications=Sum("frequency", filter=Q(order__user_id=customer_id)),
        )
    )
    return {
        row["offer_id"]: reinstated.Usage(
            applications=row["applications"] or 0,
            amount=row["amount"] or reinstated.ZERO,
            customer_applications=row["customer_applications"] or 0,
        )
        for row in rows
    }


def codes_applied(basket):
    """The secret codes whose promotions gave ``basket`` a discount."""
    found = {}
    for application in getattr(basket, "offer_applications", []) or []:
        allowance = reinstated.allowance_of(application["offer"])
        if allowance is not None:
            found[allowance.secret_code.pk] = allowance.secret_code
    return list(found.values())


def check_before_payment(request, basket, *, now=None):
    """Refuse to take payment for a basket whose code stopped working since its prices were shown.

    Without this, a code that expired (or was revoked) during checkout would
    silently drop the promotion's prices from the total the customer pays.
    """
    secret_code = code_in_basket(basket)
    if secret_code is None:
        return
    now = now or timezone.now()
    secret_code.refresh_from_db()
    try:
        if secret_code.customer_id != request.user.pk:
            raise CodeNotUsable(_("The secret code in this basket belongs to another customer."))
        _check_state(secret_code, now)
    except SecretCodeError as exc:
        _log(request, exc.outcome, code=secret_code)
        raise CodeNotUsable(
            _("%(problem)s The promotion's prices no longer apply: please check your basket before ordering.")
            % {"problem": str(exc)}
        ) from exc


def claim_for_order(request, basket, *, now=None):
    """Take the codes that discounted ``basket`` for the order about to be written; returns them.

    Call inside the transaction that writes the order, before writing it, and
    then :func:`link_order`. A conditional update takes each code: of two
    requests placing orders with one code, the second finds it taken and gets
    :class:`CodeNotUsable`, before anything of its order is written.
    """
    now = now or timezone.now()
    claimed = []
    for secret_code in codes_applied(basket):
        taken = SecretCode.objects.filter(
            pk=secret_code.pk,
            customer_id=basket.owner_id,
            basket_id=basket.id,
            used_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=now,
        ).update(used_at=now, used_by_name=_actor_name(request))
        if not taken:
            error = CodeNotUsable(_("This secret code has just been used or withdrawn; the order was not placed."))
            error.secret_code = secret_code
            raise error
        claimed.append(secret_code)
    return claimed


def link_order(request, claimed, order):
    """Record ``order`` as the one placed with the ``claimed`` codes (same transaction as :func:`claim_for_order`)."""
    for secret_code in claimed:
        SecretCode.objects.filter(pk=secret_code.pk).update(replacement_order=order)
        _log(request, SecretCodeAttempt.USED, code=secret_code, order_number=order.number)


def log_refusal(request, error, *, order_number=""):
    """Record a refusal whose own transaction was rolled back (an order that was not placed)."""
    _log(request, error.outcome, code=getattr(error, "secret_code", None), order_number=order_number)


# --- Helpers -----------------------------------------------------------------------


def client_ip(request):
    """The address the request came from, as Django sees it (``REMOTE_ADDR``).

    Behind a proxy, set ``REMOTE_ADDR`` from the trusted forwarded header in a
    middleware: a header the client controls must not pick its own throttle key.
    """
    return request.META.get("REMOTE_ADDR") or None


def _name(user):
    if user is None:
        return ""
    return (user.get_full_name() or getattr(user, "email", "") or str(user))[:255]


def _actor_name(request):
    staff = acting.acting_staff(request) if request is not None else None
    user = getattr(request, "user", None)
    if staff is not None:
        return _("%(staff)s for %(customer)s") % {"staff": _name(staff), "customer": _name(user)}
    return _name(user) if user is not None and user.is_authenticated else ""


def _log(request, outcome, *, code=None, order_number=""):
    user = getattr(request, "user", None)
    user = user if user is not None and user.is_authenticated else None
    staff = acting.acting_staff(request) if request is not None else None
    SecretCodeAttempt.objects.create(
        code=code,
        outcome=outcome,
        user=user,
        user_name=_name(user),
        acting_staff_name=_name(staff),
        ip_address=client_ip(request) if request is not None else None,
        order_number=order_number,
    )
