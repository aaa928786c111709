"""Refer a friend: joining, self-referral and loops refused, and the referrer rewarded exactly once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.referrals import receivers, services
from tests.factories import UserFactory
from tests.referrals.helpers import event_rules

Referral = get_model("oscar_loyalty", "Referral")
ReferralCode = get_model("oscar_loyalty", "ReferralCode")
QualifyingPurchase = get_model("oscar_loyalty", "QualifyingPurchase")

pytestmark = pytest.mark.django_db

POINTS = {"referred": 200, "referral": 500, "registration": 100}


@pytest.fixture(autouse=True)
def rules():
    return event_rules(**POINTS)


def available(user):
    return ledger.get_balance(user).available


def join(friend, referrer, **kwargs):
    kwargs.setdefault("channel", Referral.LINK)
    return services.join(friend, services.code_for(referrer).code, **kwargs)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Anna.Petrova+shop@gmail.com", "annapetrova@googlemail.com"),
        ("ANNA@Example.com ", "anna+promo@example.com"),
        ("anna-petrova@ya.ru", "anna.petrova@yandex.ru"),
    ],
)
def test_one_mailbox_spelt_two_ways_normalises_to_one_address(first, second):
    assert services.normalise_email(first) == services.normalise_email(second)


def test_different_mailboxes_stay_different():
    assert services.normalise_email("anna.petrova@example.com") != services.normalise_email("annapetrova@example.com")


def test_each_customer_gets_one_code_that_reads_aloud_without_ambiguity():
    user = UserFactory()
    code = services.code_for(user)
    assert services.code_for(user) == code
    assert len(code.code) == 8 and not set(code.code) & set("01OIL")


def test_a_friend_who_joins_gets_the_friends_bonus_and_the_referrer_nothing_yet():
    referrer, friend = UserFactory(), UserFactory()

    referral = join(friend, referrer)

    assert (referral.referrer, referral.friend, referral.status) == (referrer, friend, Referral.JOINED)
    assert available(friend) == 200
    assert available(referrer) == 0


def test_a_code_is_read_whatever_its_case_and_spacing():
    referrer, friend = UserFactory(), UserFactory()
    code = services.code_for(referrer).code
    services.join(friend, f" {code[:4].lower()}-{code[4:]} ", channel=Referral.CODE)
    assert Referral.objects.get(friend=friend).referrer == referrer


def test_an_unknown_code_is_refused():
    with pytest.raises(services.ReferralRefused, match="no such referral code"):
        services.join(UserFactory(), "NOSUCHCD", channel=Referral.CODE)


def test_a_customer_cannot_refer_themselves():
    user = UserFactory()
    with pytest.raises(services.ReferralRefused, match="your own referral code"):
        join(user, user)
    assert not Referral.objects.exists()
    assert available(user) == 0


def test_a_second_account_with_the_same_mailbox_is_refused():
    referrer = UserFactory(email="Anna.Petrova@gmail.com")
    twin = UserFactory(email="annapetrova+2@googlemail.com")
    with pytest.raises(services.ReferralRefused, match="your e-mail address"):
        join(twin, referrer)
    assert available(twin) == 0


def test_signing_up_from_the_referrers_own_device_is_refused():
    referrer, friend = UserFactory(), UserFactory()
    services.code_for(referrer)
    services.remember_device(referrer, "device-of-anna")
    with pytest.raises(services.ReferralRefused, match="same device"):
        join(friend, referrer, device="device-of-anna")
    join(friend, referrer, device="device-of-boris")
    assert Referral.objects.filter(friend=friend).exists()


def test_a_loop_of_two_is_refused():
    anna, boris = UserFactory(), UserFactory()
    join(boris, anna)
    with pytest.raises(services.ReferralRefused, match="invited yourself"):
        join(anna, boris, entered_after_signup=True)
    assert Referral.objects.count() == 1


def test_a_longer_cycle_is_refused():
    anna, boris, clara, dmitry = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    join(boris, anna)
    join(clara, boris)
    join(dmitry, clara)
    with pytest.raises(services.ReferralRefused, match="invited yourself"):
        join(anna, dmitry, entered_after_signup=True)


def test_a_friend_joins_through_one_referrer_only():
    anna, boris, friend = UserFactory(), UserFactory(), UserFactory()
    join(friend, anna)
    with pytest.raises(services.ReferralRefused, match="already joined"):
        join(friend, boris, entered_after_signup=True)
    assert available(friend) == 200


def test_a_code_entered_after_signing_up_is_refused_once_late_or_after_a_first_order(settings):
    settings.OSCAR_LOYALTY_REFERRAL_CLAIM_DAYS = 14
    anna = UserFactory()
    old = UserFactory(date_joined=timezone.now() - timedelta(days=15))
    buyer = UserFactory()
    QualifyingPurchase.objects.create(user=buyer, order_number="7001", amount=Decimal("10"), placed_at=timezone.now())
    with pytest.raises(services.ReferralRefused, match="within 14 days"):
        join(old, anna, entered_after_signup=True)
    with pytest.raises(services.ReferralRefused, match="before your first order"):
        join(buyer, anna, entered_after_signup=True)


def paid(user, number, amount="1000.00"):
    QualifyingPurchase.objects.create(
        user=user, order_number=str(number), amount=Decimal(amount), placed_at=timezone.now()
    )
    receivers.order_points_accrued(sender=QualifyingPurchase, order_number=str(number), user=user, lot=None, points=0)


def test_the_friends_first_paid_order_rewards_the_referrer_exactly_once():
    referrer, friend = UserFactory(), UserFactory()
    join(friend, referrer)

    paid(friend, 8001)
    receivers.order_points_accrued(sender=None, order_number="8001", user=friend)  # reported twice
    paid(friend, 8002)  # a second order rewards nothing

    referral = Referral.objects.get(friend=friend)
    assert (referral.status, referral.first_order_number) == (Referral.REWARDED, "8001")
    assert available(referrer) == 500


def test_a_customer_nobody_referred_rewards_nobody():
    user = UserFactory()
    paid(user, 8101)
    assert available(user) == 0


def test_a_first_order_shipped_to_the_referrers_address_rewards_nobody():
    from oscar.core.loading import get_model as model

    Country = model("address", "Country")
    UserAddress = model("address", "UserAddress")
    ShippingAddress = model("order", "ShippingAddress")
    Order = model("order", "Order")
    country, _created = Country.objects.get_or_create(iso_3166_1_a2="RU", defaults={"name": "Russia"})
    referrer, friend = UserFactory(), UserFactory()
    UserAddress.objects.create(
        user=referrer,
        first_name="A",
        last_name="P",
        line1="ул. Ленина, 1",
        line4="Москва",
        postcode="101000",
        country=country,
    )
    shipping = ShippingAddress.objects.create(
        first_name="B", last_name="S", line1="Ул Ленина 1", line4="москва", postcode="101 000", country=country
    )
    Order.objects.create(
        number="8201",
        user=friend,
        shipping_address=shipping,
        total_incl_tax=Decimal("1000"),
        total_excl_tax=Decimal("1000"),
        currency="RUB",
    )
    join(friend, referrer)

    paid(friend, 8201)

    referral = Referral.objects.get(friend=friend)
    assert referral.status == Referral.REFUSED
    assert "referrer's address" in referral.refused_reason
    assert available(referrer) == 0
