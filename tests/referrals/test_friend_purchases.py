"""A share of a referred friend's purchases for a period: paid once per order, taken back with the order."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.earning import services as earning
from oscar_loyalty.referrals import services
from tests.campaigns.helpers import make_rule
from tests.dashboard.helpers import user_with
from tests.earning.factories import order_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Referral = get_model("oscar_loyalty", "Referral")
CampaignAward = get_model("oscar_loyalty", "CampaignAward")
CampaignRule = get_model("oscar_loyalty", "CampaignRule")
Lot = get_model("oscar_loyalty", "Lot")


@pytest.fixture
def share_rule():
    """5 % of every order a referred friend pays for, for 30 days after the friend joined."""
    return make_rule(
        "A share of a friend's purchases",
        basis="event",
        event="friend_purchase",
        event_days=30,
        reward="percent",
        value=5,
        hold_days=0,
    )


@pytest.fixture
def pair():
    referrer, friend = UserFactory(), UserFactory()
    services.join(friend, services.code_for(referrer).code, channel=Referral.LINK)
    return referrer, friend


def paid_order(friend, price, capture, **kwargs):
    """A placed order of the friend, counted as paid, with the commit-time receivers run."""
    order = order_for(friend, price, **kwargs)
    with capture(execute=True):
        earning.accrue_for_order(order)
    return order


def referrers_lots(referrer, order):
    return list(Lot.objects.filter(account__user=referrer, order_number=order.number).exclude(origin=Lot.RESTORE))


def test_every_paid_order_within_the_period_pays_the_referrer_its_share_once(
    share_rule, pair, django_capture_on_commit_callbacks
):
    referrer, friend = pair
    first = paid_order(friend, "2000.00", django_capture_on_commit_callbacks)
    second = paid_order(friend, "1000.00", django_capture_on_commit_callbacks)
    services.reward_friend_purchase(friend, second.number, amount=D("1000.00"))  # reported again

    assert ledger.get_balance(referrer).available == 100 + 50
    awards = CampaignAward.objects.filter(user=referrer).order_by("order_number")
    assert [(a.order_number, a.points, a.event, a.rule_id) for a in awards] == [
        (str(first.number), 100, "friend_purchase", share_rule.pk),
        (str(second.number), 50, "friend_purchase", share_rule.pk),
    ]


def test_a_friend_s_store_sale_pays_the_referrer_in_the_store_s_channel(pair, django_capture_on_commit_callbacks):
    in_stores = make_rule(
        "Friends buying in stores",
        basis="event",
        event="friend_purchase",
        channels=["store"],
        reward="fixed",
        value=40,
        hold_days=0,
    )
    referrer, friend = pair
    web = paid_order(friend, "1000.00", django_capture_on_commit_callbacks)
    store = order_for(friend, "1000.00")
    with django_capture_on_commit_callbacks(execute=True):
        earning.accrue_for_order(store, channel="store:12")

    awards = CampaignAward.objects.filter(user=referrer, rule=in_stores)
    assert [(a.order_number, a.points, a.channel) for a in awards] == [(str(store.number), 40, "store:12")]
    assert not CampaignAward.objects.filter(user=referrer, order_number=web.number).exists()
    assert [lot.channel for lot in referrers_lots(referrer, store)] == ["store:12"]


def test_an_order_placed_after_the_period_pays_nothing(share_rule, pair, django_capture_on_commit_callbacks):
    referrer, friend = pair
    Referral.objects.filter(friend=friend).update(created_at=timezone.now() - timedelta(days=31))

    paid_order(friend, "2000.00", django_capture_on_commit_callbacks)

    assert ledger.get_balance(referrer).total == 0


def test_the_period_counts_to_the_day_the_order_was_placed_not_when_it_was_reported(share_rule, pair):
    referrer, friend = pair
    joined = Referral.objects.get(friend=friend).created_at
    services.reward_friend_purchase(
        friend, "late-1", amount=D("1000.00"), placed_at=joined + timedelta(days=29), now=joined + timedelta(days=60)
    )
    services.reward_friend_purchase(
        friend, "late-2", amount=D("1000.00"), placed_at=joined + timedelta(days=31), now=joined + timedelta(days=60)
    )
    assert list(CampaignAward.objects.filter(user=referrer).values_list("order_number", flat=True)) == ["late-1"]


def test_an_order_placed_before_the_friend_joined_pays_nothing(share_rule, pair):
    referrer, friend = pair
    joined = Referral.objects.get(friend=friend).created_at
    assert (
        services.reward_friend_purchase(friend, "early", amount=D("1000"), placed_at=joined - timedelta(hours=1)) == 0
    )
    assert not CampaignAward.objects.filter(user=referrer).exists()


def test_a_return_takes_back_the_referrers_share_in_proportion_and_a_cancellation_all_of_it(
    share_rule, pair, django_capture_on_commit_callbacks
):
    referrer, friend = pair
    order = paid_order(friend, "2000.00", django_capture_on_commit_callbacks)
    (lot,) = referrers_lots(referrer, order)
    assert lot.points == 100

    earning.record_return(order, D("500.00"), key="return:1")
    lot.refresh_from_db()
    assert lot.points - lot.reversed_points == 75

    earning.reverse_for_order(order, reason="cancelled")
    lot.refresh_from_db()
    assert lot.points - lot.reversed_points == 0
    assert ledger.get_balance(referrer).total == 0


def test_an_order_returned_before_it_was_paid_pays_the_referrer_only_for_what_was_kept(
    share_rule, pair, django_capture_on_commit_callbacks
):
    referrer, friend = pair
    order = order_for(friend, "2000.00")
    earning.reverse_for_order(order, fraction=D("0.5"), key="early-return")
    with django_capture_on_commit_callbacks(execute=True):
        earning.accrue_for_order(order)

    (lot,) = referrers_lots(referrer, order)
    assert (lot.points, lot.points - lot.reversed_points) == (100, 50)
    assert ledger.get_balance(referrer).total == 50


def test_the_first_order_reward_is_taken_back_when_the_friend_cancels_it(pair, django_capture_on_commit_callbacks):
    referrer, friend = pair
    make_rule("A friend's first order", basis="event", event="referral", reward="fixed", value=500, hold_days=0)
    order = paid_order(friend, "2000.00", django_capture_on_commit_callbacks)
    assert ledger.get_balance(referrer).available == 500

    earning.reverse_for_order(order, reason="cancelled")

    assert ledger.get_balance(referrer).total == 0
    assert Referral.objects.get(friend=friend).status == Referral.REWARDED  # a later order rewards nobody again


def test_a_refused_referral_and_a_customer_nobody_referred_pay_nobody(
    share_rule, pair, django_capture_on_commit_callbacks
):
    referrer, friend = pair
    Referral.objects.filter(friend=friend).update(status=Referral.REFUSED)
    paid_order(friend, "2000.00", django_capture_on_commit_callbacks)
    loner = UserFactory()
    paid_order(loner, "2000.00", django_capture_on_commit_callbacks)

    assert not CampaignAward.objects.filter(event="friend_purchase").exists()


def test_the_share_follows_the_rule_as_published_when_the_order_is_paid(
    share_rule, pair, django_capture_on_commit_callbacks
):
    referrer, friend = pair
    paid_order(friend, "2000.00", django_capture_on_commit_callbacks)
    share_rule.value = D("10")
    share_rule.save()
    from oscar_loyalty.campaigns import snapshot

    snapshot.publish(share_rule)
    paid_order(friend, "2000.00", django_capture_on_commit_callbacks)

    awards = CampaignAward.objects.filter(user=referrer).order_by("pk")
    assert [(a.points, a.rule_version) for a in awards] == [(100, 1), (200, 2)]


def test_marketers_build_the_share_from_its_template_and_the_period_is_refused_for_other_events(client):
    client.force_login(user_with("manage_loyalty"))
    url = reverse("loyalty-dashboard:loyalty-campaign-create")
    page = client.get(url + "?template=referral_share")
    assert page.context["form"].initial["event"] == "friend_purchase"
    fields = {
        "name": "Friends' purchases",
        "is_active": "on",
        "audience": "everyone",
        "basis": "event",
        "event": "friend_purchase",
        "event_days": "90",
        "reward": "percent",
        "value": "3",
        "stacking": "stack",
        "template": "referral_share",
    }
    assert client.post(url, fields).status_code == 302
    rule = CampaignRule.objects.get()
    assert (rule.spec["event"], rule.spec["event_days"], rule.version) == ("friend_purchase", 90, 1)

    refused = client.post(url, {**fields, "name": "Wrong", "event": "registration"})
    assert refused.status_code == 200
    assert "applies to a referred friend's orders only" in refused.context["form"].errors["event_days"][0]
    assert CampaignRule.objects.count() == 1


def test_the_invite_page_tells_the_referrer_the_share_and_its_period(share_rule, client):
    client.force_login(UserFactory())
    page = client.get(reverse("loyalty:invite")).content.decode()
    assert "You also get 5% of what your friends pay for their orders during 30 days after they join." in page
    with translation.override("ru"):
        page = client.get(reverse("loyalty:invite"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Вы также получаете 5% от оплаченных заказов друзей в течение 30 дней после их регистрации." in page
