"""Many transactions at once on PostgreSQL: row locks, not luck, keep the ledger right."""

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

Account = get_model("oscar_loyalty", "Account")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")
Reservation = get_model("oscar_loyalty", "Reservation")


@pytest.fixture(autouse=True, params=["database functions", "python"])
def ledger_path(request, settings):
    """Every test runs on both paths of the hot operations."""
    settings.OSCAR_LOYALTY_DATABASE_FUNCTIONS = request.param == "database functions"
    return request.param


def run_in_threads(count, target):
    """Run ``target(i)`` in ``count`` threads released at the same moment; return results or exceptions."""
    barrier = threading.Barrier(count)

    def worker(i):
        try:
            barrier.wait()
            return target(i)
        except Exception as exc:  # collected and asserted on by the caller
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(worker, range(count)))


def test_fifty_customers_tabs_never_spend_more_than_the_balance():
    user = UserFactory()
    now = timezone.now()
    ledger.accrue(user, 1000, key="gift", reason="welcome", hold_days=0, now=now)

    results = run_in_threads(
        50, lambda i: ledger.redeem(user.pk, 90, key=f"spend-{i}", order_number=f"2000{i:02d}", now=now)
    )

    spent = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, ledger.InsufficientPoints)]
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, ledger.InsufficientPoints)]
    assert unexpected == []
    assert len(spent) == 11  # 11 × 90 = 990 of 1,000; the twelfth would overspend
    assert len(refused) == 39
    balance = ledger.get_balance(user, now=now)
    assert balance.available == 10
    assert sum(r.points for r in spent) == 990
    assert ledger.check_accounts() == []


def test_the_same_key_from_many_threads_is_applied_once():
    user = UserFactory()
    now = timezone.now()
    ledger.accrue(user, 500, key="seed", reason="seed", hold_days=0, now=now)

    results = run_in_threads(
        20, lambda i: ledger.reserve(user.pk, 300, key="double-click", order_number="300001", now=now)
    )

    assert all(not isinstance(r, Exception) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert Reservation.objects.count() == 1
    assert ledger.get_balance(user, now=now).available == 200
    assert ledger.check_accounts() == []


def test_mixed_traffic_with_beat_tasks_keeps_every_account_consistent():
    users = [UserFactory() for _ in range(4)]
    start = timezone.now()
    for user in users:
        ledger.accrue(user, 2000, key=f"seed-{user.pk}", reason="seed", hold_days=0, now=start)
        ledger.accrue(user, 100, key=f"short-{user.pk}", reason="seed", hold_days=1, expires_in_days=2, now=start)
    # A shared clock that only moves forward, as real time does.
    clock = {"now": start}
    clock_lock = threading.Lock()

    def tick():
        with clock_lock:
            clock["now"] += timedelta(hours=12)
            return clock["now"]

    def shopper(i):
        rng = random.Random(i)
        errors = []
        for step in range(40):
            user = rng.choice(users)
            key = f"t{i}-{step}"
            now = clock["now"]
            try:
                op = rng.random()
                if op < 0.3:
                    ledger.accrue(
                        user.pk,
                        rng.randint(1, 300),
                        key=key,
                        reason="order",
                        order=f"o-{key}",
                        hold_days=rng.choice([0, 1, 3]),
                        expires_in_days=rng.choice([5, 30]),
                        now=now,
                    )
                elif op < 0.6:
                    reservation = ledger.reserve(
                        user.pk, rng.randint(1, 200), key=key, order_number=f"o-{key}", now=now
                    )
                    if rng.random() < 0.6:
                        ledger.capture(reservation, now=now)
                    else:
                        ledger.release(reservation, now=now)
                elif op < 0.75:
                    ledger.redeem(user.pk, rng.randint(1, 100), key=key, order_number=f"o-{key}", now=now)
                elif op < 0.85:
                    ledger.reverse_order(f"o-t{i}-{rng.randrange(step + 1)}", now=now)
                else:
                    ledger.get_balance(user.pk, now=now)
            except (ledger.InsufficientPoints, ledger.ReservationReleased):
                # Refused spending, or a checkout that the beat task (or the
                # order's cancellation) released first: both are correct.
                pass
            except Exception as exc:  # anything else is a failure of the ledger
                errors.append(repr(exc))
        return errors

    def beat(i):
        errors = []
        for _ in range(15):
            now = tick()
            try:
                ledger.activate_matured_lots(now=now)
                ledger.expire_lots(now=now)
                ledger.release_stale_reservations(now=now)
            except Exception as exc:
                errors.append(repr(exc))
        return errors

    results = run_in_threads(8, lambda i: beat(i) if i < 2 else shopper(i))

    assert [r for r in results if isinstance(r, Exception)] == []
    assert [e for r in results for e in r] == []
    close_old_connections()
    kinds = set(JournalEntry.objects.values_list("kind", flat=True))
    assert {"accrual", "activation", "expiry", "reservation", "redemption", "release", "reversal"} <= kinds
    assert ledger.check_accounts() == []
    for account in Account.objects.all():
        assert min(account.available, account.pending, account.reserved, account.debt) >= 0
        total = sum(JournalEntry.objects.filter(account=account).values_list("points", flat=True))
        assert total == account.available + account.pending + account.reserved - account.debt


def test_two_beat_workers_at_once_expire_each_lot_once():
    users = [UserFactory() for _ in range(30)]
    start = timezone.now()
    for user in users:
        for n in range(5):
            ledger.accrue(user, 10, key=f"{user.pk}-{n}", reason="order", hold_days=1, expires_in_days=10, now=start)
    later = start + timedelta(days=20)

    results = run_in_threads(4, lambda i: (ledger.activate_matured_lots(now=later), ledger.expire_lots(now=later)))

    assert all(not isinstance(r, Exception) for r in results), results
    assert sum(r[1] for r in results) == 150
    assert JournalEntry.objects.filter(kind="expiry").count() == 150
    assert JournalEntry.objects.filter(kind="activation").count() == 150
    assert ledger.check_accounts() == []


def test_postgresql_itself_refuses_to_change_the_journal():
    from django.db import DatabaseError, transaction

    user = UserFactory()
    ledger.accrue(user, 10, key="k", reason="order", hold_days=0)
    for statement in (
        "UPDATE oscar_loyalty_journalentry SET points = 1000",
        "DELETE FROM oscar_loyalty_journalentry",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert JournalEntry.objects.get().points == 10
