"""Reconciliation (сверка): the shop's bonus figures against the accounting system's.

Per customer: the shop's balance (available + pending + reserved − debt: what
the customer owns, which is what the pushed movements add up to) against the
service's balance. Per order: points paid with (redemptions net of restored
and released points) and points accrued (accruals net of reversals), computed
by both sides from the same movements.

A figure present on one side only is "missing" there, unless it is zero.
Staff resolve a mismatch by sending the shop's movements again (the service
skips keys it has) or, for a customer's balance, by accepting the accounting
system's figure: an ERP correction in the ledger, in the staff member's name.
"""

from dataclasses import dataclass

from django.db import DataError, transaction
from django.db.models import Case, Count, F, IntegerField, Sum, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree
from oscar.core.loading import get_model

from erp_sync import outbox
from erp_sync.soap.changes import find_customer
from erp_sync.soap.client import POINTS_MAX, POINTS_MIN, ErpError, get_service
from oscar_loyalty import csv_export, ledger
from oscar_loyalty.ledger import LoyaltyError
from oscar_loyalty.ledger.accounts import locking

Account = get_model("oscar_loyalty", "Account")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")
Lot = get_model("oscar_loyalty", "Lot")
OutboxMessage = get_model("erp_sync", "OutboxMessage")
ReconciliationRun = get_model("erp_sync", "ReconciliationRun")
ReconciliationLine = get_model("erp_sync", "ReconciliationLine")

PAID_KINDS = (JournalEntry.REDEMPTION, JournalEntry.RESTORATION, JournalEntry.RELEASE)
ACCRUED_KINDS = (JournalEntry.ACCRUAL, JournalEntry.REVERSAL)


class ReconciliationError(Exception):
    """A resolution that cannot be made; the message says why."""


@dataclass(frozen=True)
class Summary:
    matched: int
    mismatched: int
    missing_in_erp: int
    missing_in_shop: int
    balance_difference: int

    def __str__(self):
        return _(
            "%(matched)s matched, %(mismatched)s mismatched, %(missing_in_erp)s missing in the accounting system, "
            "%(missing_in_shop)s missing in the shop; total difference in balances (shop − accounting system): "
            "%(difference)+d points"
        ) % {
            "matched": self.matched,
            "mismatched": self.mismatched,
            "missing_in_erp": self.missing_in_erp,
            "missing_in_shop": self.missing_in_shop,
            "difference": self.balance_difference,
        }


# --- Comparing (pure) ------------------------------------------------------------------


def compare(scope, shop, erp):
    """Lines for two {reference: figure} mappings, sorted by reference."""
    lines = []
    for reference in sorted(set(shop) | set(erp)):
        mine, theirs = shop.get(reference), erp.get(reference)
        if mine is None:
            state = ReconciliationLine.MISSING_IN_SHOP if theirs else ReconciliationLine.MATCHED
        elif theirs is None:
            state = ReconciliationLine.MISSING_IN_ERP if mine else ReconciliationLine.MATCHED
        else:
            state = ReconciliationLine.MATCHED if mine == theirs else ReconciliationLine.MISMATCHED
        lines.append(
            ReconciliationLine(
                scope=scope,
                reference=reference,
                shop_value=mine,
                erp_value=theirs,
                difference=(mine or 0) - (theirs or 0),
                state=state,
            )
        )
    return lines


# --- The shop's side ---------------------------------------------------------------


def shop_balances():
    rows = Account.objects.values_list("id", "user_id", "available", "pending", "reserved", "debt")
    return {
        (str(user_id) if user_id is not None else f"account-{pk}"): available + pending + reserved - debt
        for pk, user_id, available, pending, reserved, debt in rows.iterator()
    }


def shop_order_figures():
    """({order: paid}, {order: accrued}) from the journal."""
    rows = (
        JournalEntry.objects.exclude(order_number="")
        .exclude(kind=JournalEntry.ERP_CORRECTION)
        .order_by()
        .values("order_number")
        .annotate(
            paid=Coalesce(Sum(Case(When(kind__in=PAID_KINDS, then=-F("points")), output_field=IntegerField())), 0),
            accrued=Coalesce(Sum(Case(When(kind__in=ACCRUED_KINDS, then=F("points")), output_field=IntegerField())), 0),
        )
    )
    paid, accrued = {}, {}
    for row in rows.iterator():
        paid[row["order_number"]] = row["paid"]
        accrued[row["order_number"]] = row["accrued"]
    return paid, accrued


# --- Running ---------------------------------------------------------------------------


def reconcile(*, service=None, started_by=""):
    """Compare both sides now and store the result as a run (raises ``ErpError`` if the service fails)."""
    run = ReconciliationRun.objects.create(started_at=timezone.now(), started_by=started_by[:255])
    # A run that fails is finished with its error: a run left without one would read as a clean match. The
    # service is made inside, so a WSDL that cannot be loaded is a failed run in the history too.
    try:
        service = service or get_service()
        erp_balances = {b.customer: b.points for b in service.get_balances([]) if b.known}
        erp_orders = service.get_order_bonuses([])
        paid, accrued = shop_order_figures()
        lines = [
            *compare(ReconciliationLine.CUSTOMER, shop_balances(), erp_balances),
            *compare(ReconciliationLine.ORDER_PAID, paid, {o.order: o.paid for o in erp_orders}),
            *compare(ReconciliationLine.ORDER_ACCRUED, accrued, {o.order: o.accrued for o in erp_orders}),
        ]
        for line in lines:
            line.run = run
        with transaction.atomic():
            ReconciliationLine.objects.bulk_create(lines, batch_size=1000)
            run.finished_at = timezone.now()
            run.save(update_fields=["finished_at"])
    except ErpError as exc:
        _failed(run, exc.message)
        raise
    except Exception as exc:
        _failed(run, _("The reconciliation failed: %(error)s") % {"error": str(exc) or exc.__class__.__name__})
        raise
    return run


def _failed(run, error):
    run.error = error
    run.finished_at = timezone.now()
    run.save(update_fields=["error", "finished_at"])


def summarize(run):
    counts = {state: 0 for state, _label in ReconciliationLine.STATE_CHOICES}
    for row in run.lines.order_by().values("state").annotate(n=Count("id")):
        counts[row["state"]] = row["n"]
    difference = run.lines.filter(scope=ReconciliationLine.CUSTOMER).aggregate(total=Coalesce(Sum("difference"), 0))[
        "total"
    ]
    return Summary(
        matched=counts[ReconciliationLine.MATCHED],
        mismatched=counts[ReconciliationLine.MISMATCHED],
        missing_in_erp=counts[ReconciliationLine.MISSING_IN_ERP],
        missing_in_shop=counts[ReconciliationLine.MISSING_IN_SHOP],
        balance_difference=difference,
    )


# --- Resolving -----------------------------------------------------------------------


def resolve_by_pushing(line, *, actor):
    """Send the movements behind the line again; returns the accounts queued."""
    accounts = _accounts_of(line)
    if not accounts:
        raise ReconciliationError(_("The shop has no movements for %(reference)s.") % {"reference": line.reference})
    for account_id in accounts:
        outbox.redeliver_customer(account_id)
    _mark(line, ReconciliationLine.PUSHED, actor)
    from erp_sync.tasks import deliver_after_commit

    deliver_after_commit(accounts)
    return accounts


def resolve_by_accepting(line, *, actor, service=None):
    """Make the shop's balance the accounting system's: an ERP correction in the staff member's name.

    The accounting system is asked before the customer's account is locked: a
    slow answer must not hold up the customer's checkout. Its figure is
    comparable with the shop's only if none of the customer's movements was
    on its way to it when it was asked, and none was written between the
    question and the lock; otherwise the acceptance is refused, nothing is
    written, and staff reconcile again. A customer the accounting system does
    not know has no balance to accept (it is not zero there: it is missing).
    """
    if line.scope != ReconciliationLine.CUSTOMER:
        raise ReconciliationError(_("Only a customer's balance can be accepted from the accounting system."))
    user = _user_of(line.reference)
    service = service or get_service()
    account = Account.objects.filter(user=user).first()
    _refuse_while_on_the_way(account)
    seen = _last_movement(account)
    theirs = service.get_balance(line.reference)
    if not theirs.known:
        raise ReconciliationError(
            _(
                "The accounting system does not know the customer %(reference)s, so it has no balance to accept. "
                "Send the shop's movements again instead."
            )
            % {"reference": line.reference}
        )
    with transaction.atomic():
        account = locking().filter(user=user).first()
        _refuse_while_on_the_way(account)
        if _last_movement(account) != seen:
            raise ReconciliationError(
                _(
                    "The points of %(reference)s changed while the accounting system was asked; "
                    "reconcile again before accepting its balance."
                )
                % {"reference": line.reference}
            )
        mine = account.total - account.debt if account else 0
        difference = theirs.points - mine
        beyond = ReconciliationError(
            _(
                "The accounting system's balance of %(reference)s (%(points)s) is beyond what the loyalty ledger "
                "can hold; nothing was written."
            )
            % {"reference": line.reference, "points": theirs.points}
        )
        if not POINTS_MIN <= difference <= POINTS_MAX:
            raise beyond
        entry = None
        if difference:
            try:
                entry = ledger.adjust(
                    user,
                    difference,
                    key=f"erp-reconciliation:{line.pk}",
                    reason=_("Reconciliation: the accounting system's balance accepted"),
                    actor=actor,
                    origin=Lot.ERP,
                )
            except LoyaltyError as exc:
                raise ReconciliationError(str(exc)) from exc
            except (OverflowError, DataError) as exc:
                # A balance (or a bucket of it) the ledger's columns cannot hold; the ledger rolled back.
                raise beyond from exc
        _mark(line, ReconciliationLine.ACCEPTED, actor)
    return entry


def _refuse_while_on_the_way(account):
    if account and OutboxMessage.objects.filter(account=account).exclude(status=OutboxMessage.DELIVERED).exists():
        raise ReconciliationError(
            _("Movements of this customer are still on their way to the accounting system; resolve them first.")
        )


def _last_movement(account):
    """The id of the account's latest journal entry that changed what the customer owns.

    Entries of one account are written under its lock, so their ids grow in
    the order they commit: a larger id seen later means a movement in between.
    """
    if account is None:
        return None
    return (
        JournalEntry.objects.filter(account=account).exclude(points=0).order_by("-id").values_list("id", flat=True)
    ).first()


def _accounts_of(line):
    if line.scope == ReconciliationLine.CUSTOMER:
        try:
            user = _user_of(line.reference)
        except ReconciliationError:
            return []
        return list(Account.objects.filter(user=user).values_list("id", flat=True))
    return sorted(set(JournalEntry.objects.filter(order_number=line.reference).values_list("account_id", flat=True)))


def _user_of(reference):
    try:
        return find_customer(reference)
    except LoyaltyError as exc:
        raise ReconciliationError(str(exc)) from exc


def _mark(line, resolution, actor):
    from oscar_loyalty.ledger.people import actor_of

    line.resolution = resolution
    line.resolved_by = actor_of(actor)[1]
    line.resolved_at = timezone.now()
    line.save(update_fields=["resolution", "resolved_by", "resolved_at"])


# --- Exports ---------------------------------------------------------------------------

EXPORT_FIELDS = ("scope", "reference", "shop_value", "erp_value", "difference", "state", "resolution", "resolved_by")


def write_csv(run, stream, *, lines=None):
    """The run's lines as CSV for a spreadsheet (``oscar_loyalty.csv_export``; the header names the columns).

    UTF-8 with a BOM. Figures go out as numbers, so a negative difference stays
    a number; text (references, staff names) is guarded against formulas.
    """
    writer = csv_export.writer(stream)
    writer.writerow(EXPORT_FIELDS)
    for line in (lines if lines is not None else run.lines.all()).iterator():
        writer.writerow([getattr(line, field) for field in EXPORT_FIELDS])
    summary = summarize(run)
    writer.writerow([])
    writer.writerow(["summary", str(summary)])


def write_xml(run, stream, *, lines=None):
    """The run's lines as XML, written element by element (flat memory)."""
    summary = summarize(run)
    with etree.xmlfile(stream, encoding="UTF-8") as xf:
        xf.write_declaration()
        attrs = {"run": str(run.pk), "started": run.started_at.isoformat()}
        with xf.element("Reconciliation", attrs):
            xf.write(
                etree.Element(
                    "Summary",
                    matched=str(summary.matched),
                    mismatched=str(summary.mismatched),
                    missingInErp=str(summary.missing_in_erp),
                    missingInShop=str(summary.missing_in_shop),
                    balanceDifference=str(summary.balance_difference),
                )
            )
            for line in (lines if lines is not None else run.lines.all()).iterator():
                element = etree.Element("Line")
                for field in EXPORT_FIELDS:
                    value = getattr(line, field)
                    etree.SubElement(element, _camel(field)).text = "" if value is None else str(value)
                xf.write(element)


def _camel(name):
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
