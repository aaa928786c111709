"""The rewards catalogue in a real Chromium: a customer exchanges points for a prize delivered to their door."""

import pytest
from django.urls import reverse
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from tests.browser import shopper
from tests.browser.shopper import expect, path_pattern
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

Reward = get_model("oscar_loyalty", "Reward")
RewardOrder = get_model("oscar_loyalty", "RewardOrder")


@pytest.fixture
def buyer():
    user = UserFactory(first_name="Anna", last_name="Smirnova")
    ledger.accrue(user, 2000, key="welcome", reason="Welcome", hold_days=0, now=timezone.now())
    return user


@pytest.fixture
def mug():
    Reward.objects.create(
        name="Voucher for a cinema",
        kind=Reward.VOUCHER,
        points=300,
        stock=5,
        image="loyalty/rewards/cinema.png",
        discount_type=Reward.FIXED,
        discount_value="300.00",
    )
    return Reward.objects.create(
        name="Thermos mug",
        kind=Reward.PHYSICAL,
        points=900,
        stock=3,
        image="loyalty/rewards/mug.png",
        description="Keeps tea hot for six hours.",
    )


def test_a_buyer_orders_a_prize_with_delivery_details_and_sees_the_points_go_down(page, buyer, mug, script_errors):
    shopper.sign_in(page, buyer)
    page.goto(reverse("loyalty:bonuses"))
    expect(page.locator("#loyalty-available")).to_have_text("2000")

    page.locator("#loyalty-rewards-link").click()
    expect(page).to_have_url(path_pattern("loyalty:rewards"))
    expect(page.locator("#rewards-available")).to_contain_text("2000")
    card = page.locator(f".reward[data-reward='{mug.pk}']")
    expect(card).to_contain_text("900")
    card.get_by_role("link").click()

    expect(page).to_have_url(path_pattern("loyalty:reward-redeem", pk=mug.pk))
    form = page.locator("#redeem_form")
    form.locator("#id_recipient_name").fill("Anna Smirnova")
    form.locator("#id_phone").fill("+79161234567")
    form.locator("#id_address").fill("Moscow, Tverskaya 7, flat 12")
    form.locator("button[type=submit]").click()

    reward_order = RewardOrder.objects.get()
    expect(page).to_have_url(path_pattern("loyalty:reward-order", number=reward_order.number))
    expect(page.locator("#messages")).to_contain_text(reward_order.number)
    expect(page.locator("#reward-order-status")).to_have_text("New")
    expect(page.locator("#reward-order")).to_contain_text("Moscow, Tverskaya 7, flat 12")

    page.goto(reverse("loyalty:bonuses"))
    expect(page.locator("#loyalty-available")).to_have_text("1100")
    expect(page.locator("#loyalty-history")).to_contain_text(reward_order.number)
    mug.refresh_from_db()
    assert mug.stock == 2
    assert script_errors == []


def test_a_buyer_short_of_points_is_told_so_and_keeps_them(page, mug):
    poor = UserFactory()
    ledger.accrue(poor, 100, key="welcome", reason="Welcome", hold_days=0, now=timezone.now())
    shopper.sign_in(page, poor)
    page.goto(reverse("loyalty:reward-redeem", kwargs={"pk": mug.pk}))

    form = page.locator("#redeem_form")
    form.locator("#id_recipient_name").fill("Ivan")
    form.locator("#id_phone").fill("+79160000000")
    form.locator("#id_address").fill("Kazan")
    form.locator("button[type=submit]").click()

    expect(page.locator("#redeem-errors")).to_contain_text("You have 100 points available; this reward costs 900")
    assert not RewardOrder.objects.exists()
    assert ledger.get_balance(poor).available == 100
