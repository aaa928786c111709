"""The dashboard's pages: who may open them, and what staff can do there (through the ledger and tier services)."""

import csv
import io
import re
from decimal import Decimal as D

import pytest
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from tests.dashboard.helpers import place_order, user_with
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

JournalEntry = get_model("oscar_loyalty", "JournalEntry")
Account = get_model("oscar_loyalty", "Account")
Notification = get_model("oscar_loyalty", "Notification")
NotificationPreference = get_model("oscar_loyalty", "NotificationPreference")
Tier = get_model("oscar_loyalty", "Tier")
CustomerTier = get_model("oscar_loyalty", "CustomerTier")
TierChange = get_model("oscar_loyalty", "TierChange")
MarginGroup = get_model("oscar_loyalty", "MarginGroup")
MarginGroupAssignment = get_model("oscar_loyalty", "MarginGroupAssignment")
Product = get_model("catalogue", "Product")
ProductClass = get_model("catalogue", "ProductClass")
Category = get_model("catalogue", "Category")

KPIS = reverse("loyalty-dashboard:loyalty-kpis")
KPIS_CSV = reverse("loyalty-dashboard:loyalty-kpis-csv")
ACCOUNTS = reverse("loyalty-dashboard:loyalty-account-list")
PROGRAM = reverse("loyalty-dashboard:loyalty-program")
NEW_TIER = reverse("loyalty-dashboard:loyalty-tier-create")


def account_url(name, account):
    return reverse(f"loyalty-dashboard:{name}", kwargs={"pk": account.pk})


@pytest.fixture
def customer():
    user = UserFactory(first_name="Vera", last_name="Kuznetsova", email="vera@example.com")
    ledger.accrue(user, 500, key="vera-1", reason="Order 1", order="1", hold_days=0)
    return user


@pytest.fixture
def account(customer):
    return Account.objects.get(user=customer)


@pytest.fixture
def manager(client):
    user = user_with("manage_loyalty", first_name="Maria", last_name="Manager", email="maria@example.com")
    client.force_login(user)
    return user


@pytest.fixture
def marketer(client):
    user = user_with("view_loyalty_kpis", is_staff=False)
    client.force_login(user)
    return user


def manager_pages(account):
    return [
        ACCOUNTS,
        account_url("loyalty-account-detail", account),
        PROGRAM,
        NEW_TIER,
        reverse("loyalty-dashboard:loyalty-tier-update", kwargs={"pk": Tier.objects.first().pk}),
        reverse("loyalty-dashboard:loyalty-margin-group-update", kwargs={"pk": MarginGroup.objects.first().pk}),
    ]


# --- Who may see what ------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_dashboard_login(client, account):
    for url in [KPIS, KPIS_CSV, *manager_pages(account)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("dashboard:login")), url


def test_customers_and_staff_without_a_loyalty_role_get_403(client, account):
    for user in (UserFactory(), UserFactory(is_staff=True)):
        client.force_login(user)
        for url in [KPIS, KPIS_CSV, *manager_pages(account)]:
            assert client.get(url).status_code == 403, url
        response = client.post(account_url("loyalty-account-adjust", account), {"points": 1})
        assert response.status_code == 403


def test_a_kpi_reader_sees_the_kpis_and_nothing_else(client, marketer, account):
    assert client.get(KPIS).status_code == 200
    assert client.get(KPIS_CSV).status_code == 200
    for url in manager_pages(account):
        assert client.get(url).status_code == 403, url
    response = client.post(
        account_url("loyalty-account-adjust", account),
        {"action": "accrue", "points": 100, "reason": "x", "key": "a" * 32},
    )
    assert response.status_code == 403
    assert not JournalEntry.objects.filter(kind=JournalEntry.ADJUSTMENT).exists()


def test_a_manager_opens_every_page(client, manager, account):
    for url in [KPIS, KPIS_CSV, *manager_pages(account)]:
        assert client.get(url).status_code == 200, url


def test_the_dashboard_menu_shows_each_role_its_own_items(client, account):
    kpis_link, accounts_link = f'href="{KPIS}"', f'href="{ACCOUNTS}"'
    client.force_login(user_with("view_loyalty_kpis", is_staff=False))
    page = client.get(KPIS).content.decode()
    assert kpis_link in page and accounts_link not in page

    client.force_login(user_with("manage_loyalty"))
    page = client.get(KPIS).content.decode()
    assert kpis_link in page and accounts_link in page

    client.force_login(UserFactory(is_staff=True))
    page = client.get(reverse("dashboard:index")).content.decode()
    assert kpis_link not in page


# --- KPIs --------------------------------------------------------------------------


def test_the_kpi_page_draws_charts_from_json_and_the_vendored_chart_js(client, manager, account):
    page = client.get(KPIS, {"date_from": "2026-01-01", "date_to": "2026-03-31"}).content.decode()

    assert 'id="loyalty-kpi-data"' in page
    assert "oscar_loyalty/vendor/chart.umd.js" in page
    assert page.count("<canvas") == 6
    assert "cdn" not in page.lower()


def test_a_bad_period_is_explained_and_the_default_shown(client, manager):
    response = client.get(KPIS, {"date_from": "2026-03-01", "date_to": "2026-01-01"})

    assert response.status_code == 200
    assert "The period must not end before it starts." in response.content.decode()
    assert len(response.context["report"].months) == 12


def test_a_period_longer_than_five_years_is_refused(client, manager):
    response = client.get(KPIS, {"date_from": "2015-01-01", "date_to": "2026-01-01"})

    assert "at most 60 months" in response.content.decode()


def test_the_csv_holds_the_table(client, manager, customer):
    ledger.adjust(customer, 40, key="csv", reason="Goodwill", actor="Staff")

    response = client.get(KPIS_CSV)

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, months = rows[0], rows[1:13]
    assert header[:4] == ["Month", "Participants", "New participants", "Points accrued"]
    assert all(re.fullmatch(r"\d{4}-\d{2}", row[0]) for row in months)
    total = rows[13]
    assert total[0] == "Total"
    assert total[3] == "540"  # 500 accrued, 40 by hand
    assert rows[15] == ["Tier", "Accounts", "Share, %"]


# --- Accounts -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["Vera", "kuznetsova", "vera kuzn", "VERA@EXAMPLE", "+7 916 123-45-67", "8 (916) 1234567", "9161234567"],
)
def test_accounts_are_found_by_name_email_and_phone(client, manager, customer, account, query):
    NotificationPreference.objects.create(user=customer, phone="+79161234567")
    other = UserFactory(first_name="Gleb", last_name="Morozov")
    ledger.accrue(other, 5, key="gleb", reason="Order 2", order="2")

    accounts = list(client.get(ACCOUNTS, {"q": query}).context["accounts"])

    assert accounts == [account]


def test_an_account_is_found_by_its_card_number(client, manager, account):
    assert list(client.get(ACCOUNTS, {"q": str(account.pk)}).context["accounts"]) == [account]
    assert list(client.get(ACCOUNTS, {"q": f"#{account.pk}"}).context["accounts"]) == [account]


def test_the_account_page_shows_balances_lots_journal_and_tier_history(client, manager, customer, account):
    ledger.redeem(customer, 120, key="spend", order_number="77")

    page = client.get(account_url("loyalty-account-detail", account)).content.decode()

    assert "380" in page  # available
    assert "Order 1" in page  # the accrual's reason in the journal
    assert 'id="loyalty_account_lots"' in page and 'id="loyalty_account_tiers"' in page


def test_the_customers_orders_link_to_their_page_and_to_issuing_a_secret_code(client, manager, customer, account):
    place_order("1", customer, "5000.00", timezone.now())

    page = client.get(account_url("loyalty-account-detail", account)).content.decode()

    assert reverse("dashboard:order-detail", kwargs={"number": "1"}) in page
    assert reverse("loyalty:secret-code-issue", kwargs={"number": "1"}) in page


def adjust(client, account, **data):
    form = client.get(account_url("loyalty-account-detail", account)).context["adjustment_form"]
    payload = {
        "action": "accrue",
        "points": 100,
        "reason": "Compensation for a late delivery",
        "key": form["key"].value(),
    }
    payload.update(data)
    return client.post(account_url("loyalty-account-adjust", account), payload), payload


def test_a_manual_accrual_goes_through_the_ledger_with_the_staff_members_name(client, manager, customer, account):
    response, _payload = adjust(client, account)

    assert response.status_code == 302
    entry = JournalEntry.objects.get(kind=JournalEntry.ADJUSTMENT)
    assert (entry.points, entry.reason, entry.actor) == (100, "Compensation for a late delivery", manager)
    assert entry.actor_name == "Maria Manager <maria@example.com>"
    assert ledger.get_balance(customer).available == 600


def test_submitting_the_same_form_twice_adjusts_once(client, manager, customer, account):
    _response, payload = adjust(client, account)

    again = client.post(account_url("loyalty-account-adjust", account), payload, follow=True)

    assert JournalEntry.objects.filter(kind=JournalEntry.ADJUSTMENT).count() == 1
    assert ledger.get_balance(customer).available == 600
    assert "already been applied" in again.content.decode()


def test_each_fresh_form_is_a_new_adjustment(client, manager, customer, account):
    adjust(client, account)
    adjust(client, account)

    assert ledger.get_balance(customer).available == 700


def test_a_write_off_needs_a_reason_and_the_points(client, manager, customer, account):
    no_reason, _ = adjust(client, account, action="write_off", reason="   ")
    too_many, _ = adjust(client, account, action="write_off", points=501)
    forged, _ = adjust(client, account, key="not-a-key")

    assert no_reason.status_code == too_many.status_code == forged.status_code == 400
    assert "Only 500 points are available to write off." in too_many.content.decode()
    assert not JournalEntry.objects.filter(kind=JournalEntry.ADJUSTMENT).exists()

    written_off, _ = adjust(client, account, action="write_off", points=200, reason="Duplicate accrual")
    assert written_off.status_code == 302
    assert ledger.get_balance(customer).available == 300


def test_a_blocked_account_still_takes_staff_corrections_and_says_it_is_blocked(client, manager, customer, account):
    # The ledger refuses a blocked customer's earning and spending, not the shop's own corrections.
    ledger.set_blocked(customer, True)

    response, _ = adjust(client, account, action="write_off", points=500, reason="Fraud: points taken back")

    assert response.status_code == 302
    assert ledger.get_balance(customer).available == 0
    assert "Blocked" in client.get(account_url("loyalty-account-detail", account)).content.decode()


def test_the_customer_hears_about_an_adjustment_unless_the_shop_turned_it_off(
    client, manager, customer, account, django_capture_on_commit_callbacks
):
    with override_settings(OSCAR_LOYALTY_NOTIFY_ADJUSTMENTS=False), django_capture_on_commit_callbacks(execute=True):
        adjust(client, account)
    assert not Notification.objects.filter(user=customer, event=Notification.ADJUSTED).exists()

    with django_capture_on_commit_callbacks(execute=True):
        adjust(client, account)
    # The notification's outbox row, written for delivery by the notifications' own tasks.
    notice = Notification.objects.get(user=customer, event=Notification.ADJUSTED, channel=Notification.EMAIL)
    assert notice.context["points"] == 100


def test_pinning_and_unpinning_a_tier_is_recorded_once(client, manager, customer, account):
    gold = Tier.objects.get(code="gold")
    pin = account_url("loyalty-account-pin-tier", account)
    data = {"tier": gold.pk, "until": "2099-12-31", "reason": "Loyal customer since 2015"}

    assert client.post(pin, data).status_code == 302
    assert client.post(pin, data).status_code == 302  # a double submit

    state = CustomerTier.objects.get(user=customer)
    assert state.pinned_tier == gold and state.pinned_by == "Maria Manager <maria@example.com>"
    assert TierChange.objects.filter(user=customer, new_tier=gold).count() == 1

    unpin = account_url("loyalty-account-unpin-tier", account)
    assert client.post(unpin, {"reason": ""}).status_code == 400
    assert client.post(unpin, {"reason": "Campaign over"}).status_code == 302
    state.refresh_from_db()
    assert state.pinned_tier is None


def test_a_pin_cannot_end_in_the_past(client, manager, account):
    gold = Tier.objects.get(code="gold")

    response = client.post(
        account_url("loyalty-account-pin-tier", account), {"tier": gold.pk, "until": "2020-01-01", "reason": "x"}
    )

    assert response.status_code == 400
    assert not TierChange.objects.exists()


# --- Program settings ------------------------------------------------------------------


def tier_data(**changes):
    data = {
        "name": "Diamond",
        "code": "diamond",
        "threshold": "500000",
        "cashback_percent": "12",
        "max_share_percent": "60",
        "sort_order": 5,
    }
    data.update(changes)
    return data


def test_a_manager_adds_a_tier(client, manager):
    assert client.post(NEW_TIER, tier_data()).status_code == 302
    assert Tier.objects.get(code="diamond").cashback_percent == D("12")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"threshold": "30000"}, "Gold already starts at this purchase volume"),
        ({"threshold": "-1"}, "greater than or equal to 0"),
        ({"cashback_percent": "100.5"}, "less than or equal to 100"),
        ({"max_share_percent": "-5"}, "greater than or equal to 0"),
        ({"code": "gold"}, "already exists"),
    ],
)
def test_bad_tiers_are_refused_with_a_reason(client, manager, changes, message):
    response = client.post(NEW_TIER, tier_data(**changes))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Tier.objects.filter(name="Diamond").exists()


def test_the_entry_tier_keeps_its_zero_threshold_and_cannot_be_deleted(client, manager):
    silver = Tier.objects.get(code="silver")
    url = reverse("loyalty-dashboard:loyalty-tier-update", kwargs={"pk": silver.pk})
    response = client.post(url, tier_data(name="Silver", code="silver", threshold="10"))
    assert "its threshold stays 0" in response.content.decode()

    client.post(reverse("loyalty-dashboard:loyalty-tier-delete", kwargs={"pk": silver.pk}))
    assert Tier.objects.filter(pk=silver.pk).exists()


def test_a_tier_customers_are_in_is_not_deleted(client, manager, customer):
    gold = Tier.objects.get(code="gold")
    CustomerTier.objects.create(user=customer, tier=gold)

    client.post(reverse("loyalty-dashboard:loyalty-tier-delete", kwargs={"pk": gold.pk}))

    assert Tier.objects.filter(pk=gold.pk).exists()


def test_a_margin_coefficient_cannot_be_negative(client, manager):
    response = client.post(
        reverse("loyalty-dashboard:loyalty-margin-group-create"),
        {"name": "Clearance", "code": "clearance", "coefficient": "-0.5"},
    )

    assert response.status_code == 200
    assert not MarginGroup.objects.filter(code="clearance").exists()


def test_making_a_group_the_default_moves_the_default(client, manager):
    low = MarginGroup.objects.get(code="low")
    url = reverse("loyalty-dashboard:loyalty-margin-group-update", kwargs={"pk": low.pk})

    response = client.post(url, {"name": low.name, "code": low.code, "coefficient": "0.5", "is_default": "on"})

    assert response.status_code == 302
    assert list(MarginGroup.objects.filter(is_default=True)) == [low]


def test_assigning_a_product_class_a_category_and_a_product(client, manager):
    high = MarginGroup.objects.get(code="high")
    low = MarginGroup.objects.get(code="low")
    url = reverse("loyalty-dashboard:loyalty-margin-group-update", kwargs={"pk": high.pk})
    product_class = ProductClass.objects.create(name="Spare part")
    product = Product.objects.create(upc="BIKE-1", title="Road bike", product_class=product_class)
    category = Category.add_root(name="Helmets")

    client.post(url, {"assign": "1", "target": "product", "product": "BIKE-1"})
    client.post(url, {"assign": "1", "target": "category", "category": category.pk})
    MarginGroupAssignment.objects.create(group=low, product_class=product_class)
    moved = client.post(url, {"assign": "1", "target": "product_class", "product_class": product_class.pk}, follow=True)
    unknown = client.post(url, {"assign": "1", "target": "product", "product": "NOPE"})

    assert set(high.assignments.values_list("product", "category", "product_class")) == {
        (product.pk, None, None),
        (None, category.pk, None),
        (None, None, product_class.pk),
    }
    assert "moved here from Low margin" in moved.content.decode()
    assert unknown.status_code == 400 and "No product has the UPC NOPE." in unknown.content.decode()


def test_the_settings_page_names_the_django_settings_behind_the_periods(client, manager):
    page = client.get(PROGRAM).content.decode()

    for name in ("OSCAR_LOYALTY_HOLD_DAYS", "OSCAR_LOYALTY_EXPIRY_DAYS", "OSCAR_LOYALTY_MIN_TO_PAY"):
        assert name in page
