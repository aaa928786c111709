"""Messages sent in the background speak the customer's language, not the one active in the worker."""

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from oscar.core.loading import get_model

import oscar_loyalty
from oscar_loyalty import ledger
from oscar_loyalty.notifications.services import remember_language
from oscar_loyalty.tasks import warn_expiring_lots_task
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Notification = get_model("oscar_loyalty", "Notification")
NotificationPreference = get_model("oscar_loyalty", "NotificationPreference")


def test_a_russian_customer_gets_a_russian_warning_from_a_task_run_in_english(
    customer, django_capture_on_commit_callbacks, mailoutbox, sms_outbox
):
    NotificationPreference.objects.filter(user=customer).update(language="ru")
    now = timezone.now()
    ledger.accrue(customer, 305, key="a", reason="Order", order="1", hold_days=0, expires_in_days=20, now=now)

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        warn_expiring_lots_task.delay()

    assert Notification.objects.filter(user=customer, language="ru").count() == 2
    assert "бонус" in mailoutbox[0].subject
    assert "бонус" in sms_outbox[0].text


def test_a_customer_without_a_language_gets_the_active_one(customer, django_capture_on_commit_callbacks, mailoutbox):
    now = timezone.now()
    ledger.accrue(customer, 305, key="a", reason="Order", order="1", hold_days=0, expires_in_days=20, now=now)

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        warn_expiring_lots_task.delay()

    assert "bonus points" in mailoutbox[0].subject


def test_an_event_caused_by_staff_in_english_reaches_a_russian_customer_in_russian(
    customer, django_capture_on_commit_callbacks, mailoutbox
):
    NotificationPreference.objects.filter(user=customer).update(language="ru")

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        ledger.adjust(customer, 500, key="t1", reason="Compensation", actor="Manager", now=timezone.now())

    assert "бонус" in mailoutbox[0].subject


def test_signing_in_remembers_the_customers_language(client):
    user = UserFactory(email="reader@example.com")
    user.set_password("a-long-secret")
    user.save()
    client.cookies["django_language"] = "ru"

    response = client.post(
        reverse("customer:login"),
        {"login-username": "reader@example.com", "login-password": "a-long-secret", "login_submit": "1"},
    )

    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=user).language == "ru"


def test_the_my_bonuses_page_remembers_a_changed_language_and_then_writes_nothing(client):
    user = UserFactory()
    NotificationPreference.objects.create(user=user, language="ru")
    client.force_login(user)
    client.cookies["django_language"] = "en"

    assert client.get(reverse("loyalty:bonuses")).status_code == 200
    assert NotificationPreference.objects.get(user=user).language == "en"
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("loyalty:bonuses")).status_code == 200
    assert not [query["sql"] for query in queries if query["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
                and "notificationpreference" in query["sql"]]  # fmt: skip


@pytest.mark.parametrize(("code", "stored"), [("ru-RU", "ru"), ("xx", None), ("", None)])
def test_only_a_language_the_shop_offers_is_stored(code, stored):
    user = UserFactory()

    remember_language(user, code)

    assert NotificationPreference.objects.filter(user=user).values_list("language", flat=True).first() == stored


def test_no_notification_module_imports_the_tasks_and_delivery_does_not_import_the_queue():
    # The delivery -> services -> tasks -> delivery circle: lower modules offer a signal instead.
    package = Path(oscar_loyalty.__file__).parent / "notifications"
    imports = {}
    for path in package.glob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        imports[path.stem] = names
    assert "oscar_loyalty.tasks" not in imports["services"] | imports["delivery"]
    assert not {"oscar_loyalty.notifications.services", "oscar_loyalty.notifications.receivers"} & imports["delivery"]


def test_the_old_names_still_import():
    from oscar_loyalty.notifications.services import enqueue, shop_channels, skip_reason  # noqa: F401


def test_dates_in_a_russian_message_are_russian(customer, django_capture_on_commit_callbacks, mailoutbox):
    NotificationPreference.objects.filter(user=customer).update(language="ru")
    now = timezone.now()
    ledger.accrue(customer, 10, key="a", reason="Order", order="1", hold_days=0, expires_in_days=20, now=now)

    with django_capture_on_commit_callbacks(execute=True):
        warn_expiring_lots_task.delay()

    with translation.override("ru"):
        from django.utils.formats import date_format

        month = date_format(timezone.localtime(now + timedelta(days=20)), "E")
    assert month in mailoutbox[0].body
