"""How many account holders each tier has, from the tier tallies rather than every account.

Triggers on the accounts and the customers' tier records (migration
``0021_tier_tallies``) append a row to ``TierTally`` whenever a count changes,
in the same transaction: an account with a customer created or deleted, a
tier record created, deleted or given another computed tier. The counts are
the sums of those rows, so they are exact whenever read, and reading them
costs a few rows whatever the number of customers. The roll-up beat folds
the rows into one per count (:func:`fold`); ``loyalty_check`` compares the
sums with the tables (:func:`verify_tallies`).

The counts rest on one rule: a customer with a tier record has a points
account (``earning.tiers`` opens it with the record). Pinned tiers are read
from the tier records at each call: pins are few, and one ends by the clock.

Kept on PostgreSQL; elsewhere :func:`enabled` is False and the report counts
from the tables.
"""

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from oscar.core.loading import get_model

Account = get_model("oscar_loyalty", "Account")
CustomerTier = get_model("oscar_loyalty", "CustomerTier")
TierTally = get_model("oscar_loyalty", "TierTally")


def enabled():
    return connection.vendor == "postgresql"


def counts():
    """``(holders, {tier id or None: tier records})``: accounts with a customer, and tier records by computed tier."""
    holders, records = 0, {}
    for kind, tier_ref, total in TierTally.objects.values_list("kind", "tier_ref").annotate(total=Sum("delta")):
        if kind == TierTally.HOLDERS:
            holders += total
        else:
            records[tier_ref] = records.get(tier_ref, 0) + total
    return holders, {tier: number for tier, number in records.items() if number}


def active_pins(now):
    """``{(computed tier id, pinned tier id): records}`` of the pins in effect at ``now``."""
    pinned = CustomerTier.objects.filter(
        Q(pinned_tier__isnull=False) & (Q(pinned_until__isnull=True) | Q(pinned_until__gt=now))
    )
    return {
        (row["tier"], row["pinned_tier"]): row["records"]
        for row in pinned.values("tier", "pinned_tier").annotate(records=Count("pk")).order_by()
    }


def fold():
    """Replace the tallies by one row per count (their sums); rows written meanwhile stay as they are."""
    if not enabled():
        return
    table = connection.ops.quote_name(TierTally._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"WITH gone AS (DELETE FROM {table} RETURNING kind, tier_ref, delta) "
            f"INSERT INTO {table} (kind, tier_ref, delta) "
            "SELECT kind, tier_ref, sum(delta) FROM gone GROUP BY kind, tier_ref HAVING sum(delta) <> 0"
        )


def rebuild_tallies():
    """Count the holders and tier records again from the tables (the accounts and tier records wait meanwhile)."""
    if not enabled():
        return
    quote = connection.ops.quote_name
    tally, account, records = (quote(model._meta.db_table) for model in (TierTally, Account, CustomerTier))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {account}, {records} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {tally}")
        cursor.execute(
            f"INSERT INTO {tally} (kind, tier_ref, delta) "
            f"SELECT 'holders', NULL, count(*) FROM {account} WHERE user_id IS NOT NULL HAVING count(*) > 0"
        )
        cursor.execute(
            f"INSERT INTO {tally} (kind, tier_ref, delta) SELECT 'tier', tier_id, count(*) FROM {records} "
            "GROUP BY tier_id"
        )


def verify_tallies():
    """Every way the tallies disagree with the accounts and tier records, as sentences; empty when they agree."""
    if not enabled():
        return []
    problems = []
    holders, records = counts()
    actual_holders = Account.objects.filter(user__isnull=False).count()
    if holders != actual_holders:
        problems.append(f"tier tallies count {holders} account holders, the accounts {actual_holders}")
    actual = {row["tier"]: row["records"] for row in CustomerTier.objects.values("tier").annotate(records=Count("pk"))}
    if records != {tier: number for tier, number in actual.items() if number}:
        problems.append(f"tier tallies count tier records {records}, the tier records are {actual}")
    orphans = CustomerTier.objects.filter(~Exists(Account.objects.filter(user_id=OuterRef("user_id")))).count()
    if orphans:
        problems.append(f"{orphans} customer(s) have a tier record and no points account")
    return problems
