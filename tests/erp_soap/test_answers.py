"""What the shop makes of the accounting system's answers: a WSDL it cannot load, fields it does not know,
figures it cannot read or store. Every such answer fails as the service failing does, never as an
internal error, and never as a clean reconciliation."""

import re
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from oscar.core.loading import get_model

from erp_sync import reconciliation
from erp_sync.soap.client import ErpRejected, ErpUnavailable, LoyaltyService, Movement, get_service
from oscar_loyalty import ledger
from tests.dashboard.helpers import user_with
from tests.erp_soap.conftest import PASSWORD, USERNAME
from tests.erp_soap.helpers import edited_in_the_erp, later, sweep
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

JournalEntry = get_model("oscar_loyalty", "JournalEntry")
OutboxMessage = get_model("erp_sync", "OutboxMessage")
ReconciliationRun = get_model("erp_sync", "ReconciliationRun")

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
COMMENT = b"<m:Comment>new field</m:Comment>"
RECONCILIATION = "/dashboard/erp-sync/reconciliation/"


def client(erp, *, password=PASSWORD, wsdl=None):
    return LoyaltyService(erp.url, username=USERNAME, password=password, timeout=2, wsdl=wsdl)


def movement(key, points, *, customer="7", kind="accrual", order="100001"):
    return Movement(key=key, customer=customer, card="1", points=points, kind=kind, order=order, date=NOW)


def added_before(closing):
    """An element the accounting system added to a response type, just before ``closing``."""
    return lambda body: body.replace(closing, COMMENT + closing)


def points_of(customer, text):
    """The answer with ``customer``'s points written as ``text`` (None: the element left out)."""

    def change(body):
        element = b"" if text is None else b"<m:Points>" + text.encode() + b"</m:Points>"
        pattern = (
            rb"(<m:Customer>" + customer.encode() + rb"</m:Customer><m:Known>\w+</m:Known>)<m:Points>-?\d+</m:Points>"
        )
        return re.sub(pattern, lambda m: m.group(1) + element, body)

    return change


# --- A WSDL given as a URL ---------------------------------------------------------------------


@pytest.fixture
def wsdl_url(erp, erp_settings):
    erp_settings.ERP_SYNC_SOAP_WSDL = erp.url + "?wsdl"
    return erp_settings.ERP_SYNC_SOAP_WSDL


def test_a_wsdl_loaded_with_wrong_credentials_is_refused(erp):
    with pytest.raises(ErpRejected, match="refused the credentials") as refused:
        client(erp, password="wrong", wsdl=erp.url + "?wsdl")
    assert refused.value.code == "401"


def test_a_wsdl_nobody_serves_is_worth_retrying_and_not_remembered(erp, wsdl_url):
    erp.stop()
    with pytest.raises(ErpUnavailable, match="cannot be reached"):
        get_service()

    erp.start()
    assert get_service().get_balance("7").known is False


def test_a_delivery_whose_wsdl_refuses_the_credentials_is_parked_at_once(erp, wsdl_url, settings):
    settings.ERP_SYNC_SOAP_PASSWORD = "wrong"
    ledger.accrue(UserFactory(), 10, key="acc", reason="Order", order="1", hold_days=0)

    sweep()

    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts, row.locked_until) == ("parked", 1, None)
    assert "refused the credentials" in row.last_error


def test_a_delivery_whose_wsdl_cannot_be_loaded_is_retried_later(erp, wsdl_url):
    ledger.accrue(UserFactory(), 10, key="acc", reason="Order", order="1", hold_days=0)
    erp.stop()

    sweep()

    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts, row.locked_until) == ("pending", 1, None)
    assert "cannot be reached" in row.last_error and row.next_attempt_at > timezone.now()
    erp.start()
    sweep(at=later(3600))
    assert OutboxMessage.objects.get().status == "delivered"


def test_the_reconciliation_command_reports_a_wsdl_it_cannot_load(erp, wsdl_url, settings):
    settings.ERP_SYNC_SOAP_PASSWORD = "wrong"
    with pytest.raises(CommandError, match="refused the credentials"):
        call_command("erp_reconcile")

    run = ReconciliationRun.objects.get()
    assert run.finished_at is not None and "refused the credentials" in run.error
    assert not run.lines.exists()


# --- Elements the shop does not know -----------------------------------------------------------


@pytest.mark.parametrize(
    "where",
    ["in each item", "at the end of return", "at the end of the response"],
)
def test_elements_the_accounting_system_added_are_skipped(erp, where):
    service = client(erp)
    service.push_movements([movement("a", 100, order="1")])
    closing = {
        "in each item": {
            "PushMovements": b"</m:Item>",
            "GetBalance": b"</m:return>",
            "GetBalances": b"</m:Balance>",
            "GetOrderBonuses": b"</m:OrderBonus>",
        },
        "at the end of return": dict.fromkeys(
            ["PushMovements", "GetBalance", "GetBalances", "GetOrderBonuses"], b"</m:return>"
        ),
        "at the end of the response": {
            op: f"</m:{op}Response>".encode()
            for op in ["PushMovements", "GetBalance", "GetBalances", "GetOrderBonuses"]
        },
    }[where]

    erp.answer("PushMovements", added_before(closing["PushMovements"]))
    assert [(r.key, r.status) for r in service.push_movements([movement("a", 100), movement("b", 5)])] == [
        ("a", "duplicate"),
        ("b", "applied"),
    ]
    erp.answer("GetBalance", added_before(closing["GetBalance"]))
    assert service.get_balance("7").points == 105
    erp.answer("GetBalances", added_before(closing["GetBalances"]))
    assert [(b.customer, b.known, b.points) for b in service.get_balances(["7", "8"])] == [
        ("7", True, 105),
        ("8", False, 0),
    ]
    erp.answer("GetOrderBonuses", added_before(closing["GetOrderBonuses"]))
    assert [(o.order, o.accrued) for o in service.get_order_bonuses(["1"])] == [("1", 100)]


@pytest.mark.parametrize(
    "operation, left_out",
    [
        ("GetBalances", rb"<m:Points>\d+</m:Points>"),
        ("GetBalances", rb"<m:Known>\w+</m:Known>"),
        ("GetBalances", rb"<m:Customer>\d+</m:Customer>"),
        ("GetBalance", rb"<m:Points>\d+</m:Points>"),
        ("GetBalance", rb"<m:return>.*</m:return>"),
        ("PushMovements", rb"<m:Status>\w+</m:Status>"),
        ("GetOrderBonuses", rb"<m:Accrued>\d+</m:Accrued>"),
    ],
)
def test_an_answer_without_a_value_the_shop_needs_cannot_be_read(erp, operation, left_out):
    service = client(erp)
    erp.answer(operation, lambda body: re.sub(left_out, b"", body))
    call = {
        "GetBalances": lambda: service.get_balances(["7"]),
        "GetBalance": lambda: service.get_balance("7"),
        "PushMovements": lambda: service.push_movements([movement("a", 100, order="1")]),
        "GetOrderBonuses": lambda: service.get_order_bonuses([]),
    }[operation]
    if operation == "GetOrderBonuses":
        client(erp).push_movements([movement("a", 100, order="1")])

    with pytest.raises(ErpUnavailable, match="could not be read"):
        call()


def test_a_truncated_answer_is_not_read_as_a_shorter_one(erp):
    service = client(erp)
    service.push_movements([movement("a", 1, customer="1"), movement("b", 2, customer="2")])
    erp.answer("GetBalances", lambda body: body[: body.index(b"<m:Balance>", body.index(b"<m:Balance>") + 1)])

    with pytest.raises(ErpUnavailable):
        service.get_balances([])


# --- Figures that cannot be read or stored -------------------------------------------------------


@pytest.mark.parametrize(
    "text, says",
    [
        ("12a", "not a whole number"),
        ("", "not a whole number"),
        (None, "not a whole number"),
        ("99999999999999999999", "99999999999999999999"),
        ("-9223372036854775809", "-9223372036854775809"),
    ],
)
def test_a_balance_that_cannot_be_read_or_stored_is_an_unreadable_answer(erp, text, says):
    service = client(erp)
    service.push_movements([movement("a", 100)])

    for operation, call in [("GetBalance", lambda: service.get_balance("7")), ("GetBalances", service.get_balances)]:
        erp.answer(operation, points_of("7", text))
        with pytest.raises(ErpUnavailable, match="could not be read") as unreadable:
            call([]) if operation == "GetBalances" else call()
        assert "customer 7" in unreadable.value.message and says in unreadable.value.message


def a_customer_with_points(erp):
    anna = UserFactory()
    ledger.accrue(anna, 300, key="a-1", reason="Order 1", order="1", hold_days=0)
    sweep()
    return anna


@pytest.mark.parametrize("text", ["12a", None, "99999999999999999999"])
def test_a_reconciliation_the_accounting_system_answered_unreadably_fails_with_its_error(
    erp, erp_settings, client, text
):
    anna = a_customer_with_points(erp)
    erp.answer("GetBalances", points_of(str(anna.pk), text))

    with pytest.raises(ErpUnavailable):
        reconciliation.reconcile(started_by="test")

    run = ReconciliationRun.objects.get()
    assert run.finished_at is not None and f"customer {anna.pk}" in run.error
    assert not run.lines.exists()
    client.force_login(UserFactory(is_staff=True))
    page = client.get(RECONCILIATION).content.decode()
    assert "could not be read" in page and "every figure matches" not in page


def test_a_run_that_fails_unexpectedly_is_recorded_as_failed(erp, erp_settings):
    anna = a_customer_with_points(erp)
    # Readable, but the difference with the shop's 300 is beyond what a line can hold.
    erp.answer("GetBalances", points_of(str(anna.pk), str(-(2**63))))

    with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the database raises for it
        reconciliation.reconcile(started_by="test")

    run = ReconciliationRun.objects.get()
    assert run.finished_at is not None and run.error.startswith("The reconciliation failed")
    assert not run.lines.exists()


def test_staff_are_told_a_run_failed_from_the_dashboard(erp, erp_settings, client):
    anna = a_customer_with_points(erp)
    erp.answer("GetBalances", points_of(str(anna.pk), "12a"))
    client.force_login(UserFactory(is_staff=True))

    page = client.post(RECONCILIATION, {"action": "run"}, follow=True).content.decode()

    assert "could not be read" in page and "every figure matches" not in page


# --- Accepting a figure that cannot be read or held ---------------------------------------------


@pytest.mark.parametrize(
    "text, says",
    [
        ("12a", "could not be read"),
        (None, "could not be read"),
        ("99999999999999999999", "could not be read"),
        (str(-(2**63)), "beyond what the loyalty ledger can hold"),
    ],
)
def test_accepting_a_balance_that_cannot_be_read_or_held_is_refused_with_nothing_written(
    erp, erp_settings, client, text, says
):
    anna = a_customer_with_points(erp)
    edited_in_the_erp(erp, anna, -50)
    run = reconciliation.reconcile()
    line = run.lines.get(scope="customer", reference=str(anna.pk))
    entries = JournalEntry.objects.count()
    erp.answer("GetBalance", points_of(str(anna.pk), text))
    client.force_login(user_with("manage_loyalty"))

    response = client.post(f"{RECONCILIATION}{run.pk}/", {"action": "accept", "line": line.pk}, follow=True)

    assert response.status_code == 200
    assert says in response.content.decode()
    assert JournalEntry.objects.count() == entries
    line.refresh_from_db()
    assert line.resolution == ""
    assert ledger.get_balance(anna).available == 300
