"""Who may move points from the accounting system's pages, and what accepting a balance may not do."""

import pytest
from django.utils import timezone
from oscar.core.loading import get_model

from erp_sync import reconciliation
from oscar_loyalty import ledger
from tests.dashboard.helpers import user_with
from tests.erp_soap.helpers import sweep
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

JournalEntry = get_model("oscar_loyalty", "JournalEntry")
OutboxMessage = get_model("erp_sync", "OutboxMessage")
ReconciliationLine = get_model("erp_sync", "ReconciliationLine")

RECONCILIATION = "/dashboard/erp-sync/reconciliation/"
OUTBOX = "/dashboard/erp-sync/outbox/"


def available(user):
    return ledger.get_balance(user).available


def an_accountants_edit(erp, customer, points):
    """A change made directly in the accounting system, never sent to the shop as a correction."""
    erp.store.apply_movements(
        [
            {
                "key": f"1c-edit-{customer.pk}",
                "customer": str(customer.pk),
                "card": "",
                "points": points,
                "kind": "adjustment",
                "order": "",
                "date": timezone.now().isoformat(),
            }
        ]
    )


@pytest.fixture
def mismatch(erp, erp_settings):
    """Anna holds 300 points in the shop; the accounting system says 250."""
    anna = UserFactory()
    ledger.accrue(anna, 300, key="anna-1", reason="Order 1", order="1", hold_days=0)
    sweep()
    an_accountants_edit(erp, anna, -50)
    run = reconciliation.reconcile()
    return anna, run.lines.get(scope="customer", reference=str(anna.pk))


def accept(client, line):
    return client.post(f"{RECONCILIATION}{line.run_id}/", {"action": "accept", "line": line.pk})


# --- Reconciliation: accept and push --------------------------------------------------


def test_staff_without_the_loyalty_permission_cannot_accept_a_balance(mismatch, client):
    anna, line = mismatch
    client.force_login(user_with(is_staff=True))

    response = accept(client, line)

    assert response.status_code == 403
    assert available(anna) == 300
    assert not JournalEntry.objects.filter(kind="erp_correction").exists()
    line.refresh_from_db()
    assert line.resolution == ""


def test_a_loyalty_manager_accepts_a_balance(mismatch, client):
    anna, line = mismatch
    client.force_login(user_with("manage_loyalty", first_name="Olga", last_name="Buh", email="olga@example.com"))

    response = accept(client, line)

    assert response.status_code == 302
    assert available(anna) == 250
    entry = JournalEntry.objects.get(kind="erp_correction")
    assert (entry.points, entry.actor_name) == (-50, "Olga Buh <olga@example.com>")
    line.refresh_from_db()
    assert line.resolution == "accepted"


def test_staff_without_the_loyalty_permission_cannot_send_movements_again(mismatch, client):
    _anna, line = mismatch
    OutboxMessage.objects.update(status="parked")  # so that "send again" would visibly change them
    client.force_login(user_with(is_staff=True))

    response = client.post(f"{RECONCILIATION}{line.run_id}/", {"action": "push", "line": line.pk})

    assert response.status_code == 403
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"parked"}
    line.refresh_from_db()
    assert line.resolution == ""


def test_a_loyalty_manager_sends_movements_again(mismatch, client):
    _anna, line = mismatch
    client.force_login(user_with("manage_loyalty"))

    response = client.post(f"{RECONCILIATION}{line.run_id}/", {"action": "push", "line": line.pk})

    assert response.status_code == 302
    line.refresh_from_db()
    assert line.resolution == "pushed"


def test_staff_without_the_permission_still_read_and_run_the_reconciliation(mismatch, client):
    _anna, line = mismatch
    client.force_login(user_with(is_staff=True))

    page = client.get(f"{RECONCILIATION}{line.run_id}/")
    assert page.status_code == 200
    # Buttons they may not use are not offered.
    assert 'value="accept"' not in page.content.decode()
    assert client.post(RECONCILIATION, {"action": "run"}).status_code == 302


def test_a_loyalty_manager_is_offered_the_resolutions(mismatch, client):
    _anna, line = mismatch
    client.force_login(user_with("manage_loyalty"))

    page = client.get(f"{RECONCILIATION}{line.run_id}/").content.decode()

    assert 'value="accept"' in page and 'value="push"' in page


# --- The outbox: retry, sweep, pull ----------------------------------------------------


@pytest.mark.parametrize("action", ["retry", "sweep", "pull"])
def test_staff_without_the_loyalty_permission_cannot_act_on_the_outbox(erp, erp_settings, client, action):
    gleb = UserFactory()
    erp.control.reject = {"g-1": "unknown card"}
    ledger.accrue(gleb, 60, key="g-1", reason="Order 6", order="6", hold_days=0)
    sweep()
    assert OutboxMessage.objects.get(key="g-1").status == "parked"
    erp.control.reject = {}
    client.force_login(user_with(is_staff=True))

    response = client.post(f"{OUTBOX}?status=parked", {"action": action})

    assert response.status_code == 403
    assert OutboxMessage.objects.get(key="g-1").status == "parked"
    assert client.get(f"{OUTBOX}?status=parked").status_code == 200


def test_a_loyalty_manager_sends_parked_movements_again(erp, erp_settings, client):
    gleb = UserFactory()
    erp.control.reject = {"g-1": "unknown card"}
    ledger.accrue(gleb, 60, key="g-1", reason="Order 6", order="6", hold_days=0)
    sweep()
    erp.control.reject = {}
    client.force_login(user_with("manage_loyalty"))

    response = client.post(f"{OUTBOX}?status=parked", {"action": "retry"})

    assert response.status_code == 302
    assert OutboxMessage.objects.get(key="g-1").status == "pending"


# --- Accepting a balance the accounting system does not have -------------------------------


def test_accepting_a_customer_the_accounting_system_does_not_know_writes_nothing(erp, erp_settings):
    gleb = UserFactory()
    erp.control.reject = {"g-1": "unknown card"}
    ledger.accrue(gleb, 60, key="g-1", reason="Order 6", order="6", hold_days=0)
    sweep()
    erp.control.reject = {}
    OutboxMessage.objects.update(status="delivered")  # as if staff had given up on sending it
    run = reconciliation.reconcile()
    line = run.lines.get(scope="customer", reference=str(gleb.pk))
    assert line.state == "missing_in_erp"

    with pytest.raises(reconciliation.ReconciliationError, match="does not know"):
        reconciliation.resolve_by_accepting(line, actor="Olga")

    assert available(gleb) == 60
    assert not JournalEntry.objects.filter(kind="erp_correction").exists()
    line.refresh_from_db()
    assert line.resolution == ""


def test_the_dashboard_says_why_an_unknown_customer_cannot_be_accepted(erp, erp_settings, client):
    gleb = UserFactory()
    erp.control.reject = {"g-1": "unknown card"}
    ledger.accrue(gleb, 60, key="g-1", reason="Order 6", order="6", hold_days=0)
    sweep()
    OutboxMessage.objects.update(status="delivered")
    run = reconciliation.reconcile()
    line = run.lines.get(scope="customer", reference=str(gleb.pk))
    client.force_login(user_with("manage_loyalty"))

    response = client.post(f"{RECONCILIATION}{run.pk}/", {"action": "accept", "line": line.pk}, follow=True)

    assert "does not know" in response.content.decode()
    assert available(gleb) == 60


# --- The balance moves while the accounting system is asked ----------------------------------


class SpendsWhileAsked:
    """The real service, with a customer spending points while its balance is being read."""

    def __init__(self, service, spend):
        self.service, self.spend = service, spend

    def get_balance(self, customer):
        balance = self.service.get_balance(customer)
        self.spend()
        return balance


@pytest.mark.parametrize("delivered", [False, True], ids=["still on its way", "delivered at once"])
def test_a_movement_while_the_balance_is_read_makes_the_acceptance_refused(mismatch, delivered):
    from erp_sync.soap.client import get_service

    anna, line = mismatch

    def spend():
        ledger.redeem(anna, 20, key="anna-pay", order_number="9")
        if delivered:
            sweep()

    with pytest.raises(reconciliation.ReconciliationError, match="changed" if delivered else "on their way"):
        reconciliation.resolve_by_accepting(line, actor="Olga", service=SpendsWhileAsked(get_service(), spend))

    assert available(anna) == 280  # the spend, and no correction computed from a stale figure
    assert not JournalEntry.objects.filter(kind="erp_correction").exists()
    line.refresh_from_db()
    assert line.resolution == ""


# --- The Django admin's retry action -------------------------------------------------------


@pytest.mark.parametrize(
    ("codenames", "status"),
    [(("view_outboxmessage",), "parked"), (("view_outboxmessage", "manage_loyalty"), "pending")],
)
def test_the_admins_retry_action_needs_the_loyalty_permission(erp, erp_settings, client, codenames, status):
    from django.contrib.auth.models import Permission

    gleb = UserFactory()
    erp.control.reject = {"g-1": "unknown card"}
    ledger.accrue(gleb, 60, key="g-1", reason="Order 6", order="6", hold_days=0)
    sweep()
    row = OutboxMessage.objects.get(key="g-1")
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(staff)

    client.post("/admin/erp_sync/outboxmessage/", {"action": "retry", "_selected_action": [row.pk], "index": 0})

    row.refresh_from_db()
    assert row.status == status
