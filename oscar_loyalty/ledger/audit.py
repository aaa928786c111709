"""Recompute every account from its journal and lots, and report any drift."""

from dataclasses import dataclass, field

from django.db.models import F, Q, Sum
from oscar.core.loading import get_model

Account = get_model("oscar_loyalty", "Account")
Lot = get_model("oscar_loyalty", "Lot")
Reservation = get_model("oscar_loyalty", "Reservation")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")

BUCKETS = ("available", "pending", "reserved", "debt")


@dataclass
class Drift:
    """An account whose cached balances disagree with its journal, lots or reservations."""

    account_id: int
    customer: str
    problems: list = field(default_factory=list)

    def __str__(self):
        return f"account {self.account_id} ({self.customer}): " + "; ".join(self.problems)


def check_accounts() -> list[Drift]:
    """Return a ``Drift`` for every inconsistent account (an empty list when all is well).

    A fixed number of aggregate queries, whatever the number of accounts:
    cached buckets against the sums of the journal's changes; available and
    pending against the remaining points of live lots; reserved against held
    reservations and their allocations; closed lots must hold nothing.
    """
    journal = {
        row["account_id"]: row
        for row in JournalEntry.objects.order_by()
        .values("account_id")
        .annotate(**{bucket: Sum(f"{bucket}_change") for bucket in BUCKETS})
    }
    lots = {}
    for row in (
        Lot.objects.filter(status__in=[Lot.PENDING, Lot.ACTIVE])
        .order_by()
        .values("account_id", "status")
        .annotate(points=Sum("remaining"))
    ):
        bucket = "pending" if row["status"] == Lot.PENDING else "available"
        lots.setdefault(row["account_id"], {})[bucket] = row["points"]
    held = dict(
        Reservation.objects.filter(status=Reservation.HELD)
        .order_by()
        .values("account_id")
        .annotate(points=Sum("points"))
        .values_list("account_id", "points")
    )
    closed_lots = set(
        Lot.objects.filter(~Q(remaining=0), status__in=[Lot.EXPIRED, Lot.VOIDED]).values_list("account_id", flat=True)
    )
    split_reservations = set(
        Reservation.objects.order_by()
        .annotate(allocated=Sum("allocations__points"))
        .exclude(allocated=F("points"))
        .values_list("account_id", flat=True)
    )

    drifts = []
    for account in Account.objects.order_by("pk"):
        problems = []
        sums = journal.get(account.pk, {})
        for bucket in BUCKETS:
            cached, recorded = getattr(account, bucket), sums.get(bucket) or 0
            if cached != recorded:
                problems.append(f"{bucket} is {cached} but the journal sums to {recorded}")
        for bucket in ("available", "pending"):
            in_lots = lots.get(account.pk, {}).get(bucket, 0)
            if getattr(account, bucket) != in_lots:
                problems.append(f"{bucket} is {getattr(account, bucket)} but its lots hold {in_lots}")
        if account.reserved != held.get(account.pk, 0):
            problems.append(f"reserved is {account.reserved} but held reservations hold {held.get(account.pk, 0)}")
        if account.pk in closed_lots:
            problems.append("an expired or voided lot still holds points")
        if account.pk in split_reservations:
            problems.append("a reservation's allocations do not add up to its points")
        if problems:
            drifts.append(Drift(account.pk, str(account), problems))
    return drifts
