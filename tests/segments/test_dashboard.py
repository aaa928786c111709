"""The dashboard's segments: sizes and movement, lists by hand, saved filters, the mailing export, birthdays."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.segments import passes, services
from tests.dashboard.helpers import user_with
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Segment = get_model("oscar_loyalty", "Segment")
SegmentSnapshot = get_model("oscar_loyalty", "SegmentSnapshot")
NotificationPreference = get_model("oscar_loyalty", "NotificationPreference")
QualifyingPurchase = get_model("oscar_loyalty", "QualifyingPurchase")
Account = get_model("oscar_loyalty", "Account")
CustomerBirthday = get_model("oscar_loyalty", "CustomerBirthday")

LIST = reverse("loyalty-dashboard:loyalty-segment-list")


@pytest.fixture
def manager(client):
    user = user_with("manage_loyalty", first_name="Maria", last_name="Manager", email="maria@example.com")
    client.force_login(user)
    return user


def read_csv(response):
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_only_loyalty_managers_see_segments(client):
    client.force_login(user_with("view_loyalty_kpis", is_staff=False))
    assert client.get(LIST).status_code in (302, 403)


def test_the_list_shows_sizes_by_month_and_the_movement(manager, client):
    now = timezone.now()
    for i in range(5):
        user = UserFactory()
        QualifyingPurchase.objects.create(
            user=user, order_number=f"70{i}", amount=Decimal(100 * (i + 1)), placed_at=now - timedelta(days=10 * i)
        )
    champions = Segment.objects.get(code="champions")
    last_month = passes.month_of(passes.month_of(timezone.localdate(now)) - timedelta(days=1))
    SegmentSnapshot.objects.create(segment=champions, month=last_month, size=7, taken_at=now)
    passes.refresh_segments(now)

    page = client.get(LIST).content.decode()

    assert "Champions" in page and "At risk" in page
    assert ">7<" in page.replace(" ", "")  # last month's size
    change = Segment.objects.get(code="champions").size - 7
    assert f'<td class="text-right">{change}</td>' in page  # the size now less last month's
    assert "No purchases before" in page  # everyone is new to RFM this month


def test_staff_create_a_list_and_add_customers_by_e_mail(manager, client):
    anna = UserFactory(email="anna@example.com")
    response = client.post(
        reverse("loyalty-dashboard:loyalty-segment-create"),
        {"name": "Press", "code": "press", "kind": Segment.MANUAL},
    )
    segment = Segment.objects.get(code="press")
    assert response.status_code == 302

    url = reverse("loyalty-dashboard:loyalty-segment-detail", kwargs={"pk": segment.pk})
    client.post(url, {"emails": "Anna@example.com\n", "action": "add"})
    assert services.in_segment(anna, segment)

    refused = client.post(url, {"emails": "nobody@example.com", "action": "add"})
    assert refused.status_code == 400 and "nobody@example.com" in refused.content.decode()

    client.post(url, {"emails": "anna@example.com", "action": "remove"})
    assert not services.in_segment(anna, segment)


def test_a_saved_filter_needs_a_condition_and_fills_itself_when_saved(manager, client):
    create = reverse("loyalty-dashboard:loyalty-segment-create")
    empty = client.post(create, {"name": "All", "code": "all", "kind": Segment.FILTER})
    assert empty.status_code == 200 and not Segment.objects.filter(code="all").exists()

    buyer = UserFactory()
    QualifyingPurchase.objects.create(user=buyer, order_number="7100", amount=10, placed_at=timezone.now())
    client.post(create, {"name": "Buyers", "code": "buyers", "kind": Segment.FILTER, "min_purchases": 1})
    assert list(services.members_of(Segment.objects.get(code="buyers"))) == [buyer]


def test_rfm_segments_cannot_be_edited(manager, client):
    champions = Segment.objects.get(code="champions")
    response = client.get(reverse("loyalty-dashboard:loyalty-segment-update", kwargs={"pk": champions.pk}))
    assert response.status_code == 404


def test_the_export_has_contacts_and_consent_and_guards_formulas(manager, client):
    segment = Segment.objects.create(code="export", name="Export", kind=Segment.MANUAL)
    quiet = UserFactory(email="quiet@example.com", first_name="=cmd|' /C calc'!A0", last_name="Ivanova")
    default = UserFactory(email="default@example.com", first_name="Boris", last_name="Sokolov")
    NotificationPreference.objects.create(user=quiet, email_enabled=False, sms_enabled=True, phone="+79161234567")
    services.add_members(segment, [quiet, default])

    rows = read_csv(client.get(reverse("loyalty-dashboard:loyalty-segment-export", kwargs={"pk": segment.pk})))

    assert rows[0][:6] == [
        "E-mail",
        "First name",
        "Last name",
        "Phone (international, digits only)",
        "E-mails allowed",
        "Text messages allowed",
    ]
    by_email = {row[0]: row for row in rows[1:]}
    assert by_email["quiet@example.com"][1:6] == ["'=cmd|' /C calc'!A0", "Ivanova", "79161234567", "0", "1"]
    assert by_email["default@example.com"][3:6] == ["", "1", "1"]  # never saved preferences: the defaults


def test_staff_change_a_birthday_from_the_account_page(manager, client):
    customer = UserFactory()
    ledger.accrue(customer, 10, key="b-1", reason="x", hold_days=0)
    account = Account.objects.get(user=customer)
    services.set_birthday_by_customer(customer, date(1990, 5, 10))

    page = client.get(reverse("loyalty-dashboard:loyalty-account-detail", kwargs={"pk": account.pk})).content.decode()
    assert 'value="1990-05-10"' in page

    client.post(
        reverse("loyalty-dashboard:loyalty-account-birthday", kwargs={"pk": account.pk}), {"birthday": "1990-06-01"}
    )
    record = CustomerBirthday.objects.get(user=customer)
    assert (record.birthday, record.set_by) == (date(1990, 6, 1), CustomerBirthday.STAFF)
    assert "Maria" in record.changed_by_name
