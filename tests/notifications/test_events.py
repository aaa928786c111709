"""Each event tells the customer once by e-mail and once by SMS, however often it is reported."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from oscar.apps.customer.signals import user_registered
from oscar.core.compat import get_user_model
from oscar.core.loading import get_model

from oscar_loyalty import ledger, signals
from oscar_loyalty.earning import tiers
from oscar_loyalty.notifications.services import notify_activations, warn_expiring_lots
from oscar_loyalty.tasks import notify_activations_task, warn_expiring_lots_task
from tests.earning.factories import order_for

pytestmark = pytest.mark.django_db

Account = get_model("oscar_loyalty", "Account")
Notification = get_model("oscar_loyalty", "Notification")
Tier = get_model("oscar_loyalty", "Tier")


def keys(user):
    return dict(Notification.objects.filter(user=user).values_list("key", "status"))


def test_a_new_customer_is_welcomed_once(client, django_capture_on_commit_callbacks, mailoutbox, sms_outbox):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("customer:register"),
            {"email": "new@example.com", "password1": "a-long-secret", "password2": "a-long-secret"},
        )
    assert response.status_code == 302
    user = get_user_model().objects.get(email="new@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        user_registered.send_robust(sender=None, request=None, user=user)  # reported twice

    welcome = [mail for mail in mailoutbox if "loyalty program" in mail.subject]
    assert len(welcome) == 1
    assert welcome[0].to == ["new@example.com"]
    assert sms_outbox == []  # no phone number given yet
    assert keys(user) == {f"welcome:{user.pk}:email": "sent", f"welcome:{user.pk}:sms": "skipped"}


def test_accrued_points_are_announced_once_with_their_date(
    customer, django_capture_on_commit_callbacks, mailoutbox, sms_outbox
):
    with django_capture_on_commit_callbacks(execute=True):
        lot = ledger.accrue(customer, 305, key="order-100123", reason="Order 100123", order="100123")
    with django_capture_on_commit_callbacks(execute=True):
        signals.points_accrued.send_robust(sender=Account, lot=lot)  # the event reported again
        ledger.accrue(customer, 305, key="order-100123", reason="Order 100123", order="100123")  # a replay

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.subject == "305 bonus points credited"
    assert "order 100123" in mail.body
    assert "You can pay with them from" in mail.body
    assert "/loyalty/my-bonuses/" in mail.body
    assert mail.alternatives  # and an HTML part
    assert len(sms_outbox) == 1
    assert sms_outbox[0].phone == "+79161234567"
    assert "+305 bonus points, available from" in sms_outbox[0].text
    assert keys(customer) == {f"accrued:{lot.pk}:email": "sent", f"accrued:{lot.pk}:sms": "sent"}


def test_a_completed_order_announces_its_points_and_the_new_tier(
    customer, django_capture_on_commit_callbacks, mailoutbox, sms_outbox
):
    order = order_for(customer, "40000.00")

    with django_capture_on_commit_callbacks(execute=True):
        order.set_status("Complete")

    subjects = sorted(mail.subject for mail in mailoutbox)
    assert subjects == ["1200 bonus points credited", "Your new status: Gold"]
    assert len(sms_outbox) == 2


def test_a_tier_upgrade_is_announced_and_a_staff_unpin_is_not(
    customer, django_capture_on_commit_callbacks, mailoutbox, sms_outbox
):
    gold = Tier.objects.get(code="gold")

    with django_capture_on_commit_callbacks(execute=True):
        tiers.pin_tier(customer, gold, actor="Manager", reason="A loyal customer")
    with django_capture_on_commit_callbacks(execute=True):
        tiers.unpin_tier(customer, actor="Manager", reason="The promotion ended")

    assert [mail.subject for mail in mailoutbox] == ["Your new status: Gold"]
    assert "5% of every paid order" in mailoutbox[0].body
    assert len(sms_outbox) == 1


def test_points_that_became_available_are_announced_once(
    customer, django_capture_on_commit_callbacks, mailoutbox, sms_outbox
):
    now = timezone.now()
    lot = ledger.accrue(customer, 305, key="a", reason="Order 100123", order="100123", now=now - timedelta(days=15))
    ledger.activate_matured_lots(now=now)

    with django_capture_on_commit_callbacks(execute=True):
        assert notify_activations(now=now) == 1
        assert notify_activations(now=now) == 0
        notify_activations_task.delay()  # the beat task, once more

    assert [mail.subject for mail in mailoutbox] == ["305 bonus points are ready to spend"]
    assert "305 bonus points are ready to spend" in sms_outbox[0].text
    assert len(sms_outbox) == 1
    assert keys(customer) == {f"available:{lot.pk}:email": "sent", f"available:{lot.pk}:sms": "sent"}


def test_points_activated_by_the_accounts_own_settlement_are_announced_too(
    customer, django_capture_on_commit_callbacks, mailoutbox
):
    now = timezone.now()
    ledger.accrue(customer, 305, key="a", reason="Order 100123", order="100123", now=now - timedelta(days=15))
    ledger.accrue(customer, 10, key="b", reason="Gift", hold_days=0, now=now)  # settles the account first

    with django_capture_on_commit_callbacks(execute=True):
        assert notify_activations(now=now) == 1

    assert [mail.subject for mail in mailoutbox] == ["305 bonus points are ready to spend"]


def test_events_recorded_with_a_date_long_past_are_not_announced(
    customer, django_capture_on_commit_callbacks, mailoutbox, sms_outbox
):
    last_year = timezone.now() - timedelta(days=365)

    with django_capture_on_commit_callbacks(execute=True):  # e.g. an import of last year's orders
        ledger.accrue(customer, 305, key="a", reason="Order 100001", order="100001", now=last_year)
        ledger.adjust(customer, 50, key="b", reason="Correction", actor="Manager", now=last_year)
        tiers.pin_tier(customer, Tier.objects.get(code="gold"), actor="Manager", reason="Old", now=last_year)

    assert (mailoutbox, sms_outbox) == ([], [])
    assert not Notification.objects.exists()


def test_activations_long_past_are_not_announced(customer, django_capture_on_commit_callbacks, mailoutbox):
    now = timezone.now()
    ledger.accrue(customer, 305, key="a", reason="Order", order="100123", now=now - timedelta(days=30))
    ledger.activate_matured_lots(now=now)  # available for 16 days: the beat was down

    with django_capture_on_commit_callbacks(execute=True):
        assert notify_activations(now=now) == 0

    assert mailoutbox == []


def test_expiring_points_are_warned_at_thirty_and_at_ten_days_once_each(
    customer, django_capture_on_commit_callbacks, mailoutbox, sms_outbox
):
    now = timezone.now()
    lot = ledger.accrue(customer, 200, key="a", reason="Order", order="1", hold_days=0, expires_in_days=25, now=now)

    with django_capture_on_commit_callbacks(execute=True):
        assert warn_expiring_lots(now=now) == 1
        assert warn_expiring_lots(now=now) == 0
        warn_expiring_lots_task.delay()  # the beat task, once more
        assert warn_expiring_lots(now=now + timedelta(days=16)) == 1  # 9 days left
        assert warn_expiring_lots(now=now + timedelta(days=17)) == 0

    assert [mail.subject for mail in mailoutbox] == [
        "200 bonus points expire within 30 days",
        "200 bonus points expire within 10 days",
    ]
    assert len(sms_outbox) == 2
    first_day, later_day = timezone.localdate(now), timezone.localdate(now + timedelta(days=16))
    assert keys(customer) == {
        f"expiring:{customer.pk}:30:{first_day}:email": "sent",
        f"expiring:{customer.pk}:30:{first_day}:sms": "sent",
        f"expiring:{customer.pk}:10:{later_day}:email": "sent",
        f"expiring:{customer.pk}:10:{later_day}:sms": "sent",
    }
    assert Notification.objects.get(key=f"expiring:{customer.pk}:30:{first_day}:email").context["lots"] == [lot.pk]


def test_a_lot_first_seen_within_ten_days_gets_only_the_ten_day_warning(
    customer, django_capture_on_commit_callbacks, mailoutbox
):
    now = timezone.now()
    lot = ledger.accrue(customer, 50, key="a", reason="Gift", hold_days=0, expires_in_days=5, now=now)

    with django_capture_on_commit_callbacks(execute=True):
        assert warn_expiring_lots(now=now) == 1
        assert warn_expiring_lots(now=now + timedelta(days=1)) == 0

    assert [mail.subject for mail in mailoutbox] == ["50 bonus points expire within 10 days"]
    today = timezone.localdate(now)
    assert keys(customer) == {
        f"expiring:{customer.pk}:10:{today}:email": "sent",
        f"expiring:{customer.pk}:10:{today}:sms": "sent",
    }
    assert Notification.objects.get(key=f"expiring:{customer.pk}:10:{today}:email").context["lots"] == [lot.pk]


def test_spent_and_expired_points_are_not_warned(customer, django_capture_on_commit_callbacks, mailoutbox):
    now = timezone.now()
    ledger.accrue(customer, 50, key="a", reason="Gift", hold_days=0, expires_in_days=5, now=now - timedelta(days=1))
    ledger.redeem(customer, 50, key="spend", order_number="100200", now=now)
    ledger.accrue(customer, 70, key="b", reason="Gift", hold_days=0, expires_in_days=1, now=now - timedelta(days=2))
    ledger.expire_lots(now=now)

    with django_capture_on_commit_callbacks(execute=True):
        assert warn_expiring_lots(now=now) == 0

    assert mailoutbox == []


@override_settings(OSCAR_LOYALTY_EXPIRY_WARNING_DAYS=(7,))
def test_the_warning_thresholds_are_a_setting(customer, django_capture_on_commit_callbacks):
    now = timezone.now()
    ledger.accrue(customer, 50, key="a", reason="Gift", hold_days=0, expires_in_days=20, now=now)

    with django_capture_on_commit_callbacks(execute=True):
        assert warn_expiring_lots(now=now) == 0
        assert warn_expiring_lots(now=now + timedelta(days=14)) == 1


def test_a_manual_adjustment_is_announced_with_its_reason(
    customer, django_capture_on_commit_callbacks, mailoutbox, sms_outbox
):
    with django_capture_on_commit_callbacks(execute=True):
        credit = ledger.adjust(customer, 500, key="t1", reason="Compensation for a delayed delivery", actor="Manager")
        ledger.adjust(customer, -150, key="t2", reason="Gloves returned", actor="Manager")
    with django_capture_on_commit_callbacks(execute=True):
        signals.points_adjusted.send_robust(sender=Account, entry=credit)  # reported again

    assert [mail.subject for mail in mailoutbox] == [
        "500 bonus points added to your account",
        "150 bonus points deducted from your account",
    ]
    assert "Reason: Compensation for a delayed delivery" in mailoutbox[0].body
    assert "Reason: Gloves returned" in mailoutbox[1].body
    assert len(sms_outbox) == 2


@override_settings(OSCAR_LOYALTY_NOTIFY_ADJUSTMENTS=False)
def test_adjustment_notices_can_be_turned_off(customer, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        ledger.adjust(customer, 500, key="t1", reason="Compensation", actor="Manager")

    assert mailoutbox == []
    assert not Notification.objects.exists()


def test_corrections_from_the_accounting_system_are_not_announced(
    customer, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        ledger.adjust(customer, 500, key="erp-1", reason="Reconciliation", actor="1C", origin="erp")

    assert mailoutbox == []


@override_settings(OSCAR_LOYALTY_NOTIFICATION_CHANNELS=("email",))
def test_a_shop_can_use_e_mail_only(customer, django_capture_on_commit_callbacks, mailoutbox, sms_outbox):
    with django_capture_on_commit_callbacks(execute=True):
        ledger.accrue(customer, 305, key="a", reason="Order", order="100123")

    assert len(mailoutbox) == 1
    assert sms_outbox == []
    assert Notification.objects.filter(channel="sms").count() == 0


def test_an_order_refunded_in_part_before_it_earned_announces_only_the_points_it_keeps(
    customer, django_capture_on_commit_callbacks, mailoutbox
):
    from decimal import Decimal

    from oscar_loyalty.earning import services

    order = order_for(customer, "10000.00")
    services.record_return(order, Decimal("5000.00"), key="return:early")

    with django_capture_on_commit_callbacks(execute=True):
        order.set_status("Complete")

    assert [mail.subject for mail in mailoutbox if "credited" in mail.subject] == ["150 bonus points credited"]


def test_an_order_refunded_in_full_before_it_earned_announces_no_points(
    customer, django_capture_on_commit_callbacks, mailoutbox, sms_outbox
):
    from oscar_loyalty.earning import services

    order = order_for(customer, "10000.00")
    services.reverse_for_order(order, reason="refunded while being processed")

    with django_capture_on_commit_callbacks(execute=True):
        order.set_status("Complete")

    assert not [mail for mail in mailoutbox if "credited" in mail.subject]
    assert not [sms for sms in sms_outbox if "bonus points, available" in sms.text]
