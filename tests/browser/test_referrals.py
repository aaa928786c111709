"""Refer a friend and the birthday in a real Chromium: a friend follows the link, signs up, and both are rewarded."""

import pytest
from django.urls import reverse
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.referrals import receivers
from tests.browser import shopper
from tests.browser.shopper import expect, path_pattern
from tests.factories import UserFactory
from tests.referrals.helpers import event_rules

pytestmark = pytest.mark.browser

Referral = get_model("oscar_loyalty", "Referral")
User = get_model("auth", "User")
QualifyingPurchase = get_model("oscar_loyalty", "QualifyingPurchase")


@pytest.fixture
def rules():
    return event_rules(registration=100, referred=200, referral=500)


def test_a_friend_signs_up_through_the_link_and_the_first_order_rewards_the_referrer(page, browser, server, rules):
    anna = UserFactory(first_name="Anna")
    shopper.sign_in(page, anna)
    page.goto(reverse("loyalty:bonuses"))
    page.locator("#loyalty-invite-panel a").first.click()
    expect(page).to_have_url(path_pattern("loyalty:invite"))
    link = page.locator("#loyalty-referral-link").input_value()
    assert "/loyalty/r/" in link

    friend_context = browser.new_context(base_url=server, locale="en")
    friend = friend_context.new_page()
    try:
        friend.goto(link)
        expect(friend).to_have_url(path_pattern("customer:register"))
        friend.locator("#register_form #id_email").fill("boris.friend@example.com")
        friend.locator("#register_form #id_password1").fill("a-Long-pass-1234")
        friend.locator("#register_form #id_password2").fill("a-Long-pass-1234")
        friend.locator("#register_form button[name=registration_submit]").click()
        expect(friend.locator("#logout_link")).to_be_visible()

        friend.goto(reverse("loyalty:bonuses"))
        expect(friend.locator("#loyalty-available")).to_have_text("300")  # welcome 100 + joining 200

        friend.locator("#loyalty-panel-birthday a").click()
        friend.locator("#loyalty_birthday_form #id_birthday").fill("1990-05-10")
        friend.locator("#loyalty_birthday_form button[type=submit]").click()
        expect(friend.locator("#loyalty-panel-birthday")).to_contain_text("Your birthday")
    finally:
        friend_context.close()

    boris = User.objects.get(email="boris.friend@example.com")
    assert Referral.objects.get(friend=boris).referrer == anna
    QualifyingPurchase.objects.create(user=boris, order_number="100001", amount=1000, placed_at=timezone.now())
    receivers.order_points_accrued(sender=None, order_number="100001", user=boris)
    assert ledger.get_balance(anna).available == 500


def test_the_referrer_cannot_sign_up_again_from_their_own_browser(page, rules):
    anna = UserFactory()
    shopper.sign_in(page, anna)
    page.goto(reverse("loyalty:invite"))
    link = page.locator("#loyalty-referral-link").input_value()
    page.locator("#logout_link").click()

    page.goto(link)
    page.locator("#register_form #id_email").fill("anna.second@example.com")
    page.locator("#register_form #id_password1").fill("a-Long-pass-1234")
    page.locator("#register_form #id_password2").fill("a-Long-pass-1234")
    page.locator("#register_form button[name=registration_submit]").click()

    expect(page.locator("#messages")).to_contain_text("same device its owner uses")
    assert not Referral.objects.exists()
