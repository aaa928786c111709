"""CSV files staff open in a spreadsheet: a BOM for Cyrillic, no formulas smuggled in through text."""

import csv
import io
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils.translation import gettext_lazy
from oscar.core.loading import get_model

from oscar_loyalty import csv_export, ledger
from tests.dashboard.helpers import user_with
from tests.factories import UserFactory

Tier = get_model("oscar_loyalty", "Tier")

KPIS_CSV = reverse("loyalty-dashboard:loyalty-kpis-csv")


# --- The shared writer ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil","click")', '\'=HYPERLINK("http://evil","click")'),
        ("+7 916 123-45-67", "'+7 916 123-45-67"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-40", "'-40"),  # text that looks like a number is still text: callers pass numbers as numbers
        ("Ольга Бух", "Ольга Бух"),
        ("account-5", "account-5"),
        ("a=b", "a=b"),
        ("", ""),
        (-40, -40),
        (D("-12.50"), D("-12.50")),
        (-0.5, -0.5),
        (0, 0),
        (None, ""),
        (gettext_lazy("Total"), "Total"),
    ],
)
def test_cells(value, written):
    assert csv_export.cell(value) == written


def test_the_file_starts_with_a_bom_and_numbers_stay_numbers():
    out = io.StringIO()
    writer = csv_export.writer(out)
    writer.writerow(["Месяц", "Итого"])
    writer.writerow(["=1+1", -40, D("-1.50"), None])

    text = out.getvalue()
    assert text.startswith("\ufeffМесяц,Итого\r\n")
    assert text.count("\ufeff") == 1
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(text.removeprefix("\ufeff")))) == [
        ["Месяц", "Итого"],
        ["'=1+1", "-40", "-1.50", ""],
    ]


def test_a_writer_without_a_bom():
    out = io.StringIO()
    csv_export.writer(out, bom=False).writerow(["a", 1])
    assert out.getvalue() == "a,1\r\n"


# --- The KPI export ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_kpi_csv_has_a_bom_guards_tier_names_and_keeps_figures_as_numbers(client):
    client.force_login(user_with("view_loyalty_kpis"))
    Tier.objects.filter(code="silver").update(name="=cmd|' /C calc'!A0")
    Tier.objects.filter(code="gold").update(name="Золотой")
    customer = UserFactory()
    ledger.accrue(customer, 500, key="c-1", reason="Order 1", order="1", hold_days=0)
    ledger.redeem(customer, 200, key="c-pay", order_number="2")
    ledger.reverse_order("2", key="c-return", reason="Returned")

    response = client.get(KPIS_CSV)

    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, total = rows[0], rows[13]  # then twelve months, then the total
    assert total[0] == "Total"
    figures = dict(zip(header, total, strict=True))
    assert (figures["Points accrued"], figures["Points redeemed"], figures["Returned to customers"]) == (
        "500",
        "200",
        "200",
    )
    assert figures["Redemption rate, %"] == "40.0"
    assert rows[15] == ["Tier", "Accounts", "Share, %"]
    tiers = {row[0] for row in rows[16:]}
    assert "'=cmd|' /C calc'!A0" in tiers
    assert "Золотой" in tiers
