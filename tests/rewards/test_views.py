"""The catalogue's pages: the customer's redemption; the staff's rewards, statuses, cancellations, packing lists."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from oscar.core.loading import get_model
from PIL import Image

from oscar_loyalty import ledger
from oscar_loyalty.rewards import services
from tests.dashboard.helpers import user_with
from tests.rewards.conftest import customer_with_points, make_reward

pytestmark = pytest.mark.django_db

Reward = get_model("oscar_loyalty", "Reward")
RewardOrder = get_model("oscar_loyalty", "RewardOrder")

DELIVERY = {"recipient_name": "Anna Petrova", "phone": "+79161234567", "address": "Moscow, Tverskaya 1, flat 5"}


def redeem_url(reward):
    return reverse("loyalty:reward-redeem", kwargs={"pk": reward.pk})


def order_url(reward_order, name="loyalty-dashboard:loyalty-reward-order", **kwargs):
    return reverse(name, kwargs={"number": reward_order.number, **kwargs})


def form_key(client, reward):
    return client.get(redeem_url(reward)).context["form"].initial["key"]


# --- The customer ------------------------------------------------------------------


def test_my_bonuses_links_to_the_catalogue_which_lists_the_rewards(client, customer, reward):
    client.force_login(customer)

    bonuses = client.get(reverse("loyalty:bonuses"))
    catalogue = client.get(reverse("loyalty:rewards"))

    assert reverse("loyalty:rewards") in bonuses.content.decode()
    assert "Thermos mug" in catalogue.content.decode()
    assert catalogue.context["balance"].available == 2000


def test_the_catalogue_speaks_russian_to_a_russian_browser(client, customer, reward):
    client.force_login(customer)

    catalogue = client.get(reverse("loyalty:rewards"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    form = client.get(redeem_url(reward), HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    assert "Каталог призов" in catalogue and "Получить" in catalogue and "2000 бонусов" in catalogue
    assert "Обменять бонусы на этот приз" in form and "Адрес доставки" in form


def test_the_catalogue_needs_a_signed_in_customer(client, reward):
    assert client.get(reverse("loyalty:rewards")).status_code == 302
    assert client.get(redeem_url(reward)).status_code == 302


def test_a_customer_orders_a_prize_with_delivery_details(client, customer, reward):
    client.force_login(customer)
    key = form_key(client, reward)

    response = client.post(redeem_url(reward), {"key": key, **DELIVERY}, follow=True)

    reward_order = RewardOrder.objects.get()
    assert response.redirect_chain[-1][0] == reverse("loyalty:reward-order", kwargs={"number": reward_order.number})
    assert "500 points were spent" in response.content.decode()
    assert reward_order.address == DELIVERY["address"]
    assert ledger.get_balance(customer).available == 1500


def test_the_form_sent_twice_redeems_once(client, customer, reward):
    client.force_login(customer)
    key = form_key(client, reward)

    first = client.post(redeem_url(reward), {"key": key, **DELIVERY})
    second = client.post(redeem_url(reward), {"key": key, **DELIVERY})

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert RewardOrder.objects.count() == 1
    assert ledger.get_balance(customer).available == 1500


def test_missing_delivery_details_are_asked_for(client, customer, reward):
    client.force_login(customer)

    response = client.post(redeem_url(reward), {"key": form_key(client, reward), "recipient_name": "Anna"})

    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"phone", "address"}
    assert not RewardOrder.objects.exists()


def test_too_few_points_are_explained_and_nothing_is_spent(client, reward):
    poor = customer_with_points(120)
    client.force_login(poor)

    response = client.post(redeem_url(reward), {"key": form_key(client, reward), **DELIVERY})

    assert response.status_code == 200
    assert "You have 120 points available; this reward costs 500. Nothing was spent." in response.content.decode()
    reward.refresh_from_db()
    assert reward.stock == 10
    assert not RewardOrder.objects.exists()


def test_the_last_item_gone_meanwhile_is_explained(client, customer):
    reward = make_reward(stock=1)
    client.force_login(customer)
    key = form_key(client, reward)
    services.redeem(customer_with_points(1000), reward, key="someone-else-1", delivery=services.Delivery("B", "1", "X"))

    response = client.post(redeem_url(reward), {"key": key, **DELIVERY})

    assert "this reward has just run out" in response.content.decode()
    assert ledger.get_balance(customer).available == 2000


def test_a_voucher_code_is_shown_to_its_customer_only(client, customer):
    reward = make_reward(kind=Reward.VOUCHER)
    client.force_login(customer)
    client.post(redeem_url(reward), {"key": form_key(client, reward)})
    reward_order = RewardOrder.objects.get()

    page = client.get(order_url(reward_order, "loyalty:reward-order"))
    assert reward_order.voucher_code in page.content.decode()

    client.force_login(customer_with_points(0))
    assert client.get(order_url(reward_order, "loyalty:reward-order")).status_code == 404


def test_a_warranty_offers_only_the_customers_own_orders(client, customer):
    from oscar.test.factories import create_order

    reward = make_reward(kind=Reward.WARRANTY, points=300)
    own = create_order(user=customer)
    foreign = create_order(user=customer_with_points(0))
    client.force_login(customer)
    key = form_key(client, reward)

    refused = client.post(redeem_url(reward), {"key": key, "order": foreign.pk})
    accepted = client.post(redeem_url(reward), {"key": key, "order": own.pk})

    assert "order" in refused.context["form"].errors
    assert accepted.status_code == 302
    assert RewardOrder.objects.get().order == own


# --- Staff ------------------------------------------------------------------------------


@pytest.fixture
def manager(client):
    user = user_with("manage_loyalty", first_name="Maria", last_name="Manager", email="maria@example.com")
    client.force_login(user)
    return user


@pytest.fixture
def reward_order(customer, reward):
    return services.redeem(
        customer, reward, key="form-key-0001", delivery=services.Delivery("Anna Petrova", "+7916", "Moscow")
    )


def test_only_loyalty_managers_see_the_rewards_pages(client, reward_order):
    pages = [
        reverse("loyalty-dashboard:loyalty-reward-list"),
        reverse("loyalty-dashboard:loyalty-reward-create"),
        reverse("loyalty-dashboard:loyalty-reward-order-list"),
        order_url(reward_order),
        order_url(reward_order, "loyalty-dashboard:loyalty-reward-order-packing-list"),
    ]
    client.force_login(user_with("view_loyalty_kpis"))
    assert [client.get(page).status_code for page in pages] == [403] * len(pages)
    client.force_login(user_with("manage_loyalty"))
    assert [client.get(page).status_code for page in pages] == [200] * len(pages)


def test_a_manager_creates_a_reward_with_a_picture(client, manager):
    picture = io.BytesIO()
    Image.new("RGB", (40, 40), "orange").save(picture, "PNG")
    data = {"name": "Umbrella", "kind": "physical", "points": 900, "stock": 5, "position": 0, "is_active": "on"}
    data["image"] = SimpleUploadedFile("umbrella.png", picture.getvalue(), content_type="image/png")
    data["voucher_valid_days"] = 90

    response = client.post(reverse("loyalty-dashboard:loyalty-reward-create"), data)

    assert response.status_code == 302, response.context["form"].errors
    reward = Reward.objects.get(name="Umbrella")
    assert reward.image.name.startswith("loyalty/rewards/umbrella")


def test_a_voucher_reward_without_a_discount_is_refused(client, manager):
    picture = io.BytesIO()
    Image.new("RGB", (4, 4)).save(picture, "PNG")
    data = {"name": "Voucher", "kind": "voucher", "points": 100, "stock": 5, "position": 0, "voucher_valid_days": 30}
    data["image"] = SimpleUploadedFile("v.png", picture.getvalue(), content_type="image/png")

    response = client.post(reverse("loyalty-dashboard:loyalty-reward-create"), data)

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"discount_type", "discount_value"}


def test_an_ordered_reward_is_hidden_rather_than_deleted(client, manager, reward_order):
    client.post(reverse("loyalty-dashboard:loyalty-reward-delete", kwargs={"pk": reward_order.reward_id}))

    reward = Reward.objects.get(pk=reward_order.reward_id)
    assert not reward.is_active


def test_a_manager_moves_an_order_along_and_a_skipped_step_is_refused(client, manager, reward_order):
    status_url = order_url(reward_order, "loyalty-dashboard:loyalty-reward-order-status")

    refused = client.post(status_url, {"status": "delivered"}, follow=True)
    assert "Reward order RW-" in refused.content.decode() and "cannot be marked" in refused.content.decode()
    reward_order.refresh_from_db()
    assert reward_order.status == "new"

    for status in ("packed", "sent", "delivered"):
        client.post(status_url, {"status": status})
    reward_order.refresh_from_db()
    assert reward_order.status == "delivered"
    assert reward_order.changed_by_name.startswith("Maria Manager")


def test_cancelling_a_delivered_prize_needs_the_return_confirmed(client, manager, customer, reward_order):
    for status in ("packed", "sent", "delivered"):
        services.advance(reward_order, status)
    cancel_url = order_url(reward_order, "loyalty-dashboard:loyalty-reward-order-cancel")

    refused = client.post(cancel_url, {"reason": "Asked by phone"}, follow=True)
    assert "confirm the return" in refused.content.decode()
    assert ledger.get_balance(customer).available == 1500

    client.post(cancel_url, {"reason": "Came back", "confirm_return": "on"})
    reward_order.refresh_from_db()
    assert reward_order.status == "cancelled" and reward_order.returned
    assert ledger.get_balance(customer).available == 2000


def test_packing_lists_for_one_order_and_for_a_selection(client, manager, customer, reward, reward_order):
    other = services.redeem(customer, reward, key="form-key-0002", delivery=services.Delivery("Ivan", "+7", "Kazan"))

    one = client.get(order_url(reward_order, "loyalty-dashboard:loyalty-reward-order-packing-list"))
    both = client.get(
        reverse("loyalty-dashboard:loyalty-reward-packing-list"), {"number": [reward_order.number, other.number]}
    )

    assert f"slip-{reward_order.number}" in one.content.decode()
    assert f"slip-{other.number}" not in one.content.decode()
    assert "Kazan" in both.content.decode() and "Moscow" in both.content.decode()


def test_the_reward_orders_list_filters_by_status(client, manager, customer, reward, reward_order):
    other = services.redeem(customer, reward, key="form-key-0002", delivery=services.Delivery("Ivan", "+7", "Kazan"))
    services.advance(other, "packed")

    response = client.get(reverse("loyalty-dashboard:loyalty-reward-order-list"), {"status": "packed"})

    assert [order.number for order in response.context["reward_orders"]] == [other.number]
