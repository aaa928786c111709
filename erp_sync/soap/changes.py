"""Changes made in the accounting system, applied to the shop once each.

Balance corrections become ledger entries of kind ``erp_correction`` (through
``ledger.adjust`` with origin ERP, keyed by the correction's id); statuses
become tier pins. Each feed is read after a stored cursor, and every item is
recorded as an ``ErpChange`` (applied, or not applied with the reason), so a
repeated read changes nothing and staff see what could not be applied.
"""

import logging

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from erp_sync.soap.client import get_service
from erp_sync.soap.settings import soap_settings
from oscar_loyalty import ledger
from oscar_loyalty.earning import tiers
from oscar_loyalty.ledger import LoyaltyError

logger = logging.getLogger("erp_sync.soap")

ErpChange = get_model("erp_sync", "ErpChange")
ErpCursor = get_model("erp_sync", "ErpCursor")
Account = get_model("oscar_loyalty", "Account")
Lot = get_model("oscar_loyalty", "Lot")
Tier = get_model("oscar_loyalty", "Tier")
TierChange = get_model("oscar_loyalty", "TierChange")

CORRECTIONS_FEED = "corrections"
STATUSES_FEED = "statuses"


class UnknownErpCustomer(LoyaltyError):
    pass


def correction_key(erp_id):
    """The ledger key of a correction: the accounting system's id makes it apply once."""
    return f"erp-correction:{erp_id}"


def find_customer(code):
    """The user behind an accounting-system customer code (see ``outbox.customer_code``)."""
    code = str(code or "").strip()
    User = get_user_model()
    user = None
    if code.isdigit():
        user = User.objects.filter(pk=int(code)).first()
    elif code.startswith("account-") and code[len("account-") :].isdigit():
        account = Account.objects.filter(pk=int(code[len("account-") :])).select_related("user").first()
        user = account.user if account else None
    if user is None:
        raise UnknownErpCustomer(_("The shop has no customer with the code %(code)s.") % {"code": code or "-"})
    return user


def pull_corrections(*, service=None):
    """Read and apply corrections after the stored cursor; returns how many were new."""
    return _pull(CORRECTIONS_FEED, lambda s, cursor, limit: s.get_corrections(cursor, limit), apply_correction, service)


def pull_statuses(*, service=None):
    """Read and apply statuses (tier pins) after the stored cursor; returns how many were new."""
    return _pull(STATUSES_FEED, lambda s, cursor, limit: s.get_statuses(cursor, limit), apply_status, service)


def apply_correction(correction):
    """Apply one correction once; returns the ``ErpChange`` if it was new, else None."""
    if ErpChange.objects.filter(kind=ErpChange.CORRECTION, erp_id=correction.id).exists():
        return None
    actor = correction.accountant or soap_settings.ERP_ACTOR
    reason = correction.reason or _("Correction %(id)s in the accounting system") % {"id": correction.id}
    change = ErpChange(
        kind=ErpChange.CORRECTION,
        erp_id=correction.id,
        customer=correction.customer,
        points=correction.points,
        reason=reason[:255],
        accountant=actor[:255],
    )
    return _apply(
        change,
        lambda: ledger.adjust(
            find_customer(correction.customer),
            correction.points,
            key=correction_key(correction.id),
            reason=reason,
            actor=actor,
            origin=Lot.ERP,
        ),
    )


def apply_status(status):
    """Pin (or, with no tier, unpin) a customer's tier once; returns the ``ErpChange`` if it was new."""
    if ErpChange.objects.filter(kind=ErpChange.STATUS, erp_id=status.id).exists():
        return None
    actor = status.accountant or soap_settings.ERP_ACTOR
    reason = status.reason or _("Status %(id)s in the accounting system") % {"id": status.id}
    change = ErpChange(
        kind=ErpChange.STATUS,
        erp_id=status.id,
        customer=status.customer,
        tier=status.tier[:64],
        reason=reason[:255],
        accountant=actor[:255],
    )

    def pin():
        user = find_customer(status.customer)
        if not status.tier:
            return tiers.unpin_tier(user, actor=actor, reason=reason, source=TierChange.ERP)
        tier = Tier.objects.filter(code=status.tier).first()
        if tier is None:
            raise LoyaltyError(_("The shop has no tier with the code %(code)s.") % {"code": status.tier})
        return tiers.pin_tier(user, tier, actor=actor, reason=reason, until=status.until, source=TierChange.ERP)

    return _apply(change, pin)


def _apply(change, operation):
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    operation()
                change.state = ErpChange.APPLIED
            except LoyaltyError as exc:
                change.state = ErpChange.FAILED
                change.error = str(exc)
            change.save()
    except IntegrityError:
        # Another pull recorded the same change first.
        return None
    if change.state == ErpChange.FAILED:
        logger.warning("%s %s not applied: %s", change.kind, change.erp_id, change.error)
    return change


def _pull(feed, read, apply, service):
    service = service or get_service()
    limit = soap_settings.PULL_LIMIT
    cursor, _created = ErpCursor.objects.get_or_create(name=feed)
    new = 0
    while True:
        page = read(service, cursor.value, limit)
        for item in page.items:
            new += apply(item) is not None
        if page.cursor == cursor.value:
            break
        cursor.value = page.cursor
        cursor.updated_at = timezone.now()
        cursor.save(update_fields=["value", "updated_at"])
        if len(page.items) < limit:
            break
    return new
