"""The tier tallies count account holders by tier exactly as the tables do, whatever writes them.

Each test changes accounts and tier records the ways a shop does (the
services, staff pins, bulk loads, deleted customers, a truncate) and
compares the KPI page's tier distribution from the tallies with the one
counted from the tables; ``loyalty_check`` finds the tallies right, and
finds them wrong once they are tampered with.
"""

import threading
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.dashboard import kpis
from oscar_loyalty.earning import tiers
from oscar_loyalty.reporting import rollups, tallies
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres]

Account = get_model("oscar_loyalty", "Account")
CustomerTier = get_model("oscar_loyalty", "CustomerTier")
Tier = get_model("oscar_loyalty", "Tier")
TierTally = get_model("oscar_loyalty", "TierTally")
QualifyingPurchase = get_model("oscar_loyalty", "QualifyingPurchase")


def distribution(counts):
    """Holders by tier code, the ones without a tier in the entry tier (as the page shows them)."""
    tier_list = list(Tier.objects.all())
    counts = dict(counts)
    entry = tiers.qualifying_tier(tier_list, Decimal(0))
    counts[entry.pk] = counts.get(entry.pk, 0) + counts.pop(None, 0)
    return {tier.code: counts.get(tier.pk, 0) for tier in tier_list}


def buy(user, amount, number):
    """A paid purchase of ``amount``, and the customer's tier recomputed as an order does."""
    QualifyingPurchase.objects.create(
        user=user, order_number=str(number), amount=Decimal(amount), placed_at=timezone.now()
    )
    tiers.recompute_tier(user, reason="Order")


def assert_tallies_agree(now=None):
    now = now or timezone.now()
    assert distribution(kpis._tallied_counts(now)) == distribution(kpis._counted(now))
    assert tallies.verify_tallies() == []


@pytest.fixture
def tier_codes(db):
    return {tier.code: tier for tier in Tier.objects.all()}


@pytest.mark.django_db
def test_accounts_tier_changes_and_pins_move_the_counts_as_the_tables_do(tier_codes):
    anna, boris, clara = UserFactory(), UserFactory(), UserFactory()
    ledger.accrue(anna, 100, key="a-1", reason="Order", order="A-1", hold_days=0)  # an account, no tier record
    buy(boris, "40000", "B-1")  # a tier record (gold), which opens the account
    assert Account.objects.filter(user=boris).exists()
    tiers.pin_tier(clara, tier_codes["vip"], until=timezone.now() + timedelta(days=30), actor="Staff", reason="VIP")
    assert_tallies_agree()
    before = kpis.tier_distribution()

    buy(boris, "70000", "B-2")  # platinum
    assert_tallies_agree()
    assert_tallies_agree(now=timezone.now() + timedelta(days=31))  # Clara's pin has ended by then
    assert kpis.tier_distribution() != before


@pytest.mark.django_db
def test_a_deleted_customer_leaves_the_counts_and_their_account_stops_counting(tier_codes):
    gone = UserFactory()
    buy(gone, "40000", "G-1")
    ledger.accrue(UserFactory(), 50, key="b-1", reason="Order", order="B-1", hold_days=0)
    get_user_model().objects.filter(pk=gone.pk).delete()  # the account stays, without its customer
    assert Account.objects.filter(user__isnull=True).count() == 1
    assert_tallies_agree()


@pytest.mark.django_db
def test_bulk_loads_count_once_per_statement_and_a_truncate_starts_again_from_zero(tier_codes):
    users = [UserFactory() for _ in range(5)]
    Account.objects.bulk_create([Account(user=user, customer_name=str(user.pk)) for user in users])
    CustomerTier.objects.bulk_create(
        [CustomerTier(user=user, tier=tier_codes["gold" if n % 2 else "silver"]) for n, user in enumerate(users)]
    )
    assert TierTally.objects.count() == 3  # holders, gold and silver: one row per statement and count
    assert_tallies_agree()

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses to run with checks pending
        cursor.execute(f"TRUNCATE {CustomerTier._meta.db_table}")
    assert_tallies_agree()


@pytest.mark.django_db
def test_the_roll_up_folds_the_tallies_into_one_row_per_count_and_the_counts_stay(tier_codes):
    for n in range(4):
        buy(UserFactory(), "40000" if n % 2 else "100", f"F-{n}")
    buy(CustomerTier.objects.order_by("pk").first().user, "400000", "F-vip")
    counted = kpis._counted(timezone.now())
    assert TierTally.objects.count() > 4

    rollups.roll_up(wait_seconds=0)

    assert TierTally.objects.count() == 4  # holders, silver, gold and vip
    assert distribution(kpis._tallied_counts(timezone.now())) == distribution(counted)
    assert_tallies_agree()


@pytest.mark.django_db
def test_loyalty_check_finds_tampered_tallies_and_rebuilds_them(tier_codes):
    buy(UserFactory(), "40000", "T-1")
    TierTally.objects.create(kind=TierTally.TIER, tier_ref=tier_codes["gold"].pk, delta=5)
    errors = StringIO()
    with pytest.raises(CommandError, match="tier tallies"):
        call_command("loyalty_check", stdout=StringIO(), stderr=errors)
    assert "tier tallies count tier records" in errors.getvalue()

    call_command("loyalty_check", "--rebuild-rollups", stdout=StringIO(), stderr=StringIO())
    assert_tallies_agree()


@pytest.mark.django_db(transaction=True)
def test_customers_joining_and_moving_up_at_once_on_many_connections_are_all_counted():
    # A transactional test starts from empty tables: the program's entry tier and Gold, as the shop has them.
    Tier.objects.get_or_create(
        code="silver", defaults={"name": "Silver", "threshold": 0, "cashback_percent": 3, "max_share_percent": 20}
    )
    gold, _created = Tier.objects.get_or_create(
        code="gold", defaults={"name": "Gold", "threshold": 30000, "cashback_percent": 5, "max_share_percent": 30}
    )
    users = [UserFactory() for _ in range(24)]
    errors = []

    def work(chunk):
        try:
            for user in chunk:
                # The tier record first for some, the account first for the others.
                if user.pk % 2:
                    buy(user, "40000", f"T-{user.pk}")
                ledger.accrue(user, 10, key=f"t-{user.pk}", reason="Order", order=f"T-{user.pk}", hold_days=0)
                if not user.pk % 2:
                    buy(user, "40000", f"T-{user.pk}")
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(users[n::4],)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert_tallies_agree()
    holders, records = tallies.counts()
    assert (holders, records[gold.pk]) == (24, 24)
