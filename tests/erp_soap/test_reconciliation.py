"""Reconciliation: zero mismatches after a normal day, injected ones found and resolved."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.utils import timezone
from lxml import etree
from oscar.core.loading import get_model

from erp_sync import reconciliation
from oscar_loyalty import ledger
from tests.erp_soap.helpers import edited_in_the_erp, sweep
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

JournalEntry = get_model("oscar_loyalty", "JournalEntry")
OutboxMessage = get_model("erp_sync", "OutboxMessage")


def a_normal_day():
    anna, boris, vera = UserFactory.create_batch(3)
    past = timezone.now() - timedelta(days=20)
    ledger.accrue(anna, 500, key="a-1", reason="Order 1", order="1", now=past)
    ledger.accrue(boris, 300, key="b-2", reason="Order 2", order="2", hold_days=0)
    ledger.redeem(anna, 200, key="a-pay-3", order_number="3")  # activates order 1's points first
    ledger.accrue(vera, 1000, key="v-4", reason="Order 4", order="4", hold_days=0)
    ledger.reverse_order("4", fraction=1, key="v-4-cancel", reason="Cancelled")
    held = ledger.reserve(boris, 100, key="b-res-5", order_number="5")
    ledger.release(held)
    ledger.adjust(boris, 25, key="b-goodwill", reason="Sorry", actor="Manager")
    sweep()
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"delivered"}
    return anna, boris, vera


def line(run, scope, reference):
    return run.lines.get(scope=scope, reference=reference)


def test_a_normal_day_reconciles_with_zero_mismatches(erp, erp_settings):
    a_normal_day()

    run = reconciliation.reconcile(started_by="test")

    summary = reconciliation.summarize(run)
    assert (summary.mismatched, summary.missing_in_erp, summary.missing_in_shop, summary.balance_difference) == (
        0,
        0,
        0,
        0,
    )
    # 3 customers, and orders 1..5 for both paid and accrued.
    assert summary.matched == 3 + 2 * 5
    assert line(run, "order_paid", "3").shop_value == 200
    assert line(run, "order_accrued", "4").shop_value == 0


def test_injected_differences_are_found(erp, erp_settings):
    anna, boris, vera = a_normal_day()
    now = timezone.now().isoformat()
    # An accountant's direct edit in the accounting system, never sent to the shop as a correction.
    erp.store.apply_movements(
        [
            {
                "key": "1c-edit",
                "customer": str(anna.pk),
                "card": "",
                "points": 40,
                "kind": "accrual",
                "order": "1",
                "date": now,
            },
            {
                "key": "1c-ghost",
                "customer": "424242",
                "card": "",
                "points": 7,
                "kind": "accrual",
                "order": "",
                "date": now,
            },
        ]
    )
    # A movement the accounting system refuses: the shop's customer is missing there.
    erp.control.reject = {"g-1": "unknown card"}
    gleb = UserFactory()
    ledger.accrue(gleb, 60, key="g-1", reason="Order 6", order="6", hold_days=0)
    sweep()

    run = reconciliation.reconcile()

    mismatched = line(run, "customer", str(anna.pk))
    assert (mismatched.state, mismatched.shop_value, mismatched.erp_value, mismatched.difference) == (
        "mismatched",
        300,
        340,
        -40,
    )
    assert line(run, "order_accrued", "1").difference == -40
    assert line(run, "customer", "424242").state == "missing_in_shop"
    assert line(run, "customer", str(gleb.pk)).state == "missing_in_erp"
    assert line(run, "order_accrued", "6").state == "missing_in_erp"
    summary = reconciliation.summarize(run)
    assert (summary.mismatched, summary.missing_in_erp, summary.missing_in_shop) == (2, 2, 1)
    assert summary.balance_difference == -40 + 60 - 7
    assert "2 mismatched" in str(summary)


def test_accepting_the_erp_balance_records_an_erp_correction_in_the_staff_members_name(erp, erp_settings):
    anna, _boris, _vera = a_normal_day()
    edited_in_the_erp(erp, anna, -50)
    run = reconciliation.reconcile()
    staff = UserFactory(first_name="Olga", last_name="Buh", email="olga@example.com", is_staff=True)

    entry = reconciliation.resolve_by_accepting(line(run, "customer", str(anna.pk)), actor=staff)

    assert (entry.kind, entry.points, entry.actor_name) == ("erp_correction", -50, "Olga Buh <olga@example.com>")
    resolved = line(run, "customer", str(anna.pk))
    assert (resolved.resolution, resolved.resolved_by) == ("accepted", "Olga Buh <olga@example.com>")
    assert reconciliation.summarize(reconciliation.reconcile()).mismatched == 0
    assert not OutboxMessage.objects.filter(key=entry.key).exists()


def test_pushing_the_shops_movements_again_fixes_what_the_erp_is_missing(erp, erp_settings):
    a_normal_day()
    gleb = UserFactory()
    erp.control.reject = {"g-1": "unknown card"}
    ledger.accrue(gleb, 60, key="g-1", reason="Order 6", order="6", hold_days=0)
    ledger.accrue(gleb, 15, key="g-2", reason="Order 7", order="7", hold_days=0)
    sweep()
    run = reconciliation.reconcile()
    assert line(run, "customer", str(gleb.pk)).state == "missing_in_erp"

    erp.control.reject = {}  # the card was registered in the accounting system
    reconciliation.resolve_by_pushing(line(run, "customer", str(gleb.pk)), actor="Olga")
    sweep()

    assert line(run, "customer", str(gleb.pk)).resolution == "pushed"
    after = reconciliation.summarize(reconciliation.reconcile())
    assert (after.mismatched, after.missing_in_erp, after.missing_in_shop) == (0, 0, 0)
    assert erp.store.movement_count() == OutboxMessage.objects.count()


def test_only_a_customer_balance_can_be_accepted(erp, erp_settings):
    a_normal_day()
    run = reconciliation.reconcile()
    with pytest.raises(reconciliation.ReconciliationError):
        reconciliation.resolve_by_accepting(line(run, "order_paid", "3"), actor="Olga")


def test_csv_and_xml_exports(erp, erp_settings):
    anna, _boris, _vera = a_normal_day()
    edited_in_the_erp(erp, anna, 40, date="2026-01-01T00:00:00Z")
    run = reconciliation.reconcile()

    out = io.StringIO()
    reconciliation.write_csv(run, out, lines=run.lines.exclude(state="matched"))
    rows = out.getvalue().splitlines()
    assert rows[0] == "\ufeffscope,reference,shop_value,erp_value,difference,state,resolution,resolved_by"
    assert rows[1] == f"customer,{anna.pk},300,340,-40,mismatched,,"
    assert rows[-1].startswith("summary,") and "1 mismatched" in rows[-1]

    data = io.BytesIO()
    reconciliation.write_xml(run, data)
    root = etree.fromstring(data.getvalue())
    assert root.find("Summary").get("mismatched") == "1"
    assert len(root.findall("Line")) == run.lines.count()


def test_the_csv_guards_text_against_formulas_and_keeps_differences_as_numbers(erp, erp_settings, client):
    anna, _boris, _vera = a_normal_day()
    edited_in_the_erp(erp, anna, 40, date="2026-01-01T00:00:00Z")
    run = reconciliation.reconcile()
    # A name is whatever the staff member typed into their profile.
    staff = UserFactory(first_name='=HYPERLINK("http://evil.example")', last_name="", email="", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="manage_loyalty"))
    mismatch = line(run, "customer", str(anna.pk))
    reconciliation.resolve_by_pushing(mismatch, actor=staff)
    client.force_login(staff)

    response = client.get(f"/dashboard/erp-sync/reconciliation/{run.pk}/?export=csv")

    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][:6] == ["customer", str(anna.pk), "300", "340", "-40", "mismatched"]
    assert rows[1][6:] == ["pushed", '\'=HYPERLINK("http://evil.example")']


def test_the_management_command(erp, erp_settings, tmp_path):
    a_normal_day()
    out = io.StringIO()
    call_command("erp_reconcile", stdout=out)
    assert "0 mismatched" in out.getvalue()

    target = tmp_path / "report.xml"
    call_command("erp_reconcile", "--format", "xml", "--all", "--output", str(target), stderr=io.StringIO())
    assert etree.parse(str(target)).getroot().find("Summary").get("matched") == "13"


def test_the_dashboard_pages(erp, erp_settings, client):
    a_normal_day()
    staff = UserFactory(is_staff=True)
    client.force_login(staff)

    response = client.post("/dashboard/erp-sync/reconciliation/", {"action": "run"}, follow=True)
    assert response.status_code == 200
    assert "0 mismatched" in response.content.decode()
    run = reconciliation.ReconciliationRun.objects.get()
    csv_response = client.get(f"/dashboard/erp-sync/reconciliation/{run.pk}/?show=all&export=csv")
    assert csv_response["Content-Type"].startswith("text/csv")
    assert client.get(f"/dashboard/erp-sync/reconciliation/{run.pk}/?export=xml").status_code == 200
    assert client.get("/dashboard/erp-sync/outbox/?status=delivered").status_code == 200


def test_customers_cannot_see_the_dashboard_pages(client):
    client.force_login(UserFactory())
    assert client.get("/dashboard/erp-sync/reconciliation/").status_code == 302
    assert client.get("/dashboard/erp-sync/outbox/").status_code == 302
