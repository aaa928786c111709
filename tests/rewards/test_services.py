"""Redeeming, moving along and cancelling rewards: points, stock and statuses move together or not at all."""

from datetime import date

import pytest
from django.utils import timezone
from oscar.core.loading import get_class, get_model
from oscar.test.factories import create_order

from oscar_loyalty import ledger
from oscar_loyalty.rewards import services
from oscar_loyalty.rewards.exceptions import (
    AlreadyCovered,
    DetailsMissing,
    InvalidTransition,
    OrderNotEligible,
    OutOfStock,
    ReturnNotConfirmed,
    RewardUnavailable,
    VoucherUsed,
)
from tests.rewards.conftest import customer_with_points, make_reward

pytestmark = pytest.mark.django_db

Reward = get_model("oscar_loyalty", "Reward")
RewardOrder = get_model("oscar_loyalty", "RewardOrder")
Reservation = get_model("oscar_loyalty", "Reservation")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")
Notification = get_model("oscar_loyalty", "Notification")
Voucher = get_model("voucher", "Voucher")

DELIVERY = services.Delivery(name="Anna Petrova", phone="+79161234567", address="Moscow, Tverskaya 1, flat 5")


def available(user):
    return ledger.get_balance(user).available


def test_a_prize_costs_its_points_and_one_item_of_stock(customer, reward):
    reward_order = services.redeem(customer, reward, key="form-key-0001", delivery=DELIVERY)

    reward.refresh_from_db()
    assert reward.stock == 9
    assert available(customer) == 1500
    assert reward_order.number == f"RW-{reward_order.pk:06d}"
    assert reward_order.status == RewardOrder.NEW
    assert (reward_order.recipient_name, reward_order.phone) == ("Anna Petrova", "+79161234567")
    reservation = Reservation.objects.get(order_number=reward_order.number)
    assert (reservation.status, reservation.points) == (Reservation.CAPTURED, 500)
    assert ledger.check_accounts() == []


def test_a_prize_without_delivery_details_is_refused_and_nothing_moves(customer, reward):
    with pytest.raises(DetailsMissing):
        services.redeem(customer, reward, key="form-key-0001", delivery=services.Delivery("Anna", "", "Moscow"))

    reward.refresh_from_db()
    assert reward.stock == 10
    assert available(customer) == 2000
    assert not RewardOrder.objects.exists()


def test_insufficient_points_are_refused_with_the_amounts_and_nothing_moves(reward):
    poor = customer_with_points(300)

    with pytest.raises(ledger.InsufficientPoints) as refusal:
        services.redeem(poor, reward, key="form-key-0001", delivery=DELIVERY)

    assert "300" in str(refusal.value) and "500" in str(refusal.value)
    reward.refresh_from_db()
    assert reward.stock == 10
    assert available(poor) == 300
    assert not RewardOrder.objects.exists()
    assert not Reservation.objects.exists()


def test_a_customer_without_any_points_is_refused(reward):
    with pytest.raises(ledger.InsufficientPoints):
        services.redeem(customer_with_points(0), reward, key="form-key-0001", delivery=DELIVERY)
    assert not RewardOrder.objects.exists()


def test_a_double_submitted_redemption_redeems_once(customer, reward):
    first = services.redeem(customer, reward, key="form-key-0001", delivery=DELIVERY)
    second = services.redeem(customer, reward, key="form-key-0001", delivery=DELIVERY)

    assert second.pk == first.pk
    reward.refresh_from_db()
    assert reward.stock == 9
    assert available(customer) == 1500
    assert RewardOrder.objects.count() == 1


def test_a_key_reused_by_another_customer_is_refused(customer, reward):
    services.redeem(customer, reward, key="form-key-0001", delivery=DELIVERY)
    other = customer_with_points(1000)

    with pytest.raises(ledger.IdempotencyConflict):
        services.redeem(other, reward, key="form-key-0001", delivery=DELIVERY)
    assert available(other) == 1000


@pytest.mark.parametrize("key", ["", "short", "x" * 65, "spaces are bad", None])
def test_a_malformed_key_is_refused(customer, reward, key):
    with pytest.raises(ledger.InvalidOperation):
        services.redeem(customer, reward, key=key, delivery=DELIVERY)
    assert not RewardOrder.objects.exists()


def test_an_empty_stock_is_refused_before_any_point_moves(customer):
    reward = make_reward(stock=0)

    with pytest.raises(OutOfStock):
        services.redeem(customer, reward, key="form-key-0001", delivery=DELIVERY)
    assert available(customer) == 2000


def test_a_hidden_reward_cannot_be_redeemed(customer):
    reward = make_reward(is_active=False)

    with pytest.raises(RewardUnavailable):
        services.redeem(customer, reward, key="form-key-0001", delivery=DELIVERY)
    assert available(customer) == 2000


# --- Vouchers -------------------------------------------------------------------


def test_a_voucher_reward_issues_a_single_use_voucher_with_a_unique_code(customer):
    reward = make_reward(kind=Reward.VOUCHER, points=400)

    first = services.redeem(customer, reward, key="form-key-0001")
    second = services.redeem(customer, reward, key="form-key-0002")

    assert first.status == RewardOrder.DELIVERED
    assert first.voucher_code and first.voucher_code != second.voucher_code
    voucher = Voucher.objects.get(code=first.voucher_code)
    assert voucher.usage == Voucher.SINGLE_USE
    assert voucher.is_active()
    benefit = voucher.offers.get().benefit
    assert benefit.value == 500
    assert available(customer) == 1200


def test_a_reward_voucher_only_applies_in_its_customers_basket(customer):
    from oscar.test.factories import create_basket

    reward_order = services.redeem(customer, make_reward(kind=Reward.VOUCHER), key="form-key-0001")
    offer = reward_order.voucher.offers.get()
    condition = offer.condition.proxy()
    own = create_basket()
    own.owner = customer
    stranger = create_basket()
    stranger.owner = customer_with_points(0)

    assert condition.is_satisfied(offer, own)
    assert not condition.is_satisfied(offer, stranger)


def test_a_cancelled_unused_voucher_stops_working_and_its_points_come_back(customer):
    reward = make_reward(kind=Reward.VOUCHER, points=400, stock=3)
    reward_order = services.redeem(customer, reward, key="form-key-0001")

    services.cancel(reward_order, reason="Changed my mind", confirm_return=True, actor="Manager")

    voucher = Voucher.objects.get(pk=reward_order.voucher_id)
    assert not voucher.is_active()
    assert available(customer) == 2000
    reward.refresh_from_db()
    assert reward.stock == 3


def test_a_used_voucher_cannot_be_cancelled(customer):
    reward_order = services.redeem(customer, make_reward(kind=Reward.VOUCHER), key="form-key-0001")
    Voucher.objects.filter(pk=reward_order.voucher_id).update(num_orders=1)

    with pytest.raises(VoucherUsed):
        services.cancel(reward_order, confirm_return=True)
    assert available(customer) == 1500


# --- Warranties -------------------------------------------------------------------


def test_a_warranty_covers_one_of_the_customers_orders_for_its_term(customer):
    reward = make_reward(kind=Reward.WARRANTY, points=700, warranty_months=12)
    order = create_order(user=customer)
    now = timezone.make_aware(timezone.datetime(2027, 1, 31, 12, 0))

    reward_order = services.redeem(customer, reward, key="form-key-0001", order=order, now=now)

    assert reward_order.order_number == str(order.number)
    assert reward_order.warranty_months == 12
    assert reward_order.warranty_starts_on == date(2027, 1, 31)
    assert reward_order.warranty_ends_on == date(2028, 1, 30)
    assert reward_order.status == RewardOrder.DELIVERED


def test_a_warranty_for_someone_elses_order_is_refused(customer):
    reward = make_reward(kind=Reward.WARRANTY)
    order = create_order(user=customer_with_points(0))

    with pytest.raises(OrderNotEligible):
        services.redeem(customer, reward, key="form-key-0001", order=order)
    with pytest.raises(OrderNotEligible):
        services.redeem(customer, reward, key="form-key-0002", order=None)
    assert available(customer) == 2000


def test_the_same_warranty_twice_for_one_order_is_refused(customer):
    reward = make_reward(kind=Reward.WARRANTY, points=100)
    order = create_order(user=customer)
    services.redeem(customer, reward, key="form-key-0001", order=order)

    with pytest.raises(AlreadyCovered):
        services.redeem(customer, reward, key="form-key-0002", order=order)
    assert available(customer) == 1900


@pytest.mark.parametrize(
    "day, months, expected",
    [
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2027, 11, 15), 3, date(2028, 2, 15)),
        (date(2027, 5, 1), 24, date(2029, 5, 1)),
    ],
)
def test_adding_months(day, months, expected):
    assert services.add_months(day, months) == expected


# --- Statuses -----------------------------------------------------------------------


def test_a_prize_moves_along_its_statuses_and_the_customer_hears_of_each_step(
    customer, reward, django_capture_on_commit_callbacks, mailoutbox, sms_outbox
):
    with django_capture_on_commit_callbacks(execute=True):
        reward_order = services.redeem(customer, reward, key="form-key-0001", delivery=DELIVERY)
    for status in (RewardOrder.PACKED, RewardOrder.SENT, RewardOrder.DELIVERED):
        with django_capture_on_commit_callbacks(execute=True):
            reward_order = services.advance(reward_order, status, actor="Warehouse")

    assert reward_order.status == RewardOrder.DELIVERED
    assert reward_order.packed_at and reward_order.sent_at and reward_order.delivered_at
    events = set(Notification.objects.filter(user=customer).values_list("event", flat=True))
    assert events >= {"reward_ordered", "reward_packed", "reward_sent", "reward_delivered"}
    subjects = [message.subject for message in mailoutbox]
    assert any("Thermos mug" in subject for subject in subjects)
    assert any(reward_order.number in message.text for message in sms_outbox)
    assert len(mailoutbox) == 4 and len(sms_outbox) == 4


def test_a_russian_customer_hears_in_russian(customer, reward, django_capture_on_commit_callbacks, mailoutbox):
    get_model("oscar_loyalty", "NotificationPreference").objects.filter(user=customer).update(language="ru")

    with django_capture_on_commit_callbacks(execute=True):
        services.redeem(customer, reward, key="form-key-0001", delivery=DELIVERY)

    assert "приз" in mailoutbox[0].subject.lower()


@pytest.mark.parametrize(
    "steps, target",
    [
        ([], RewardOrder.SENT),
        ([], RewardOrder.DELIVERED),
        ([RewardOrder.PACKED], RewardOrder.NEW),
        ([RewardOrder.PACKED, RewardOrder.SENT], RewardOrder.PACKED),
    ],
)
def test_a_step_out_of_order_is_refused_with_a_clear_message(customer, reward, steps, target):
    reward_order = services.redeem(customer, reward, key="form-key-0001", delivery=DELIVERY)
    for step in steps:
        services.advance(reward_order, step)

    with pytest.raises(InvalidTransition) as refusal:
        services.advance(reward_order, target)

    assert reward_order.number in str(refusal.value)
    reward_order.refresh_from_db()
    assert reward_order.status == (steps[-1] if steps else RewardOrder.NEW)


def test_a_voucher_cannot_be_packed(customer):
    reward_order = services.redeem(customer, make_reward(kind=Reward.VOUCHER), key="form-key-0001")
    with pytest.raises(InvalidTransition):
        services.advance(reward_order, RewardOrder.PACKED)


def test_marking_the_status_it_has_is_harmless(customer, reward):
    reward_order = services.redeem(customer, reward, key="form-key-0001", delivery=DELIVERY)
    services.advance(reward_order, RewardOrder.PACKED)
    services.advance(reward_order, RewardOrder.PACKED)
    assert Notification.objects.filter(event="reward_packed").count() == 2  # one per channel, once


# --- Cancelling -----------------------------------------------------------------------


def test_cancelling_before_sending_gives_the_points_and_the_item_back(customer, reward):
    reward_order = services.redeem(customer, reward, key="form-key-0001", delivery=DELIVERY)
    services.advance(reward_order, RewardOrder.PACKED)

    services.cancel(reward_order, reason="Out of the colour ordered", actor="Manager")

    reward.refresh_from_db()
    reward_order.refresh_from_db()
    assert reward.stock == 10
    assert available(customer) == 2000
    assert reward_order.status == RewardOrder.CANCELLED
    assert reward_order.restocked and not reward_order.returned
    assert ledger.check_accounts() == []


def test_cancelling_twice_refunds_once(customer, reward):
    reward_order = services.redeem(customer, reward, key="form-key-0001", delivery=DELIVERY)

    services.cancel(reward_order)
    services.cancel(reward_order)

    reward.refresh_from_db()
    assert reward.stock == 10
    assert available(customer) == 2000
    assert JournalEntry.objects.filter(kind=JournalEntry.RESTORATION).count() == 1


def test_a_cancelled_reward_cannot_move_on(customer, reward):
    reward_order = services.redeem(customer, reward, key="form-key-0001", delivery=DELIVERY)
    services.cancel(reward_order)
    with pytest.raises(InvalidTransition):
        services.advance(reward_order, RewardOrder.PACKED)


def test_a_delivered_prize_is_not_cancelled_unless_staff_confirm_the_return(customer, reward):
    reward_order = services.redeem(customer, reward, key="form-key-0001", delivery=DELIVERY)
    for status in (RewardOrder.PACKED, RewardOrder.SENT, RewardOrder.DELIVERED):
        services.advance(reward_order, status)

    with pytest.raises(ReturnNotConfirmed) as refusal:
        services.cancel(reward_order, reason="Customer asked")

    assert "delivered" in str(refusal.value)
    reward_order.refresh_from_db()
    assert reward_order.status == RewardOrder.DELIVERED
    assert available(customer) == 1500

    services.cancel(reward_order, reason="Came back unopened", confirm_return=True, restock=True)

    reward_order.refresh_from_db()
    reward.refresh_from_db()
    assert reward_order.status == RewardOrder.CANCELLED
    assert reward_order.returned and reward_order.restocked
    assert available(customer) == 2000
    assert reward.stock == 10


def test_a_prize_returned_damaged_stays_out_of_stock(customer, reward):
    reward_order = services.redeem(customer, reward, key="form-key-0001", delivery=DELIVERY)
    services.advance(reward_order, RewardOrder.PACKED)
    services.advance(reward_order, RewardOrder.SENT)

    services.cancel(reward_order, reason="Lost by the courier")

    reward.refresh_from_db()
    assert reward.stock == 9
    assert available(customer) == 2000


def test_a_reward_voucher_discounts_its_customers_basket_and_nobody_elses(customer):
    from oscar.apps.partner.strategy import Selector
    from oscar.test.factories import create_basket, create_product

    Applicator = get_class("offer.applicator", "Applicator")
    reward_order = services.redeem(customer, make_reward(kind=Reward.VOUCHER), key="form-key-0001")
    product = create_product(price="2000.00", num_in_stock=10)

    def discount_for(owner):
        basket = create_basket(empty=True)
        basket.owner = owner
        basket.save()
        basket.strategy = Selector().strategy()
        basket.add_product(product)
        basket.vouchers.add(reward_order.voucher)
        Applicator().apply(basket, owner)
        return basket.total_discount

    assert discount_for(customer) == 500
    assert discount_for(customer_with_points(0)) == 0
