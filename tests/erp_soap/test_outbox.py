"""The transactional outbox: written by the journal's trigger, delivered once, in order, whatever fails."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from oscar.core.loading import get_model

from erp_sync import outbox
from oscar_loyalty import ledger
from tests.erp_soap.helpers import later, sweep
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OutboxMessage = get_model("erp_sync", "OutboxMessage")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")
Lot = get_model("oscar_loyalty", "Lot")


class Boom(Exception):
    pass


def shop_total(user):
    balance = ledger.get_balance(user)
    return balance.available + balance.pending + balance.reserved - balance.debt


# --- The trigger ---------------------------------------------------------------------


def test_a_movement_writes_its_outbox_row_in_the_same_transaction():
    user = UserFactory()
    lot = ledger.accrue(user, 100, key="order-1-accrual", reason="Order 1", order="1", hold_days=0)

    (row,) = OutboxMessage.objects.all()
    entry = JournalEntry.objects.get(key="order-1-accrual")
    assert (row.entry_id, row.key, row.kind, row.points, row.order_number) == (
        entry.pk,
        "order-1-accrual",
        "accrual",
        100,
        "1",
    )
    assert (row.account_id, row.customer_id, row.status, row.attempts) == (lot.account_id, user.pk, "pending", 0)
    assert row.created_at == entry.created_at


def test_a_rolled_back_ledger_operation_leaves_no_outbox_row():
    user = UserFactory()
    with pytest.raises(Boom), transaction.atomic():
        ledger.accrue(user, 100, key="doomed", reason="Order 1", order="1")
        assert OutboxMessage.objects.filter(key="doomed").exists()
        raise Boom
    assert not JournalEntry.objects.filter(key="doomed").exists()
    assert not OutboxMessage.objects.exists()


def test_only_movements_that_change_what_the_customer_owns_go_out():
    user = UserFactory()
    ledger.accrue(
        user, 500, key="acc", reason="Order 1", order="1", hold_days=1, now=timezone.now() - timedelta(days=2)
    )
    reservation = ledger.reserve(user, 200, key="res", order_number="2")  # settles: activation first
    ledger.capture(reservation)
    held = ledger.reserve(user, 50, key="res-2", order_number="3")
    ledger.release(held)
    ledger.adjust(user, -30, key="erp-fix", reason="From 1C", actor="1C", origin=Lot.ERP)
    ledger.adjust(user, 10, key="goodwill", reason="Sorry", actor="Manager")

    kinds = set(JournalEntry.objects.values_list("kind", flat=True))
    assert {"activation", "reservation", "release", "erp_correction"} <= kinds
    assert list(OutboxMessage.objects.values_list("kind", "points")) == [
        ("accrual", 500),
        ("redemption", -200),
        ("adjustment", 10),
    ]


# --- Delivery ----------------------------------------------------------------------------


def test_erp_down_for_hours_then_back_every_movement_delivered_exactly_once(erp, erp_settings):
    customers = UserFactory.create_batch(3)
    erp.stop()
    for n, user in enumerate(customers):
        ledger.accrue(user, 100 + n, key=f"acc-{n}", reason="Order", order=str(n), hold_days=0)
        ledger.redeem(user, 40, key=f"pay-{n}", order_number=f"{n}-b")

    failed = sweep()
    assert [d.failed for d in failed] == [True, True, True]
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {("pending", 1)}
    assert sweep() == []  # backing off: nobody hammers a service that is down

    # Hours later: still down, still nothing lost.
    sweep(at=later(3600))
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {("pending", 2)}

    erp.start()
    delivered = sweep(at=later(2 * 3600))
    assert sum(d.delivered for d in delivered) == 6
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"delivered"}
    assert sweep(at=later(3 * 3600)) == []
    assert erp.store.movement_count() == 6
    for key in OutboxMessage.objects.values_list("key", flat=True):
        assert erp.store.movement_count(key) == 1
    assert erp.store.balances() == {str(u.pk): shop_total(u) for u in customers}


def test_a_customers_movements_arrive_in_the_order_they_happened(erp, erp_settings, settings):
    settings.ERP_SYNC_OUTBOX_BATCH_SIZE = 2
    user = UserFactory()
    for n in range(5):
        ledger.accrue(user, 10 + n, key=f"acc-{n}", reason="Order", order=str(n), hold_days=0)
    ledger.redeem(user, 25, key="pay", order_number="9")

    sweep()

    expected = [f"acc-{n}" for n in range(5)] + ["pay:capture"]
    assert list(OutboxMessage.objects.values_list("key", flat=True)) == expected
    assert [m["key"] for m in erp.store.movements(str(user.pk))] == expected


def test_a_refused_movement_is_parked_and_holds_back_the_later_ones(erp, erp_settings):
    user = UserFactory()
    for key in ("first", "second", "third"):
        ledger.accrue(user, 10, key=key, reason="Order", order=key, hold_days=0)
    erp.control.reject = {"second": "card is blocked"}

    sweep()
    sweep(at=later(3600))

    statuses = dict(OutboxMessage.objects.values_list("key", "status"))
    assert statuses == {"first": "delivered", "second": "parked", "third": "pending"}
    assert "card is blocked" in OutboxMessage.objects.get(key="second").last_error
    assert [m["key"] for m in erp.store.movements()] == ["first"]

    # Staff fix the card in the accounting system and retry.
    erp.control.reject = {}
    accounts = outbox.retry_parked(OutboxMessage.objects.all())
    assert accounts == [OutboxMessage.objects.get(key="second").account_id]
    sweep()
    assert [m["key"] for m in erp.store.movements()] == ["first", "second", "third"]
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"delivered"}


def test_after_the_last_attempt_a_movement_is_parked_for_staff(erp, erp_settings):
    user = UserFactory()
    ledger.accrue(user, 10, key="acc", reason="Order", order="1", hold_days=0)
    erp.control.fail = "fault"

    for hour in range(6):
        sweep(at=later(hour * 3600 * 10))

    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts) == ("parked", 4)
    assert "Attempt 4" in row.last_error and "maintenance" in row.last_error
    erp.control.fail = ""
    assert sweep(at=later(10**6)) == []  # parked rows wait for staff
    outbox.retry_parked(OutboxMessage.objects.all())
    sweep()
    assert OutboxMessage.objects.get().status == "delivered"


def test_a_status_outside_the_contract_is_a_failed_attempt_shown_to_staff_and_parked_after_the_last(
    erp, erp_settings, client
):
    user = UserFactory()
    ledger.accrue(user, 10, key="order-1-accrual", reason="Order", order="1", hold_days=0)
    erp.control.answer = {"order-1-accrual": "Applied"}

    (delivery,) = sweep()

    row = OutboxMessage.objects.get()
    assert delivery.failed
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at is not None
    assert "Applied" in row.last_error and "order-1-accrual" in row.last_error
    assert sweep() == []  # backing off, as after any failure

    for hour in range(1, 6):
        sweep(at=later(hour * 3600 * 10))

    row.refresh_from_db()
    assert (row.status, row.attempts) == ("parked", 4)
    assert "Attempt 4" in row.last_error and "Applied" in row.last_error
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert "order-1-accrual" in client.get("/dashboard/erp-sync/outbox/?status=parked").content.decode()
    erp.control.answer = {}
    outbox.retry_parked(OutboxMessage.objects.all())
    sweep()
    assert OutboxMessage.objects.get().status == "delivered"
    assert erp.store.movement_count("order-1-accrual") == 1


def test_the_rest_of_a_batch_with_a_status_outside_the_contract_is_recorded_as_answered(erp, erp_settings):
    user = UserFactory()
    for key in ("first", "second", "third"):
        ledger.accrue(user, 10, key=key, reason="Order", order=key, hold_days=0)
    erp.control.answer = {"second": "done"}

    (delivery,) = sweep()

    assert (delivery.failed, delivery.delivered) == (True, 2)
    rows = {row.key: row for row in OutboxMessage.objects.all()}
    assert {key: (row.status, row.attempts) for key, row in rows.items()} == {
        "first": ("delivered", 1),
        "second": ("pending", 1),
        "third": ("delivered", 1),  # the service said it holds it: so it does
    }
    assert '"done"' in rows["second"].last_error and "second" in rows["second"].last_error

    erp.control.answer = {}
    sweep(at=later(60))
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"delivered"}
    assert [erp.store.movement_count(key) for key in rows] == [1, 1, 1]


def test_a_batch_skipped_with_nothing_rejected_is_a_failed_attempt(erp, erp_settings):
    user = UserFactory()
    for key in ("first", "second"):
        ledger.accrue(user, 10, key=key, reason="Order", order=key, hold_days=0)
    erp.control.answer = {"first": "skipped", "second": "skipped"}

    (delivery,) = sweep()

    assert delivery.failed and delivery.retry_at is not None
    for row in OutboxMessage.objects.all():
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.next_attempt_at is not None
        assert "skipped" in row.last_error and row.key in row.last_error
    assert outbox.due_accounts() == []


def test_a_movement_skipped_behind_a_refused_one_is_not_counted_and_waits_for_staff(erp, erp_settings):
    user = UserFactory()
    for key in ("first", "second", "third"):
        ledger.accrue(user, 10, key=key, reason="Order", order=key, hold_days=0)
    erp.control.reject = {"second": "card is blocked"}

    for hour in range(6):
        sweep(at=later(hour * 3600 * 10))

    third = OutboxMessage.objects.get(key="third")
    assert (third.status, third.attempts, third.next_attempt_at, third.last_error) == ("pending", 0, None, "")
    assert erp.control.calls.count("PushMovements") == 1


@pytest.mark.parametrize(
    "answers",
    [
        ("Applied", "applied", "applied"),
        ("skipped", "skipped", "skipped"),
        ("applied", "skipped", "skipped"),
        ("OK", "applied", "skipped"),
        ("rejected", "skipped", "skipped"),
        ("skipped", "rejected", "skipped"),
        ("applied", "rejected", "Skipped"),
    ],
    ids="-".join,
)
def test_whatever_the_service_answers_a_batch_is_not_sent_more_often_than_the_attempts_allow(
    erp, erp_settings, answers
):
    user = UserFactory()
    keys = ("first", "second", "third")
    for key in keys:
        ledger.accrue(user, 10, key=key, reason="Order", order=key, hold_days=0)
    erp.control.answer = dict(zip(keys, answers, strict=True))

    for hour in range(30):
        sweep(at=later(hour * 3600 * 10))
    sent = erp.control.calls.count("PushMovements")
    sweep(at=later(10**7))

    assert sent <= erp_settings.ERP_SYNC_OUTBOX_MAX_ATTEMPTS
    assert erp.control.calls.count("PushMovements") == sent  # nothing goes round again without staff
    assert "pending" not in {row.status for row in OutboxMessage.objects.filter(key=keys[0])}


def test_an_answer_lost_after_the_erp_applied_the_movement_is_sent_again_and_applied_once(erp, erp_settings):
    user = UserFactory()
    ledger.accrue(user, 70, key="acc", reason="Order", order="1", hold_days=0)
    erp.control.hang_after_apply = 3  # longer than the client's 2 s timeout

    (delivery,) = sweep()

    assert delivery.failed
    assert erp.store.movement_count("acc") == 1
    assert OutboxMessage.objects.get().status == "pending"
    erp.control.hang_after_apply = 0
    sweep(at=later(60))
    assert OutboxMessage.objects.get().status == "delivered"
    assert erp.store.movement_count("acc") == 1
    assert erp.store.balances() == {str(user.pk): 70}


def test_a_leased_batch_is_not_sent_twice_at_once(erp, erp_settings):
    user = UserFactory()
    ledger.accrue(user, 70, key="acc", reason="Order", order="1", hold_days=0)
    account_id = OutboxMessage.objects.get().account_id

    token, rows = outbox.claim(account_id)
    assert token and [r.key for r in rows] == ["acc"]
    assert outbox.claim(account_id) == (None, [])
    assert outbox.due_accounts() == []
    # A worker killed holding the lease: once it runs out, another delivery takes over.
    assert outbox.due_accounts(now=later(erp_settings.ERP_SYNC_SOAP_TIMEOUT * 2 + 31)) == [account_id]


def test_nothing_is_sent_or_counted_without_a_service_address(settings):
    settings.ERP_SYNC_SOAP_URL = None
    user = UserFactory()
    ledger.accrue(user, 70, key="acc", reason="Order", order="1", hold_days=0)

    sweep()

    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts, row.locked_until) == ("pending", 0, None)


def test_staff_send_parked_movements_again_from_the_dashboard_and_the_admin(erp, erp_settings, client):
    user = UserFactory()
    ledger.accrue(user, 10, key="first", reason="Order", order="1", hold_days=0)
    ledger.accrue(user, 20, key="second", reason="Order", order="2", hold_days=0)
    erp.control.reject = {"first": "card is blocked", "second": "card is blocked"}
    sweep()
    sweep(at=later(60))
    erp.control.reject = {}
    first, second = OutboxMessage.objects.all()
    assert (first.status, second.status) == ("parked", "pending")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    page = client.get("/dashboard/erp-sync/outbox/")
    assert "card is blocked" in page.content.decode()
    client.post("/dashboard/erp-sync/outbox/?status=parked", {"action": "retry", "selected": [first.pk]})
    sweep()
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"delivered"}

    ledger.accrue(user, 30, key="third", reason="Order", order="3", hold_days=0)
    erp.control.reject = {"third": "card is blocked"}
    sweep()
    erp.control.reject = {}
    third = OutboxMessage.objects.get(key="third")
    assert third.status == "parked"
    client.post("/admin/erp_sync/outboxmessage/", {"action": "retry", "_selected_action": [third.pk]}, follow=True)
    sweep()
    assert OutboxMessage.objects.get(key="third").status == "delivered"
    assert [m["key"] for m in erp.store.movements()] == ["first", "second", "third"]
