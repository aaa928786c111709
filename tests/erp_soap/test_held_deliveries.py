"""A bulk load before the accounting system is up: movements wait in the outbox, and no failure is logged."""

import logging
import socket

import pytest
from oscar.core.loading import get_model

from erp_sync.soap import client as soap_client
from erp_sync.soap.receivers import deliveries_held
from oscar_loyalty import ledger
from tests.erp_soap.helpers import sweep
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OutboxMessage = get_model("erp_sync", "OutboxMessage")


@pytest.fixture
def erp_not_up_yet(settings):
    """The shop points at an address where nothing answers yet (as the demo's own service, before it serves)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.ERP_SYNC_SOAP_URL = f"http://127.0.0.1:{port}/erp-service/ws/loyalty.1cws"
    settings.ERP_SYNC_SOAP_TIMEOUT = 2
    soap_client._cached.cache_clear()
    yield settings
    soap_client._cached.cache_clear()


@pytest.fixture
def in_process_tasks(settings):
    from celery import current_app

    saved = current_app.conf.task_always_eager, current_app.conf.task_eager_propagates
    current_app.conf.task_always_eager, current_app.conf.task_eager_propagates = True, True
    yield
    current_app.conf.task_always_eager, current_app.conf.task_eager_propagates = saved


def delivery_failures(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "erp_sync.outbox" and r.levelno >= logging.WARNING]


def test_without_the_hold_a_committed_movement_is_sent_at_once(
    erp_not_up_yet, in_process_tasks, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ledger.accrue(UserFactory(), 100, key="a-1", reason="Order 1", order="1", hold_days=0)

    # What the demo printed while loading its data: a real failure, logged as one.
    assert [message.split(":")[0] for message in delivery_failures(caplog)] == [
        f"Delivering 1 movement(s) of account {OutboxMessage.objects.get().account_id} failed"
    ]
    assert OutboxMessage.objects.get().attempts == 1


def test_movements_committed_while_held_wait_without_an_attempt(
    erp_not_up_yet, in_process_tasks, caplog, django_capture_on_commit_callbacks
):
    user = UserFactory()
    with deliveries_held(), django_capture_on_commit_callbacks(execute=True):
        ledger.accrue(user, 100, key="a-1", reason="Order 1", order="1", hold_days=0)
        ledger.redeem(user, 30, key="a-pay", order_number="2")

    assert delivery_failures(caplog) == []
    assert list(OutboxMessage.objects.values_list("status", "attempts")) == [("pending", 0), ("pending", 0)]


def test_held_movements_go_out_with_the_next_sweep(
    erp, erp_settings, in_process_tasks, django_capture_on_commit_callbacks
):
    user = UserFactory()
    with deliveries_held(), django_capture_on_commit_callbacks(execute=True):
        ledger.accrue(user, 100, key="a-1", reason="Order 1", order="1", hold_days=0)
    assert erp.control.calls == []

    sweep()

    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"delivered"}
    assert erp.store.balances([str(user.pk)]) == {str(user.pk): 100}


def test_the_hold_ends_with_its_block(erp, erp_settings, in_process_tasks, django_capture_on_commit_callbacks):
    user = UserFactory()
    with deliveries_held():
        pass
    with django_capture_on_commit_callbacks(execute=True):
        ledger.accrue(user, 100, key="a-1", reason="Order 1", order="1", hold_days=0)

    assert OutboxMessage.objects.get().status == "delivered"
