"""Oscar's real checkout, step by step, through the test client."""

from decimal import Decimal

from django.core import signing
from django.test import Client
from django.urls import reverse
from oscar.core.loading import get_model
from oscar.test.factories import CountryFactory, create_product

from oscar_loyalty import ledger
from oscar_loyalty.checkout import choice
from tests.factories import UserFactory

Tier = get_model("oscar_loyalty", "Tier")
Basket = get_model("basket", "Basket")

ADDRESS = {
    "first_name": "Anna",
    "last_name": "Petrova",
    "line1": "1 Velo Street",
    "line4": "Moscow",
    "postcode": "101000",
    "country": "RU",
    "phone_number": "",
}


def customer_with_points(points, *, key="welcome"):
    """A signed-up customer (entry tier: 20% of an order payable with points) holding ``points``."""
    # A transactional test's flush removes the tiers the data migration made.
    Tier.objects.get_or_create(
        code="silver",
        defaults={"name": "Silver", "threshold": 0, "cashback_percent": Decimal(3), "max_share_percent": Decimal(20)},
    )
    user = UserFactory()
    if points:
        ledger.accrue(user, points, key=f"{key}:{user.pk}", reason="Welcome gift", hold_days=0)
    return user


def product_priced(price="1000.00"):
    return create_product(title="City bike", price=Decimal(price), num_in_stock=100)


def reach_payment_details(client, user, product):
    """Sign in, put ``product`` in the basket and go through the address and shipping steps."""
    CountryFactory(iso_3166_1_a2="RU", printable_name="Russia", is_shipping_country=True)
    client.force_login(user)
    response = client.post(reverse("basket:add", kwargs={"pk": product.pk}), {"quantity": 1})
    assert response.status_code == 302, response
    response = client.post(reverse("checkout:shipping-address"), ADDRESS)
    assert response.status_code == 302, getattr(response, "context", None) and response.context["form"].errors
    response = client.get(reverse("checkout:shipping-method"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("checkout:payment-details"), response.redirect_chain
    return response


def choose_points(client, points):
    """Submit the payment step's points form; returns the preview (or the payment step with errors)."""
    return client.post(reverse("checkout:preview"), {"points": points})


def place_order(client):
    return client.post(reverse("checkout:preview"), {"action": "place_order"})


def chosen_points(client):
    """The points choice the customer's browser holds (the signed cookie's), or None without one."""
    morsel = client.cookies.get(choice.COOKIE_NAME)
    if morsel is None or not morsel.value:
        return None
    return signing.loads(morsel.value, salt=choice.SALT)[2]


def set_chosen_points(client, points):
    """What a stale cookie, or one signed with the shop's key by someone who has it, would hold."""
    user_id = int(client.session["_auth_user_id"])
    basket = Basket.objects.get(owner_id=user_id, status=Basket.OPEN)
    client.cookies[choice.COOKIE_NAME] = signing.dumps([user_id, basket.pk, points], salt=choice.SALT, compress=False)


def second_tab(client):
    """Another test client with ``client``'s cookies (session, points chosen): the same browser's second tab."""
    tab = Client()
    for name, morsel in client.cookies.items():
        tab.cookies[name] = morsel.value
    return tab
