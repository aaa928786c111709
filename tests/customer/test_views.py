"""The customer's "My bonuses" pages: what they show, and that they show only the customer's own data."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

JournalEntry = get_model("oscar_loyalty", "JournalEntry")
NotificationPreference = get_model("oscar_loyalty", "NotificationPreference")
QualifyingPurchase = get_model("oscar_loyalty", "QualifyingPurchase")

BONUSES = reverse("loyalty:bonuses")


def customer_with_history():
    """A customer with points pending, spent, expired and available."""
    user = UserFactory()
    now = timezone.now()
    ledger.accrue(user, 1000, key=f"{user.pk}-old", reason="Order 100100", order="100100", now=now - timedelta(days=60))
    ledger.redeem(user, 500, key=f"{user.pk}-spend", order_number="100124", now=now - timedelta(days=30))
    ledger.accrue(user, 305, key=f"{user.pk}-new", reason="Order 100123", order="100123", now=now)
    ledger.accrue(
        user, 40, key=f"{user.pk}-gone", reason="Campaign", hold_days=0, expires_in_days=1, now=now - timedelta(days=2)
    )
    ledger.expire_lots(now=now)  # the beat task's pass
    return user


@pytest.fixture
def customer(client):
    user = customer_with_history()
    client.force_login(user)
    return user


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(BONUSES)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("customer:login"))


def test_the_page_shows_the_balance_the_tier_and_the_history_in_words(client, customer):
    QualifyingPurchase.objects.create(user=customer, order_number="100100", amount=D("12000"), placed_at=timezone.now())

    response = client.get(BONUSES)

    assert response.status_code == 200
    balance = response.context["balance"]
    assert (balance.available, balance.pending, balance.total) == (500, 305, 805)
    page = response.content.decode()
    assert "Silver" in page and "Gold" in page
    assert response.context["progress"].remaining == D("18000")
    lines = [text for _entry, text in response.context["lines"]]
    assert lines[0].startswith("+305 for order 100123, available from ")
    assert "\u2212500 paid for order 100124" in lines
    assert "\u221240 expired" in lines
    assert "+305 for order 100123" in page


def test_the_history_is_paginated_twenty_to_a_page(client):
    user = UserFactory()
    for n in range(25):
        ledger.accrue(user, 10, key=f"gift-{n}", reason=f"Gift {n}", hold_days=0)
    client.force_login(user)

    first = client.get(BONUSES)
    second = client.get(BONUSES, {"page": 2})

    assert len(first.context["lines"]) == 20
    assert len(second.context["lines"]) == 5
    assert first.context["lines"][0][1] == "+10 credited (Gift 24)"


def test_holds_of_finished_checkouts_are_not_shown(client):
    user = UserFactory()
    ledger.accrue(user, 100, key="gift", reason="Gift", hold_days=0)
    paid = ledger.reserve(user, 30, key="paid", order_number="200001")
    ledger.capture(paid)
    abandoned = ledger.reserve(user, 20, key="abandoned", order_number="200002")
    ledger.release(abandoned)
    ledger.reserve(user, 10, key="in-progress", order_number="200003")
    client.force_login(user)

    lines = [text for _entry, text in client.get(BONUSES).context["lines"]]

    assert lines == [
        "10 set aside to pay for order 200003",
        "\u221230 paid for order 200001",
        "+100 credited (Gift)",
    ]


def test_a_customer_sees_only_their_own_account(client, customer):
    stranger = customer_with_history()
    ledger.accrue(stranger, 777, key="stranger-gift", reason="Stranger", order="999999")
    strangers_account = stranger.loyalty_account

    response = client.get(BONUSES, {"account": strangers_account.pk, "user": stranger.pk})

    assert response.context["balance"].pending == 305
    assert all(entry.account.user_id == customer.pk for entry, _text in response.context["lines"])
    assert "999999" not in response.content.decode()


def test_a_movement_shows_its_lot_dates(client, customer):
    entry = JournalEntry.objects.get(account__user=customer, kind="accrual", order_number="100123")

    response = client.get(reverse("loyalty:bonus-entry", kwargs={"entry_id": entry.pk}))

    assert response.status_code == 200
    assert response.context["description"].startswith("+305 for order 100123")
    assert response.context["entry"].lot.available_at == entry.lot.available_at
    assert 'id="loyalty-entry-lot"' in response.content.decode()


def test_someone_elses_movement_is_not_found(client, customer):
    stranger = customer_with_history()
    theirs = JournalEntry.objects.filter(account__user=stranger).first()

    response = client.get(reverse("loyalty:bonus-entry", kwargs={"entry_id": theirs.pk}))

    assert response.status_code == 404


def test_a_movement_needs_a_signed_in_customer(client):
    user = customer_with_history()
    entry = JournalEntry.objects.filter(account__user=user).first()

    response = client.get(reverse("loyalty:bonus-entry", kwargs={"entry_id": entry.pk}))

    assert response.status_code == 302


def test_the_account_navigation_has_a_my_bonuses_tab(client, customer):
    page = client.get(reverse("customer:profile-view")).content.decode()

    assert f'href="{BONUSES}"' in page
    assert "My bonuses" in page
    assert "Order History" in page  # Oscar's own tabs are still there


def test_a_customer_without_points_sees_an_empty_page(client):
    client.force_login(UserFactory())

    response = client.get(BONUSES)

    assert response.status_code == 200
    assert response.context["balance"].total == 0
    assert response.context["lines"] == []


def test_notification_settings_are_saved_with_a_normalised_phone(client, customer):
    url = reverse("loyalty:notification-preferences")
    assert client.get(url).status_code == 200
    assert not NotificationPreference.objects.exists()  # reading the page creates nothing

    response = client.post(url, {"email_enabled": "on", "phone": "+7 (916) 123-45-67"})

    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=customer)
    assert (preference.email_enabled, preference.sms_enabled, preference.phone) == (True, False, "+79161234567")


def test_a_malformed_phone_is_refused(client, customer):
    response = client.post(reverse("loyalty:notification-preferences"), {"sms_enabled": "on", "phone": "call me"})

    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    assert not NotificationPreference.objects.exists()
