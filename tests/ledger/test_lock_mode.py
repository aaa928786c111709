"""Every ledger operation locks its accounts ``FOR NO KEY UPDATE``: one another out, rows that refer to them not.

An operation runs inside a transaction left open; a second connection then
asks, without waiting, for each account's row. An account the operation
locked refuses the same lock, and grants ``FOR KEY SHARE``, the lock a
foreign-key check takes when another transaction writes a row that refers to
the account (a lot, an entry, an outbox message). Both ledger paths are
covered: the database functions and the Python one.
"""

import pytest
from django.db import OperationalError, connections, transaction
from oscar.core.loading import get_model

from tests.ledger.test_atomicity import OPERATIONS, busy  # noqa: F401 (a fixture)

Account = get_model("oscar_loyalty", "Account")

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# A new customer's account is invisible to the second connection until the transaction commits.
SEEN = [name for name in OPERATIONS if name != "accrue for a new customer"]


def granted(observer, account_id, lock):
    """Whether ``observer`` gets ``lock`` on the account's row at once (it is let go straight after)."""
    try:
        with transaction.atomic(using=observer.alias), observer.cursor() as cursor:
            cursor.execute(f"SELECT id FROM oscar_loyalty_account WHERE id = %s {lock} NOWAIT", [account_id])
            transaction.set_rollback(True, using=observer.alias)
    except OperationalError as exc:
        assert getattr(exc.__cause__, "sqlstate", None) == "55P03", exc  # lock_not_available
        return False
    return True


@pytest.mark.parametrize("database_functions", [True, False], ids=["database functions", "python"])
@pytest.mark.parametrize("name", SEEN)
def test_an_operation_locks_its_accounts_against_each_other_but_not_against_rows_referring_to_them(
    busy,  # noqa: F811
    settings,
    database_functions,
    name,
):
    settings.OSCAR_LOYALTY_DATABASE_FUNCTIONS = database_functions
    accounts = list(Account.objects.filter(user__in=[busy["anna"], busy["boris"]]).values_list("pk", flat=True))
    observer = connections.create_connection("default")
    try:
        with transaction.atomic():
            OPERATIONS[name](busy)
            locked = [pk for pk in accounts if not granted(observer, pk, "FOR NO KEY UPDATE")]
            shared = [pk for pk in locked if granted(observer, pk, "FOR KEY SHARE")]
            transaction.set_rollback(True)
    finally:
        observer.close()
    assert locked, "the operation locked no account"
    assert shared == locked
