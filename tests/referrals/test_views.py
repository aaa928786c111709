"""The customer's pages: the invitation link through sign-up, a friend's code entered later, the birthday set once."""

from datetime import date

import pytest
from django.urls import reverse
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.referrals import receivers, services
from oscar_loyalty.segments import services as segments
from tests.factories import UserFactory
from tests.referrals.helpers import event_rules

pytestmark = pytest.mark.django_db

Referral = get_model("oscar_loyalty", "Referral")
User = get_model("auth", "User")


@pytest.fixture(autouse=True)
def rules():
    return event_rules(registration=100, referred=200)


def sign_up(client, email):
    return client.post(
        reverse("customer:register"),
        {"email": email, "password1": "a-Long-pass-1234", "password2": "a-Long-pass-1234"},
    )


def test_the_bonus_page_shows_the_code_and_asks_for_the_birthday(client):
    user = UserFactory()
    client.force_login(user)
    page = client.get(reverse("loyalty:bonuses")).content.decode()
    assert services.code_for(user).code in page
    assert reverse("loyalty:birthday") in page


def test_the_invite_page_shows_the_link_and_ties_the_device_to_the_customer(client):
    user = UserFactory()
    client.force_login(user)

    response = client.get(reverse("loyalty:invite"))

    code = services.code_for(user)
    assert f"/loyalty/r/{code.code}/" in response.content.decode()
    assert code.device and response.cookies[receivers.DEVICE_COOKIE].value == code.device


def test_a_friend_follows_the_link_signs_up_and_both_sides_are_recorded(client):
    referrer = UserFactory()
    code = services.code_for(referrer).code

    response = client.get(reverse("loyalty:referral-link", kwargs={"code": code.lower()}))
    assert response.status_code == 302 and response["Location"] == reverse("customer:register")
    sign_up(client, "boris.friend@example.com")

    friend = User.objects.get(email="boris.friend@example.com")
    referral = Referral.objects.get(friend=friend)
    assert (referral.referrer, referral.channel) == (referrer, Referral.LINK)
    assert ledger.get_balance(friend).available == 300  # welcome 100 + friend's 200


def test_the_referrer_signing_up_again_from_their_own_browser_is_refused_with_a_message(client):
    referrer = UserFactory(email="anna@example.com")
    client.force_login(referrer)
    device = client.get(reverse("loyalty:invite")).cookies[receivers.DEVICE_COOKIE]  # the browser is now hers
    client.logout()
    client.cookies[receivers.DEVICE_COOKIE] = device.value  # the test client forgets every cookie; a browser does not

    client.get(reverse("loyalty:referral-link", kwargs={"code": services.code_for(referrer).code}))
    response = sign_up(client, "anna.second@example.com")

    assert not Referral.objects.exists()
    assert ledger.get_balance(User.objects.get(email="anna.second@example.com")).available == 100
    followed = client.get(response["Location"])
    assert "same device its owner uses" in followed.content.decode()


def test_a_friends_code_entered_on_the_invite_page(client):
    referrer, friend = UserFactory(), UserFactory()
    client.force_login(friend)

    response = client.post(reverse("loyalty:invite"), {"code": services.code_for(referrer).code})

    assert response.status_code == 302
    assert Referral.objects.get(friend=friend).channel == Referral.CODE


def test_a_refused_code_shows_why_and_changes_nothing(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(reverse("loyalty:invite"), {"code": services.code_for(user).code})

    assert response.status_code == 200
    assert "your own referral code" in response.content.decode()
    assert not Referral.objects.exists()


def test_the_birthday_is_set_once_on_the_page_and_then_only_shown(client):
    user = UserFactory()
    client.force_login(user)

    client.post(reverse("loyalty:birthday"), {"birthday": "1990-05-10"})
    page = client.get(reverse("loyalty:birthday")).content.decode()
    again = client.post(reverse("loyalty:birthday"), {"birthday": "1991-01-01"}, follow=True)

    assert segments.birthday_of(user) == date(1990, 5, 10)
    assert 'name="birthday"' not in page
    assert again.status_code == 200 and "already set" in again.content.decode()


def test_a_birthday_in_the_future_is_refused_on_the_page(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("loyalty:birthday"), {"birthday": "2999-01-01"})
    assert response.status_code == 200 and segments.birthday_of(user) is None
