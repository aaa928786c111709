"""Staff's side of point codes: batches made, exported for printing, given to dealers, revoked; codes reversed.

A code's life begins here: :func:`create_batch` → :func:`export_codes` (the
codes are generated and shown once, for printing) → :func:`assign_batch`
(to a dealer); the buyer's registration is in
:mod:`oscar_loyalty.codes.services`. A batch or an unregistered code can be
revoked at any time (:func:`revoke_batch`, :func:`revoke_code`), and a code
registered by mistake reversed (:func:`reverse_code`), under the same locks
as registration: the customer's user row, then the code's row, then the
points account.
"""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.codes import format as code_format
from oscar_loyalty.codes.exceptions import (
    CannotCreateBatch,
    CannotExport,
    CannotReverse,
    CannotRevoke,
    UnknownCode,
)
from oscar_loyalty.codes.services import CHUNK, _canonical, _date, _lock_customer, _name, ledger_key
from oscar_loyalty.ledger.people import clip
from oscar_loyalty.settings import loyalty_settings

ManufacturerProgram = get_model("oscar_loyalty", "ManufacturerProgram")
Dealer = get_model("oscar_loyalty", "Dealer")
PointCodeBatch = get_model("oscar_loyalty", "PointCodeBatch")
PointCode = get_model("oscar_loyalty", "PointCode")
PointCodeAttempt = get_model("oscar_loyalty", "PointCodeAttempt")
BatchRequest = get_model("oscar_loyalty", "BatchRequest")
Lot = get_model("oscar_loyalty", "Lot")

logger = logging.getLogger("oscar_loyalty.point_codes")


def create_batch(
    program,
    *,
    name,
    points,
    size,
    valid_from,
    valid_until,
    label="",
    dealer=None,
    bonus_every=None,
    bonus_points=None,
    request=None,
    actor=None,
    now=None,
):
    """A new batch of ``size`` codes worth ``points`` each; the codes are made on export.

    With ``dealer`` the batch is given to the dealer at once; with
    ``request`` (a dealer's :class:`BatchRequest`) it answers that request.
    Raises :class:`CannotCreateBatch`.
    """
    now = now or timezone.now()
    name = (name or "").strip()
    if not name:
        raise CannotCreateBatch(_("A batch needs a name."))
    if not program.is_active:
        raise CannotCreateBatch(_("The program “%(program)s” has ended.") % {"program": program})
    for value in (points, size):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise CannotCreateBatch(_("Points per code and the number of codes must be positive whole numbers."))
    max_size = int(loyalty_settings.POINT_CODE_MAX_BATCH_SIZE)
    if size > max_size:
        raise CannotCreateBatch(_("A batch may have at most %(max)s codes.") % {"max": max_size})
    if valid_until <= valid_from:
        raise CannotCreateBatch(_("The end of the validity must come after its start."))
    if valid_until <= now:
        raise CannotCreateBatch(_("The validity ends in the past: the codes could never be registered."))
    half_a_rule = (bonus_every is None) != (bonus_points is None)
    if half_a_rule or (bonus_every is not None and min(bonus_every, bonus_points) < 1):
        raise CannotCreateBatch(_("Give both the number of codes and the extra points, or neither."))
    if dealer is None and request is not None:
        dealer = request.dealer
    if dealer is not None and not dealer.is_active:
        raise CannotCreateBatch(_("The dealer “%(dealer)s” is not active.") % {"dealer": dealer})
    with transaction.atomic():
        if request is not None:
            open_request = BatchRequest.objects.select_for_update().filter(pk=request.pk, status=BatchRequest.OPEN)
            if not open_request.exists():
                raise CannotCreateBatch(_("This request has already been answered."))
        batch = PointCodeBatch.objects.create(
            program=program,
            dealer=dealer,
            name=name[:128],
            label=(label or "")[:128],
            points=points,
            size=size,
            valid_from=valid_from,
            valid_until=valid_until,
            bonus_every=bonus_every,
            bonus_points=bonus_points,
            created_at=now,
            created_by_name=_name(actor),
            assigned_at=now if dealer is not None else None,
        )
        if request is not None:
            BatchRequest.objects.filter(pk=request.pk).update(
                status=BatchRequest.FULFILLED, handled_at=now, handled_by_name=_name(actor), batch=batch
            )
    logger.info("Point code batch %s (%s × %s points) created by %s", batch.pk, size, points, batch.created_by_name)
    return batch


def export_codes(batch, *, actor=None, now=None):
    """Generate the batch's codes and return them for printing, formatted (``XXXX-XXXX-XXXX-XXXX``).

    The only time the plain codes exist: only their keyed hashes are kept.
    A batch is exported once; a second export raises :class:`CannotExport`.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = PointCodeBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.exported_at is not None:
            raise CannotExport(
                _(
                    "The codes of this batch were exported on %(date)s by %(name)s and are shown only once. "
                    "If the file is lost, revoke the batch and create a new one."
                )
                % {"date": _date(locked.exported_at), "name": locked.exported_by_name or "—"}
            )
        if locked.revoked_at is not None:
            raise CannotExport(_("This batch has been revoked."))
        for _attempt in range(3):
            plain = _unique_codes(locked.size)
            try:
                with transaction.atomic():
                    for start in range(0, len(plain), CHUNK):
                        PointCode.objects.bulk_create(
                            [
                                PointCode(
                                    batch=locked,
                                    code_hash=code_format.digest(code),
                                    code_hint=code_format.hint(code),
                                    created_at=now,
                                )
                                for code in plain[start : start + CHUNK]
                            ]
                        )
            except IntegrityError:
                # 75 random bits: a clash with an existing code means a broken random source; try again.
                continue
            break
        else:
            raise CannotExport(_("The codes could not be generated. Please try again."))
        locked.exported_at = now
        locked.exported_by_name = _name(actor)
        locked.save(update_fields=["exported_at", "exported_by_name"])
    batch.exported_at, batch.exported_by_name = locked.exported_at, locked.exported_by_name
    logger.info("Point code batch %s exported by %s", batch.pk, locked.exported_by_name)
    return [code_format.display(code) for code in plain]


def _unique_codes(count):
    codes = set()
    while len(codes) < count:
        codes.add(code_format.generate())
    return sorted(codes)


def assign_batch(batch, dealer, *, now=None):
    """Give ``batch`` to ``dealer`` (or take it back with None); returns the batch."""
    now = now or timezone.now()
    if dealer is not None and not dealer.is_active:
        raise CannotCreateBatch(_("The dealer “%(dealer)s” is not active.") % {"dealer": dealer})
    PointCodeBatch.objects.filter(pk=batch.pk).update(dealer=dealer, assigned_at=now if dealer else None)
    batch.refresh_from_db()
    return batch


def revoke_batch(batch, *, actor=None, now=None):
    """Make every unregistered code of the batch unusable; returns whether it was revoked (False: already)."""
    now = now or timezone.now()
    revoked = PointCodeBatch.objects.filter(pk=batch.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by_name=_name(actor)
    )
    batch.refresh_from_db()
    if revoked:
        logger.info("Point code batch %s revoked by %s", batch.pk, batch.revoked_by_name)
    return bool(revoked)


def revoke_code(point_code, *, actor=None, now=None):
    """Make one unregistered code unusable (a voucher lost or stolen). Raises :class:`CannotRevoke`."""
    now = now or timezone.now()
    revoked = PointCode.objects.filter(pk=point_code.pk, registered_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by_name=_name(actor)
    )
    point_code.refresh_from_db()
    if not revoked:
        if point_code.registered_at is not None:
            raise CannotRevoke(_("This code has been registered: reverse it to take its points back."))
        raise CannotRevoke(_("This code has already been revoked."))
    return point_code


def find_code(raw_code):
    """Staff's lookup of a code someone has in hand: the ``PointCode`` (any state), or an error saying why not."""
    canonical = _canonical(raw_code)
    point_code = PointCode.objects.select_related("batch", "batch__program", "batch__dealer", "customer").filter(
        code_hash=code_format.digest(canonical)
    )
    found = point_code.first()
    if found is None:
        raise UnknownCode(_("No code matches what you entered. Please check it and try again."))
    return found


def reverse_code(point_code, *, actor, reason, now=None):
    """Take back the points of a code registered by mistake; the code cannot be registered again.

    The points are taken through ``ledger.adjust`` from what the customer
    has available; if they have spent them, nothing happens and
    :class:`CannotReverse` says how many are available (the ledger never
    lets a balance go below zero silently). Volume bonuses already paid stay
    paid: a threshold pays once.
    """
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise CannotReverse(_("Say why the code is reversed."))
    customer_id = PointCode.objects.filter(pk=point_code.pk).values_list("customer_id", flat=True).first()
    with transaction.atomic():
        if customer_id is not None:
            _lock_customer(customer_id)
        locked = PointCode.objects.select_for_update().get(pk=point_code.pk)
        if locked.reversed_at is not None:
            raise CannotReverse(_("This code has already been reversed."))
        if locked.registered_at is None:
            raise CannotReverse(_("This code has not been registered: revoke it instead."))
        if locked.customer_id is None:
            raise CannotReverse(_("The customer who registered this code no longer exists."))
        try:
            ledger.adjust(
                locked.customer_id,
                -locked.points,
                key=f"{ledger_key(locked)}:reverse",
                reason=_("Code …%(hint)s reversed: %(reason)s") % {"hint": locked.code_hint, "reason": reason},
                actor=actor,
                origin=Lot.CAMPAIGN,
                now=now,
            )
        except ledger.InsufficientPoints as exc:
            raise CannotReverse(
                _(
                    "The customer has only %(available)s points available, and this code gave %(points)s: "
                    "they have spent them. Nothing was taken back."
                )
                % {"available": exc.available, "points": locked.points},
                point_code=locked,
            ) from exc
        except ledger.LoyaltyError as exc:
            raise CannotReverse(str(exc), point_code=locked) from exc
        locked.reversed_at = now
        locked.reversed_by_name = _name(actor)
        locked.reversal_reason = clip(reason)
        locked.save(update_fields=["reversed_at", "reversed_by_name", "reversal_reason"])
    point_code.refresh_from_db()
    logger.info("Point code …%s reversed by %s", locked.code_hint, locked.reversed_by_name)
    return point_code
