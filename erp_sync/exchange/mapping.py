"""Documents in: what the accounting system says about an order, applied through the loyalty services.

Each document is applied in its own transaction with the order row locked;
it either applies whole or not at all. Points move only through
``oscar_loyalty.earning.services`` and the ledger, with keys that name the
order and the document version, so a replay changes nothing.
"""

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.apps.order.exceptions import InvalidOrderStatus
from oscar.core.loading import get_model

from erp_sync.exchange import commerceml
from erp_sync.exchange.settings import exchange_settings
from oscar_loyalty import ledger
from oscar_loyalty.earning import services as earning
from oscar_loyalty.settings import loyalty_settings

Order = get_model("order", "Order")
OrderErpState = get_model("erp_sync", "OrderErpState")
Reversal = get_model("oscar_loyalty", "Reversal")

logger = logging.getLogger(__name__)

#: A sale the accounting system reports from a store earns in the channel "store:<the store's id>".
STORE_CHANNEL_PREFIX = "store:"


class UnknownOrder(commerceml.DocumentError):
    pass


@dataclass
class Outcome:
    status: str  # "applied", "unchanged" or "failed"
    order_number: str = ""
    changes: list = field(default_factory=list)
    error: str = ""


def _aware(value):
    if value is None or timezone.is_aware(value):
        return value
    return timezone.make_aware(value)


def find_order(doc):
    """The shop's order a document is about: its ``Ид`` is the order number (``Номер`` as a fallback)."""
    for number in (doc.document_id, doc.number):
        if number:
            order = Order.objects.select_for_update().filter(number=number).first()
            if order is not None:
                return order
    raise UnknownOrder(_("No order with the number %(number)s.") % {"number": doc.document_id or doc.number or "-"})


def precheck(documents, *, batch_size=500):
    """[(document, reason)] for the documents that cannot be applied: bad values or unknown orders.

    Run over the whole file before any of it is applied; order numbers are
    looked up in batches, so a large file costs few queries.
    """
    problems, pending = [], []

    def check(batch):
        wanted = {number for doc in batch for number in (doc.document_id, doc.number) if number}
        known = set(Order.objects.filter(number__in=wanted).values_list("number", flat=True))
        for doc in batch:
            if doc.document_id not in known and doc.number not in known:
                problems.append(
                    (doc, _("No order with the number %(number)s.") % {"number": doc.document_id or doc.number or "-"})
                )

    for doc in documents:
        if doc.error:
            problems.append((doc, doc.error))
        elif doc.is_order:
            pending.append(doc)
            if len(pending) >= batch_size:
                check(pending)
                pending = []
    if pending:
        check(pending)
    problems.sort(key=lambda problem: problem[0].position)
    return problems


def apply_document(doc, *, now=None):
    """Apply one parsed document; returns an ``Outcome`` (never raises for a bad document)."""
    if doc.error:
        return Outcome("failed", doc.document_id, error=doc.error)
    if not doc.is_order:
        return Outcome(
            "unchanged",
            changes=[_("Not an order document (%(operation)s): skipped.") % {"operation": doc.operation}],
        )
    now = now or timezone.now()
    try:
        with transaction.atomic():
            order = find_order(doc)
            state, _created = OrderErpState.objects.select_for_update().get_or_create(order=order)
            if commerceml.is_stale(doc.version, state.version):
                return Outcome(
                    "unchanged",
                    order.number,
                    changes=[
                        _("Version %(version)s is not newer than %(applied)s, already applied.")
                        % {"version": doc.version, "applied": state.version}
                    ],
                )
            with earning.sales_channel(f"{STORE_CHANNEL_PREFIX}{doc.store_id}" if doc.store_id else None):
                changes = _apply(order, state, doc, now)
            state.version = doc.version or state.version
            state.save()
            return Outcome("applied" if changes else "unchanged", order.number, changes=changes)
    except commerceml.DocumentError as error:
        return Outcome("failed", doc.document_id, error=str(error))
    except (ledger.LoyaltyError, InvalidOrderStatus) as error:
        return Outcome("failed", doc.document_id, error=str(error))


def _set(state, name, value, changes, label):
    if value in (None, "") or getattr(state, name) == value:
        return False
    setattr(state, name, value)
    changes.append(f"{label}: {value}")
    return True


def _apply(order, state, doc, now):
    changes = []
    _set(state, "erp_number", doc.erp_number, changes, _("number in the accounting system"))
    _set(state, "erp_date", _aware(doc.erp_date), changes, _("date in the accounting system"))
    _set(state, "payment_number", doc.payment_number, changes, _("payment number"))
    _set(state, "shipment_number", doc.shipment_number, changes, _("shipment number"))
    _set(state, "erp_status", doc.status, changes, _("status in the accounting system"))
    paid = _set(state, "paid_at", _aware(doc.paid_at), changes, _("paid"))
    shipped = _set(state, "shipped_at", _aware(doc.shipped_at), changes, _("shipped"))
    posted = doc.posted and not state.posted
    if doc.posted != state.posted:
        state.posted = doc.posted
        changes.append(_("posted") if doc.posted else _("posting undone"))
    cancel = doc.deletion_mark or doc.cancelled
    if cancel:
        if not state.cancelled:
            state.cancelled = True
            changes.append(_("cancelled"))
        _move(order, "cancelled", changes)
        # The status change reverses through the loyalty receiver when the
        # mapping names a cancel status; this call covers the other cases and
        # is a no-op replay (same key) when the receiver got there first.
        earning.reverse_for_order(
            order, reason=_("Order %(number)s cancelled in the accounting system") % {"number": order.number}, now=now
        )
        return changes

    if doc.lines:
        total = doc.goods_total
        if total is not None and total != state.goods_total:
            state.goods_total = total
            changes.append(_("goods total: %(total)s") % {"total": total})
    if paid:
        _move(order, "paid", changes)
    if shipped:
        _move(order, "shipped", changes)
    if order.status in loyalty_settings.CANCEL_STATUSES:
        return changes  # a cancelled or returned order earns nothing, whatever else is reported
    if posted:
        _move(order, "posted", changes)
        if exchange_settings.EXCHANGE_ACCRUE_ON_POSTED and order.user_id:
            if earning.accrue_for_order(order, now=now) is not None:
                changes.append(_("points accrued"))
    _recompute_accrual(order, state, doc.version, changes, now)
    return changes


def _move(order, event, changes):
    """Move the order to the status mapped to ``event``, if the pipeline allows it from where it is."""
    target = exchange_settings.EXCHANGE_STATUS_MAP.get(event)
    if not target or order.status == target:
        return
    if target not in order.available_statuses():
        changes.append(
            _("status %(target)s not reachable from %(status)s: left as it is")
            % {"target": target, "status": order.status}
        )
        return
    order.set_status(target)
    changes.append(_("status: %(status)s") % {"status": target})


def _recompute_accrual(order, state, version, changes, now):
    """Bring the order's points in line with the goods total the accounting system holds.

    The total is a target (see ``earning.apply_goods_total``): the returned
    share follows from it, whatever totals came before, and it is recorded
    even before the order earns, so the accrual honours it. Stale versions
    never get here; a document without a version is the newest by arrival.
    Its key names the version, or, without one, the total and how many
    reversals the order had, so a repeat of the same state is a replay.
    """
    if state.goods_total is None or not order.user_id or state.cancelled:
        return  # a cancelled order stays reversed in full, whatever totals follow
    if version:
        key = f"erp:{order.number}:goods:v{version}"
    else:
        count = Reversal.objects.filter(order_number=order.number).count()
        key = f"erp:{order.number}:goods:{state.goods_total}:{count}"
    reason = _("Order %(number)s changed in the accounting system") % {"number": order.number}
    reversal = earning.apply_goods_total(order, state.goods_total, key=key, reason=reason, now=now)
    state.accrued_total = state.goods_total
    if reversal is None:
        return
    changes.append(
        _("returned share %(share)s: accrual %(accrual)+d points, points given back %(restored)+d")
        % {
            "share": f"{reversal.cumulative_fraction:.2%}",
            "accrual": -reversal.points_reversed,
            "restored": reversal.points_restored,
        }
    )
