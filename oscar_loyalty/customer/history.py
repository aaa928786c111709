"""A customer's history of points in plain words: one line per journal entry.

``describe(entry)`` is the only place that words a movement for the
customer; the account pages and anything else that shows the history call
it. Amounts carry their sign (``+305``, ``−500``, with a true minus sign).
"""

from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from oscar.core.loading import get_model

JournalEntry = get_model("oscar_loyalty", "JournalEntry")
Reservation = get_model("oscar_loyalty", "Reservation")
Lot = get_model("oscar_loyalty", "Lot")

MINUS = "\u2212"


def entries_for(user):
    """The customer's own journal, newest first, without the bookkeeping a customer need not see.

    Hidden: holds of points for checkouts that have ended (the payment or
    the release tells the story) and releases that gave every point back.
    A hold still in progress is shown, since it explains a smaller balance.
    """
    hidden = Q(kind=JournalEntry.RESERVATION) & ~Q(reservation__status=Reservation.HELD)
    hidden |= Q(kind=JournalEntry.RELEASE, points=0)
    return (
        JournalEntry.objects.filter(account__user=user)
        .exclude(hidden)
        .select_related("lot", "reservation", "reversal")
        .order_by("-created_at", "-id")
    )


def describe(entry, *, now=None):
    """The movement in the customer's words, e.g. "+305 for order 100123, available from 14 December"."""
    now = now or timezone.now()
    describe_kind = _DESCRIBERS.get(entry.kind, _other)
    return describe_kind(entry, now)


def signed(points):
    """``+305``, ``−500`` (a true minus sign), ``0``."""
    if points > 0:
        return f"+{points}"
    if points < 0:
        return f"{MINUS}{-points}"
    return "0"


def day(moment, now):
    """A date as the customer reads it ("14 December"), with the year only when it is not this year's."""
    moment, now = timezone.localtime(moment), timezone.localtime(now)
    if moment.year == now.year:
        # Translators: a date format of Django's "date" filter; E is the month in the form a date needs.
        return date_format(moment, pgettext("date format", "j E"))
    # Translators: a date format of Django's "date" filter; E is the month in the form a date needs.
    return date_format(moment, pgettext("date format", "j E Y"))


# --- One describer per kind of entry ------------------------------------------


def _accrual(entry, now):
    values = {"points": signed(entry.points), "order": entry.order_number, "reason": entry.reason}
    pending_until = _pending_until(entry)
    if entry.order_number and pending_until:
        text = _("%(points)s for order %(order)s, available from %(date)s")
    elif entry.order_number:
        text = _("%(points)s for order %(order)s")
    elif entry.reason and pending_until:
        text = _("%(points)s credited (%(reason)s), available from %(date)s")
    elif entry.reason:
        text = _("%(points)s credited (%(reason)s)")
    elif pending_until:
        text = _("%(points)s credited, available from %(date)s")
    else:
        text = _("%(points)s credited")
    if pending_until:
        values["date"] = day(pending_until, now)
    return _with_debt_paid(text % values, entry)


def _activation(entry, now):
    values = {"points": entry.available_change, "order": entry.order_number}
    if entry.order_number:
        return _("%(points)s for order %(order)s became available") % values
    return _("%(points)s became available") % values


def _reservation(entry, now):
    return _("%(points)s set aside to pay for order %(order)s") % {
        "points": entry.reserved_change,
        "order": entry.order_number,
    }


def _release(entry, now):
    held = -entry.reserved_change
    expired = -entry.points
    values = {"order": entry.order_number, "held": held, "points": signed(entry.points), "back": held - expired}
    if expired <= 0:
        return _("%(held)s set aside for order %(order)s returned to your balance") % values
    if held - expired > 0:
        return _("%(points)s expired while set aside for order %(order)s; the other %(back)s returned") % values
    return _("%(points)s expired while set aside for order %(order)s") % values


def _redemption(entry, now):
    return _("%(points)s paid for order %(order)s") % {"points": signed(entry.points), "order": entry.order_number}


def _expiry(entry, now):
    values = {"points": signed(entry.points), "order": entry.order_number}
    if entry.order_number:
        return _("%(points)s expired (earned for order %(order)s)") % values
    return _("%(points)s expired") % values


def _reversal(entry, now):
    values = {"points": signed(entry.points), "order": entry.order_number}
    partial = entry.reversal is not None and entry.reversal.fraction < 1
    if partial:
        text = _("%(points)s: part of order %(order)s returned") % values
    else:
        text = _("%(points)s: order %(order)s cancelled or returned") % values
    if entry.debt_change > 0:
        spent = _("%(debt)s of them had already been spent and will be taken from your next points.")
        text = _then(text, spent % {"debt": entry.debt_change})
    return text


def _restoration(entry, now):
    values = {"points": signed(entry.points), "order": entry.order_number}
    lot = entry.lot
    if lot is not None and lot.origin == Lot.RESTORE:
        # The lot it came from had expired meanwhile: these points live a short while.
        values["date"] = day(lot.expires_at, now)
        text = _("%(points)s returned from order %(order)s, usable until %(date)s") % values
    else:
        text = _("%(points)s returned from order %(order)s") % values
    return _with_debt_paid(text, entry)


def _adjustment(entry, now):
    values = {"points": signed(entry.points), "reason": entry.reason}
    pending_until = _pending_until(entry)
    if entry.points > 0 and pending_until:
        values["date"] = day(pending_until, now)
        text = _("%(points)s added by the shop (%(reason)s), available from %(date)s") % values
    elif entry.points > 0:
        text = _("%(points)s added by the shop (%(reason)s)") % values
    else:
        text = _("%(points)s deducted by the shop (%(reason)s)") % values
    return _with_debt_paid(text, entry)


def _erp_correction(entry, now):
    values = {"points": signed(entry.points), "reason": entry.reason}
    return _with_debt_paid(_("%(points)s: correction by our accounts department (%(reason)s)") % values, entry)


def _other(entry, now):
    return _("%(points)s: %(kind)s") % {"points": signed(entry.points), "kind": entry.get_kind_display()}


_DESCRIBERS = {
    JournalEntry.ACCRUAL: _accrual,
    JournalEntry.ACTIVATION: _activation,
    JournalEntry.RESERVATION: _reservation,
    JournalEntry.RELEASE: _release,
    JournalEntry.REDEMPTION: _redemption,
    JournalEntry.EXPIRY: _expiry,
    JournalEntry.REVERSAL: _reversal,
    JournalEntry.RESTORATION: _restoration,
    JournalEntry.ADJUSTMENT: _adjustment,
    JournalEntry.ERP_CORRECTION: _erp_correction,
}


def _pending_until(entry):
    """When the points credited by ``entry`` became spendable, if they were not at once."""
    if entry.pending_change > 0 and entry.lot is not None:
        return entry.lot.available_at
    return None


def _with_debt_paid(text, entry):
    if entry.debt_change < 0:
        covered = _("%(debt)s of them covered points owed from a returned order.")
        return _then(text, covered % {"debt": -entry.debt_change})
    return text


def _then(text, sentence):
    """A movement's description followed by a sentence about it."""
    return f"{text}. {sentence}"
