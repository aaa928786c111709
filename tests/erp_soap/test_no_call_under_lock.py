"""No call to the accounting system while a customer's account is locked (PostgreSQL).

A slow accounting system must not hold up the customer's checkout: while the
shop waits for its answer, another transaction can still lock the same
account, within a short ``lock_timeout``.
"""

import threading

import pytest
from django.db import connection, transaction
from oscar.core.loading import get_model

from erp_sync import outbox, reconciliation
from oscar_loyalty import ledger
from tests.erp_soap.helpers import edited_in_the_erp, sweep
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

Account = get_model("oscar_loyalty", "Account")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")
OutboxMessage = get_model("erp_sync", "OutboxMessage")


@pytest.fixture(params=["database functions", "python"])
def ledger_path(request, settings):
    settings.OSCAR_LOYALTY_DATABASE_FUNCTIONS = request.param == "database functions"
    return request.param


@pytest.fixture
def patient_erp(erp_settings):
    """Long enough a timeout that the held call is answered, not given up."""
    erp_settings.ERP_SYNC_SOAP_TIMEOUT = 20
    return erp_settings


class InThread:
    """Run ``target`` in a thread with its own database connection; ``result()`` returns or raises."""

    def __init__(self, target):
        self._outcome = {}

        def run():
            try:
                self._outcome["value"] = target()
            except BaseException as exc:  # handed to the test by result()
                self._outcome["error"] = exc
            finally:
                connection.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def result(self):
        self._thread.join(timeout=30)
        assert not self._thread.is_alive(), "the call did not finish"
        if "error" in self._outcome:
            raise self._outcome["error"]
        return self._outcome["value"]


def with_short_lock_timeout(operation):
    """What a checkout does to the account, giving up after half a second of waiting for its lock."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '500ms'")
        return operation()


def test_the_customer_can_spend_while_the_accounting_system_is_asked_for_the_balance(erp, patient_erp, ledger_path):
    anna = UserFactory()
    ledger.accrue(anna, 300, key="anna-1", reason="Order 1", order="1", hold_days=0)
    sweep()
    edited_in_the_erp(erp, anna, -50)
    line = reconciliation.reconcile().lines.get(scope="customer", reference=str(anna.pk))
    gate = erp.hold("GetBalance")

    accepting = InThread(lambda: reconciliation.resolve_by_accepting(line, actor="Olga"))
    assert gate.entered.wait(timeout=10)
    try:
        # A checkout holds points while the accounting system has not answered yet.
        held = with_short_lock_timeout(lambda: ledger.reserve(anna, 20, key="anna-hold", order_number="2"))
    finally:
        gate.open()
    entry = accepting.result()

    assert held.points == 20
    assert entry.points == -50
    balance = ledger.get_balance(anna)
    assert (balance.available, balance.reserved) == (230, 20)


def test_the_customer_can_spend_while_movements_are_being_delivered(erp, patient_erp, ledger_path):
    anna = UserFactory()
    ledger.accrue(anna, 300, key="anna-1", reason="Order 1", order="1", hold_days=0)
    account_id = Account.objects.get(user=anna).pk
    gate = erp.hold("PushMovements")

    delivering = InThread(lambda: outbox.deliver_account(account_id))
    assert gate.entered.wait(timeout=10)
    try:
        spent = with_short_lock_timeout(lambda: ledger.redeem(anna, 100, key="anna-pay", order_number="2"))
    finally:
        gate.open()
    delivery = delivering.result()

    assert spent.points == 100
    assert delivery.delivered == 1
    assert list(OutboxMessage.objects.order_by("id").values_list("kind", "status")) == [
        ("accrual", "delivered"),
        ("redemption", "pending"),  # written while the first went out: it goes next time
    ]
    sweep()
    assert erp.store.balances([str(anna.pk)]) == {str(anna.pk): 200}
