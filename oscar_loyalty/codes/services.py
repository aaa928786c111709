"""Point codes: registration by customers, the volume bonus, and dealers' requests for batches.

With :mod:`oscar_loyalty.codes.batches` (staff's side: batches, export,
revocation, reversal), the public API of manufacturer programs and the only
writers of their tables. Views, the dashboard and the demo call these
functions; points move only through :mod:`oscar_loyalty.ledger`. Each refusal
is a precise :class:`~oscar_loyalty.codes.exceptions.PointCodeError` subclass
whose message can be shown as it is.

A code's life: :func:`~oscar_loyalty.codes.batches.create_batch` (staff) →
``export_codes`` (the codes are generated and shown once, for printing) →
``assign_batch`` (to a dealer) → :func:`register` (the buyer, on "My
bonuses"; :func:`register_for` without a request) → ``reverse_code`` (staff,
for a code registered by mistake).

Locks are taken in one order everywhere: the customer's user row, then the
code's row, then (inside the ledger) the customer's points account. The
customer's row serialises their registrations, so the count of their codes
that decides a volume bonus is exact and each threshold is paid once.
"""

import logging
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.checkout.promotions import acting, throttle
from oscar_loyalty.checkout.promotions.services import client_ip
from oscar_loyalty.codes import format as code_format
from oscar_loyalty.codes import volume
from oscar_loyalty.codes.exceptions import (
    GUESSES,
    CannotRequest,
    CodeAlreadyRegistered,
    CodeExpired,
    CodeNotYetValid,
    CodeRevoked,
    InvalidCode,
    MistypedCode,
    PointCodeError,
    RegistrationRefused,
    TooManyAttempts,
    UnknownCode,
)
from oscar_loyalty.ledger.people import clip, display_name
from oscar_loyalty.settings import loyalty_settings

ManufacturerProgram = get_model("oscar_loyalty", "ManufacturerProgram")
Dealer = get_model("oscar_loyalty", "Dealer")
PointCodeBatch = get_model("oscar_loyalty", "PointCodeBatch")
PointCode = get_model("oscar_loyalty", "PointCode")
PointCodeAttempt = get_model("oscar_loyalty", "PointCodeAttempt")
VolumeBonus = get_model("oscar_loyalty", "VolumeBonus")
BatchRequest = get_model("oscar_loyalty", "BatchRequest")
Lot = get_model("oscar_loyalty", "Lot")

logger = logging.getLogger("oscar_loyalty.point_codes")

THROTTLE_PREFIX = "oscar_loyalty:point-code:failures"
# Codes are written in chunks of this many rows.
CHUNK = 1000


def throttle_limits():
    """The point codes' own throttle counters and limits (separate from the secret codes')."""
    return throttle.Limits(
        THROTTLE_PREFIX,
        int(loyalty_settings.POINT_CODE_ATTEMPTS_PER_USER),
        int(loyalty_settings.POINT_CODE_ATTEMPTS_PER_IP),
        int(loyalty_settings.POINT_CODE_THROTTLE_MINUTES),
    )


def _name(user):
    if user is None or isinstance(user, str):
        return clip(user or "")
    return display_name(user)


def _date(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d")


def ledger_key(point_code):
    """The idempotency key of a code's points: derived from the code (its hash), so a code pays once."""
    return f"point-code:{point_code.code_hash}"


# --- Registering a code (the customer) ------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """A code registered: the points it gave, and the volume bonus it reached (or None)."""

    point_code: object
    points: int
    bonus: object = None


def register(request, raw_code, *, now=None):
    """Register ``raw_code`` for the signed-in customer of ``request``; returns a :class:`Registration`.

    The request gives the address the throttle and the log record, and the
    staff member acting for the customer, if any. See :func:`register_for`.
    """
    return register_for(
        request.user, raw_code, ip_address=client_ip(request), acting_staff=acting.acting_staff(request), now=now
    )


def register_for(user, raw_code, *, ip_address=None, acting_staff=None, now=None):
    """Register ``raw_code`` for ``user`` (e.g. a call centre typing it in); returns a :class:`Registration`.

    Every outcome is logged (refusals for too many attempts once per throttle
    window). Raises a :class:`PointCodeError` subclass, after which nothing
    has changed (except the log and the throttle counters).
    """
    now = now or timezone.now()
    who = (user, ip_address, acting_staff)
    place = throttle.take(user.pk, ip_address, limits=throttle_limits())
    if place.blocked:
        if place.first_refusal:
            _log(who, PointCodeAttempt.THROTTLED)
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
        point_code = _find(raw_code, user, now)
        registration = _register(point_code, user, now)
    except PointCodeError as exc:
        wrong_guess = isinstance(exc, GUESSES)
        _log(who, exc.outcome, code=exc.point_code)
        raise
    finally:
        if not wrong_guess:
            throttle.give_back(place)
    _log(who, PointCodeAttempt.REGISTERED, code=registration.point_code)
    logger.info("Point code …%s registered by user %s", registration.point_code.code_hint, user.pk)
    return registration


def _canonical(raw_code):
    try:
        return code_format.normalise(raw_code)
    except code_format.CodeFormatError as exc:
        if exc.reason == "check":
            raise MistypedCode(
                _("One of the characters is mistyped: please check the code against your voucher.")
            ) from exc
        message = {
            "empty": _("Please enter the code from your voucher."),
            "too_long": _("That is too long for a code: codes have 16 characters, like XXXX-XXXX-XXXX-XXXX."),
            "look_alike": _("Codes have no 0, O, 1 or I: please check the code against your voucher."),
        }.get(exc.reason, _("That is not a code: codes have 16 letters and digits, like XXXX-XXXX-XXXX-XXXX."))
        raise InvalidCode(message) from exc


def _find(raw_code, user, now):
    canonical = _canonical(raw_code)
    point_code = (
        PointCode.objects.select_related("batch", "batch__program")
        .filter(code_hash=code_format.digest(canonical))
        .first()
    )
    if point_code is None:
        raise UnknownCode(_("No code matches what you entered. Please check it against your voucher."))
    _check_state(point_code, user, now)
    return point_code


def _check_state(point_code, user, now):
    state = point_code.state(now)
    if state == PointCode.ACTIVE and not point_code.batch.program.is_active:
        raise CodeRevoked(_("The program this code belongs to has ended."), point_code=point_code)
    if state == PointCode.REGISTERED and point_code.customer_id == user.pk:
        raise CodeAlreadyRegistered(
            _("You registered this code on %(date)s.") % {"date": _date(point_code.registered_at)},
            point_code=point_code,
        )
    errors = {
        PointCode.REGISTERED: (CodeAlreadyRegistered, _("This code has already been registered.")),
        PointCode.REVERSED: (CodeRevoked, _("This code has been cancelled. Please contact customer services.")),
        PointCode.REVOKED: (CodeRevoked, _("This code has been withdrawn. Please contact customer services.")),
        PointCode.EXPIRED: (
            CodeExpired,
            _("This code expired on %(date)s.") % {"date": _date(point_code.batch.valid_until)},
        ),
        PointCode.NOT_YET_VALID: (
            CodeNotYetValid,
            _("This code can be registered from %(date)s.") % {"date": _date(point_code.batch.valid_from)},
        ),
    }
    if state in errors:
        error, message = errors[state]
        raise error(message, point_code=point_code)


def _lock_customer(user_id):
    # The customer's row is the first lock of every registration (see the module's docstring).
    # NO KEY: rows that merely refer to the customer can still be written meanwhile.
    list(get_user_model().objects.select_for_update(no_key=True).filter(pk=user_id).values_list("pk", flat=True))


def _register(point_code, user, now):
    with transaction.atomic():
        _lock_customer(user.pk)
        # Read again under the code's lock: a registration from another session may have just won.
        locked = PointCode.objects.select_for_update(of=("self",)).select_related("batch", "batch__program")
        point_code = locked.get(pk=point_code.pk)
        _check_state(point_code, user, now)
        batch, program = point_code.batch, point_code.batch.program
        point_code.registered_at = now
        point_code.customer = user
        point_code.customer_name = display_name(user)
        point_code.points = batch.points
        point_code.save(update_fields=["registered_at", "customer", "customer_name", "points"])
        reason = _("Code …%(hint)s: %(program)s, %(batch)s") % {
            "hint": point_code.code_hint,
            "program": program.name,
            "batch": batch.name,
        }
        _accrue(user, batch.points, key=ledger_key(point_code), reason=reason, now=now, point_code=point_code)
        bonus = _volume_bonus(user, batch, program, now)
    return Registration(point_code=point_code, points=batch.points, bonus=bonus)


def _accrue(user, points, *, key, reason, now, point_code=None):
    try:
        return ledger.accrue(
            user,
            points,
            key=key,
            reason=reason,
            origin=Lot.CAMPAIGN,
            hold_days=int(loyalty_settings.POINT_CODE_HOLD_DAYS),
            now=now,
        )
    except ledger.LoyaltyError as exc:
        raise RegistrationRefused(str(exc), point_code=point_code) from exc


def _volume_bonus(user, batch, program, now):
    rule = volume.rule_for(batch, program)
    if rule is None:
        return None
    counted = PointCode.objects.filter(customer=user, registered_at__isnull=False, reversed_at__isnull=True)
    if rule.scope.startswith("batch:"):
        counted = counted.filter(batch=batch)
    else:
        counted = counted.filter(batch__program=program, batch__bonus_every__isnull=True)
    count = counted.count()
    threshold = volume.threshold_reached(count, rule.every)
    if threshold is None:
        return None
    if VolumeBonus.objects.filter(customer=user, scope=rule.scope, threshold=threshold).exists():
        return None  # paid when the count first reached it (a code reversed since was replaced)
    key = f"point-codes:bonus:{rule.scope}:{user.pk}:{threshold}"
    reason = ngettext(
        "Extra points for %(count)s registered code: %(program)s",
        "Extra points for %(count)s registered codes: %(program)s",
        count,
    ) % {"count": count, "program": program.name}
    _accrue(user, rule.points, key=key, reason=reason, now=now)
    return VolumeBonus.objects.create(
        customer=user,
        scope=rule.scope,
        program=program,
        threshold=threshold,
        codes=count,
        points=rule.points,
        ledger_key=key,
        created_at=now,
    )


def _log(who, outcome, *, code=None):
    user, ip_address, acting_staff = who
    PointCodeAttempt.objects.create(
        code=code,
        outcome=outcome,
        user=user,
        user_name=_name(user),
        acting_staff_name=_name(acting_staff),
        ip_address=ip_address,
    )


# --- Dealers -----------------------------------------------------------------------


def dealers_of(user):
    """The active dealers ``user`` signs in for (most people: none)."""
    if user is None or not user.is_authenticated:
        return Dealer.objects.none()
    return Dealer.objects.filter(users=user, is_active=True)


def request_batch(dealer, program, *, size, comment="", user=None, now=None):
    """A dealer asks for ``size`` codes of ``program``; staff answer with :func:`create_batch` or :func:`decline`."""
    now = now or timezone.now()
    max_size = int(loyalty_settings.POINT_CODE_MAX_BATCH_SIZE)
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= max_size:
        raise CannotRequest(_("Ask for 1 to %(max)s codes.") % {"max": max_size})
    if not program.is_active:
        raise CannotRequest(_("The program “%(program)s” has ended.") % {"program": program})
    return BatchRequest.objects.create(
        dealer=dealer,
        program=program,
        size=size,
        comment=clip(comment),
        requested_by_name=_name(user),
        created_at=now,
    )


def decline(batch_request, *, actor=None, now=None):
    """Decline an open request; returns whether it was open."""
    now = now or timezone.now()
    return bool(
        BatchRequest.objects.filter(pk=batch_request.pk, status=BatchRequest.OPEN).update(
            status=BatchRequest.DECLINED, handled_at=now, handled_by_name=_name(actor)
        )
    )
