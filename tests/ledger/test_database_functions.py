"""The hot operations as PostgreSQL functions: all of an operation is written, or none of it.

A trigger on every ledger table counts the rows an operation writes and
fails the n-th one on demand, inside the function itself. Each operation
runs once to count its writes, then once per write with that write failing:
in autocommit (the statement is the transaction) and inside a caller's
transaction (which fails with it, as with any failing statement: only the
ledger's refusals are caught inside the function). Every ledger row must be
exactly as before.
"""

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction

from oscar_loyalty import ledger
from oscar_loyalty.ledger import database
from tests.factories import UserFactory
from tests.ledger.snapshots import ledger_rows
from tests.ledger.test_atomicity import NOW, OPERATIONS, busy  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

User = get_user_model()

TABLES = (
    "oscar_loyalty_account",
    "oscar_loyalty_lot",
    "oscar_loyalty_reservation",
    "oscar_loyalty_allocation",
    "oscar_loyalty_journalentry",
)
HOT = ("accrue", "accrue paying off debt", "accrue for a new customer", "reserve", "redeem", "capture")

FAULT = """
CREATE OR REPLACE FUNCTION loyalty_test_fault() RETURNS trigger AS $$
DECLARE
    n int := coalesce(nullif(current_setting('loyalty_test.writes', true), ''), '0')::int + 1;
BEGIN
    PERFORM set_config('loyalty_test.writes', n::text, false);
    IF n = coalesce(nullif(current_setting('loyalty_test.fail_at', true), ''), '0')::int THEN
        RAISE EXCEPTION 'injected fault at write % (%)', n, TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""


@pytest.fixture
def faults():
    """Install the counting trigger; ``faults(n)`` makes the n-th write fail (0: none) and resets the count."""
    with connection.cursor() as cursor:
        cursor.execute(FAULT)
        for table in TABLES:
            cursor.execute(
                f"CREATE TRIGGER {table}_test_fault BEFORE INSERT OR UPDATE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION loyalty_test_fault()"
            )

    def arm(fail_at):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('loyalty_test.fail_at', %s, false), set_config('loyalty_test.writes', '0', false)",
                [str(fail_at)],
            )

    def writes():
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('loyalty_test.writes', true)")
            return int(cursor.fetchone()[0] or 0)

    arm.writes = writes
    yield arm
    arm(0)
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"DROP TRIGGER IF EXISTS {table}_test_fault ON {table}")
        cursor.execute("DROP FUNCTION IF EXISTS loyalty_test_fault()")


def writes_of(operation, faults):
    with transaction.atomic():
        faults(0)
        operation()
        count = faults.writes()
        transaction.set_rollback(True)
    return count


def test_the_hot_operations_run_as_database_functions():
    assert database.enabled()
    with connection.cursor() as cursor:
        cursor.execute("SELECT proname FROM pg_proc WHERE proname LIKE 'oscar_loyalty_%%' ORDER BY proname")
        names = [row[0] for row in cursor.fetchall()]
    assert {"oscar_loyalty_accrue", "oscar_loyalty_spend", "oscar_loyalty_capture"} <= set(names)


def fail_each_write(operation, faults):
    """Run ``operation`` once per write it makes, with that write failing; no ledger row may change.

    In autocommit and inside a caller's transaction. Returns the number of writes; the last run is a clean one.
    """
    count = writes_of(operation, faults)
    before = ledger_rows()

    for fail_at in range(1, count + 1):
        faults(fail_at)
        with pytest.raises(DatabaseError, match="injected fault"):
            operation()  # autocommit: the statement is the transaction
        assert ledger_rows() == before, f"rows changed when write {fail_at} of {count} failed"

        people = User.objects.count()
        with pytest.raises(DatabaseError, match="injected fault"), transaction.atomic():
            UserFactory()  # the caller's own write
            faults(fail_at)
            operation()  # in the caller's transaction, which rolls back whole
        assert User.objects.count() == people
        assert ledger_rows() == before

    faults(0)
    operation()
    assert ledger_rows() != before
    assert ledger.check_accounts() == []
    return count


@pytest.mark.parametrize("name", HOT)
def test_a_write_failing_inside_the_function_leaves_every_ledger_row_as_it_was(busy, faults, name):  # noqa: F811
    count = fail_each_write(lambda: OPERATIONS[name](busy), faults)
    assert count >= 3, count


def test_a_refusal_inside_a_callers_transaction_leaves_it_usable(busy):  # noqa: F811
    customer = busy["anna"]
    with transaction.atomic():
        with pytest.raises(ledger.InsufficientPoints) as refused:
            ledger.reserve(customer, 10**6, key="too-much", order_number="A-9", now=NOW)
        assert refused.value.requested == 10**6
        # The settlement the refused call did was rolled back with it; the
        # transaction goes on and the next operation settles again.
        reservation = ledger.reserve(customer, 10, key="fits", order_number="A-9", now=NOW)
    assert reservation.status == reservation.HELD
    assert ledger.check_accounts() == []


def test_a_customer_without_an_account_gets_one_on_the_first_accrual():
    customer = UserFactory()
    lot = ledger.accrue(customer, 25, key="first", reason="order", order="N-1", hold_days=0)
    assert lot.account.user_id == customer.pk
    assert ledger.get_balance(customer).available == 25
    # The replay returns the same lot and writes nothing.
    before = ledger_rows()
    assert ledger.accrue(customer, 25, key="first", reason="order", order="N-1", hold_days=0).pk == lot.pk
    assert ledger_rows() == before


def test_one_key_used_for_two_customers_at_once_is_refused_for_the_second():
    first, second = UserFactory(), UserFactory()
    ledger.accrue(first, 10, key="shared", reason="order")
    with pytest.raises(ledger.IdempotencyConflict):
        ledger.accrue(second, 10, key="shared", reason="order")
    with pytest.raises(ledger.IdempotencyConflict):
        ledger.reserve(first, 5, key="shared", order_number="X")
