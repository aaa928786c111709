"""Registration: the welcome bonus, a referral link's code consumed, and the welcome message naming the points."""

import pytest
from django.test import RequestFactory
from oscar.apps.customer.signals import user_registered
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.referrals import receivers, services
from tests.factories import UserFactory
from tests.referrals.helpers import event_rules

Referral = get_model("oscar_loyalty", "Referral")
Notification = get_model("oscar_loyalty", "Notification")
QualifyingPurchase = get_model("oscar_loyalty", "QualifyingPurchase")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def rules():
    return event_rules(registration=100, referred=200, referral=500)


def request_with_session(code=None, device=""):
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore

    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.7")
    request.session = SessionStore()
    if code:
        request.session[receivers.SESSION_KEY] = code
    if device:
        request.COOKIES[receivers.DEVICE_COOKIE] = device
    request._messages = FallbackStorage(request)
    return request


def test_registration_gives_the_welcome_bonus_once_and_the_message_names_it():
    user = UserFactory()

    user_registered.send_robust(sender=None, request=None, user=user)
    user_registered.send_robust(sender=None, request=None, user=user)

    assert ledger.get_balance(user).available == 100
    welcome = Notification.objects.filter(user=user, event=Notification.WELCOME)
    assert welcome.exists() and all(row.context["points"] == 100 for row in welcome)


def test_the_welcome_bonus_given_on_registration_is_announced_by_the_welcome_message_alone(
    django_capture_on_commit_callbacks,
):
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        user_registered.send_robust(sender=None, request=None, user=user)

    assert ledger.get_balance(user).available == 100
    assert set(Notification.objects.filter(user=user).values_list("event", flat=True)) == {Notification.WELCOME}


def test_a_welcome_bonus_given_on_the_first_order_is_announced_as_credited_points(
    settings, django_capture_on_commit_callbacks
):
    settings.OSCAR_LOYALTY_WELCOME_AFTER_FIRST_ORDER = True
    from decimal import Decimal

    from django.utils import timezone

    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        user_registered.send_robust(sender=None, request=None, user=user)
    QualifyingPurchase.objects.create(user=user, order_number="9001", amount=Decimal("10"), placed_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        receivers.order_points_accrued(sender=None, order_number="9001", user=user)

    welcome = Notification.objects.filter(user=user, event=Notification.WELCOME)
    assert welcome.exists() and all(row.context["points"] == 0 for row in welcome)
    accrued = Notification.objects.filter(user=user, event=Notification.ACCRUED)
    assert accrued.exists() and all(row.context["points"] == 100 for row in accrued)


def test_the_welcome_bonus_can_wait_for_the_first_paid_order(settings):
    settings.OSCAR_LOYALTY_WELCOME_AFTER_FIRST_ORDER = True
    from decimal import Decimal

    from django.utils import timezone

    user = UserFactory()
    user_registered.send_robust(sender=None, request=None, user=user)
    assert ledger.get_balance(user).available == 0

    QualifyingPurchase.objects.create(user=user, order_number="9001", amount=Decimal("10"), placed_at=timezone.now())
    receivers.order_points_accrued(sender=None, order_number="9001", user=user)
    receivers.order_points_accrued(sender=None, order_number="9001", user=user)

    assert ledger.get_balance(user).available == 100


def test_a_referral_links_code_is_consumed_at_registration():
    referrer, friend = UserFactory(), UserFactory()
    request = request_with_session(services.code_for(referrer).code, device="friends-phone")

    user_registered.send(sender=None, request=request, user=friend)

    referral = Referral.objects.get(friend=friend)
    assert (referral.referrer, referral.channel, referral.device, referral.ip_address) == (
        referrer,
        Referral.LINK,
        "friends-phone",
        "10.0.0.7",
    )
    assert receivers.SESSION_KEY not in request.session
    assert ledger.get_balance(friend).available == 100 + 200


def test_a_refused_referral_at_registration_tells_the_customer_and_still_welcomes_them():
    referrer = UserFactory()
    services.code_for(referrer)
    services.remember_device(referrer, "annas-laptop")
    twin = UserFactory()
    request = request_with_session(services.code_for(referrer).code, device="annas-laptop")

    user_registered.send(sender=None, request=request, user=twin)

    assert not Referral.objects.exists()
    assert [str(m) for m in request._messages] == ["This referral code was opened on the same device its owner uses."]
    assert ledger.get_balance(twin).available == 100
