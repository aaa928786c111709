"""Secret codes: an ended promotion kept for one customer's corrected order; using them at checkout."""

import re
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty.checkout.promotions import codes, services, throttle
from tests.checkout.flow import customer_with_points, place_order, product_priced, reach_payment_details
from tests.checkout.promotions import (
    add_to_basket,
    checkout_with,
    end,
    enter_code,
    issue,
    issue_from_order_page,
    messages_of,
    promo_code,
    staff_member,
    to_payment_details,
    total,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Order = get_model("order", "Order")
Basket = get_model("basket", "Basket")
Lot = get_model("oscar_loyalty", "Lot")
SecretCode = get_model("oscar_loyalty", "SecretCode")
SecretCodeAttempt = get_model("oscar_loyalty", "SecretCodeAttempt")
QualifyingPurchase = get_model("oscar_loyalty", "QualifyingPurchase")


def outcomes():
    return list(SecretCodeAttempt.objects.order_by("id").values_list("outcome", flat=True))


def basket_page(client):
    return client.get(reverse("basket:summary"))


# --- The scenario the codes exist for ----------------------------------------------


def test_an_order_from_the_sales_last_day_is_placed_again_at_the_sale_price(client, last_day):
    customer, product, sale, original = last_day
    staff = Client()
    staff.force_login(staff_member())

    issued_page, code = issue_from_order_page(staff, original)

    assert issued_page.status_code == 200 and code is not None
    assert "no-store" in issued_page["Cache-Control"]
    secret = SecretCode.objects.get()
    assert (secret.customer, secret.original_order) == (customer, original)
    assert list(secret.offers.all()) == [sale]
    assert secret.expires_at - secret.created_at == timedelta(days=7)
    # Only a hash is kept: the code itself is nowhere in the row.
    stored = " ".join(str(value) for value in SecretCode.objects.values().get().values())
    assert codes.normalise(code) not in stored and code not in stored

    # The sale is over: without the code the basket pays the full price.
    add_to_basket(client, product)
    assert total(basket_page(client)) == D("1000.00")

    page = enter_code(client, code)

    assert total(page) == D("800.00")
    assert any("Secret code accepted" in message for message in messages_of(page))
    assert 'id="loyalty-secret-code"' in page.content.decode()
    to_payment_details(client)
    response = place_order(client)

    assert response.status_code == 302 and response.url == reverse("checkout:thank-you")
    replacement = Order.objects.exclude(pk=original.pk).get()
    assert replacement.total_incl_tax == D("800.00")
    assert replacement.discounts.get().offer_id == sale.pk
    secret.refresh_from_db()
    assert secret.replacement_order == replacement and secret.used_at is not None
    assert replacement.loyalty_replaced_by_code.original_order == original
    assert secret.used_by_name == customer.get_full_name()
    assert outcomes() == [SecretCodeAttempt.APPLIED, SecretCodeAttempt.USED]

    # Single use: the next basket gets the full price and a plain answer.
    add_to_basket(client, product)
    page = enter_code(client, code)

    assert "This code has already been used." in messages_of(page)
    assert total(page) == D("1000.00")
    assert outcomes()[-1] == SecretCodeAttempt.ALREADY_USED


def test_goods_bought_at_the_kept_promotion_earn_no_bonuses_by_default(client, last_day):
    customer, product, sale, original = last_day
    issued = issue(original)
    checkout_with(client, product, issued.code)
    replacement = Order.objects.exclude(pk=original.pk).get()

    replacement.set_status("Complete")

    assert QualifyingPurchase.objects.filter(order_number=replacement.number).exists()
    assert not Lot.objects.filter(order_number=replacement.number).exists()


@override_settings(OSCAR_LOYALTY_OFFERS_EARN=True)
def test_goods_at_the_kept_promotion_earn_when_the_shop_lets_promotions_earn(client, last_day):
    customer, product, sale, original = last_day
    checkout_with(client, product, issue(original).code)
    replacement = Order.objects.exclude(pk=original.pk).get()

    replacement.set_status("Complete")

    assert Lot.objects.get(order_number=replacement.number).points == 24  # 3% of 800


def test_a_promotion_reached_through_a_promo_code_comes_back_as_that_code(client):
    customer = customer_with_points(0)
    product = product_priced("1000.00")
    voucher = promo_code(product, code="LASTDAY", percent=15)
    reach_payment_details(client, customer, product)
    client.post(reverse("basket:vouchers-add"), {"code": "LASTDAY"})
    place_order(client)
    original = Order.objects.get()
    assert original.total_incl_tax == D("850.00")
    end(voucher)
    original.set_status("Cancelled")

    page, response = checkout_with(client, product, issue(original).code)

    assert total(page) == D("850.00")
    replacement = Order.objects.exclude(pk=original.pk).get()
    assert replacement.total_incl_tax == D("850.00")
    assert replacement.discounts.get().voucher_code == "LASTDAY"


def test_the_code_only_keeps_the_conditions_the_basket_must_still_meet(client, last_day):
    customer, product, sale, original = last_day
    other = product_priced("500.00")
    add_to_basket(client, other)

    page = enter_code(client, issue(original).code)

    assert total(page) == D("500.00")
    assert any("conditions are not met yet" in message for message in messages_of(page))
    # Entered, but not used: an order without the promotion leaves the code for later.
    to_payment_details(client)
    place_order(client)
    assert SecretCode.objects.get().used_at is None


# --- Expiry ----------------------------------------------------------------------


def expire(secret_code):
    now = timezone.now()
    SecretCode.objects.filter(pk=secret_code.pk).update(
        created_at=now - timedelta(days=8), expires_at=now - timedelta(minutes=1)
    )


def test_an_expired_code_is_refused(client, last_day):
    customer, product, sale, original = last_day
    issued = issue(original)
    expire(issued.secret_code)
    add_to_basket(client, product)

    page = enter_code(client, issued.code)

    assert any(message.startswith("This code expired on") for message in messages_of(page))
    assert total(page) == D("1000.00")
    assert SecretCode.objects.get().basket is None
    assert outcomes() == [SecretCodeAttempt.EXPIRED]


def test_a_code_expiring_during_checkout_stops_the_order_before_payment(client, last_day):
    customer, product, sale, original = last_day
    issued = issue(original)
    add_to_basket(client, product)
    enter_code(client, issued.code)
    to_payment_details(client)
    expire(issued.secret_code)

    response = place_order(client)

    assert Order.objects.count() == 1  # the original only
    assert "The promotion's prices no longer apply" in response.context["error"]
    secret = SecretCode.objects.get()
    assert secret.used_at is None
    assert outcomes()[-1] == SecretCodeAttempt.EXPIRED
    assert secret.basket.status == Basket.OPEN  # thawed: the customer can change it and order


def test_a_revoked_code_is_refused(client, last_day):
    customer, product, sale, original = last_day
    issued = issue(original)
    assert services.revoke(issued.secret_code, actor=staff_member())
    add_to_basket(client, product)

    page = enter_code(client, issued.code)

    assert "This code has been withdrawn. Please contact customer services." in messages_of(page)
    assert total(page) == D("1000.00")


# --- Whose code it is ---------------------------------------------------------------


def test_another_customers_code_is_refused_and_changes_nothing(client, last_day):
    customer, product, sale, original = last_day
    issued = issue(original)
    stranger = UserFactory()
    other = Client()
    other.force_login(stranger)
    add_to_basket(other, product)

    page = enter_code(other, issued.code)

    assert "This code was issued to another customer: it works only in their account." in messages_of(page)
    assert total(page) == D("1000.00")
    secret = SecretCode.objects.get()
    assert secret.basket is None and secret.used_at is None
    attempt = SecretCodeAttempt.objects.get()
    assert (attempt.outcome, attempt.code, attempt.user) == (SecretCodeAttempt.FOREIGN, secret, stranger)


def test_staff_signed_in_as_the_customer_place_the_order_for_them(client, last_day):
    customer, product, sale, original = last_day
    staff = staff_member()
    issued = issue(original)
    # A django-hijack session: the customer signed in, the staff member behind it.
    session = client.session
    session["hijack_history"] = [str(staff.pk)]
    session.save()

    page, response = checkout_with(client, product, issued.code)

    assert total(page) == D("800.00")
    assert response.url == reverse("checkout:thank-you")
    secret = SecretCode.objects.get()
    assert secret.replacement_order.user == customer
    assert secret.used_by_name == f"{staff.get_full_name()} for {customer.get_full_name()}"
    assert set(SecretCodeAttempt.objects.values_list("acting_staff_name", flat=True)) == {staff.get_full_name()}


def test_a_customer_is_not_staff_acting_for_anyone():
    customer = UserFactory()
    impostor = UserFactory()  # not staff
    request = RequestFactory().get("/")
    request.user = customer
    request.session = {"hijack_history": [str(impostor.pk)]}

    from oscar_loyalty.checkout.promotions import acting

    assert acting.acting_staff(request) is None


def test_staff_in_their_own_account_are_told_how_to_act_for_the_customer(client, last_day):
    customer, product, sale, original = last_day
    issued = issue(original)
    staff = Client()
    staff.force_login(staff_member())
    add_to_basket(staff, product)

    page = enter_code(staff, issued.code)

    assert any("sign in as the customer" in message for message in messages_of(page))
    assert SecretCode.objects.get().basket is None


def test_staff_can_enter_the_code_in_the_customers_basket_when_issuing_it(client, last_day):
    customer, product, sale, original = last_day
    staff = Client()
    staff.force_login(staff_member())

    response, code = issue_from_order_page(staff, original, enter_in_basket="on")

    assert "The code has been entered in the customer's basket." in response.content.decode()
    add_to_basket(client, product)
    page = basket_page(client)
    assert total(page) == D("800.00")
    assert "keeps the promotion of order" in page.content.decode()


# --- Throttling ----------------------------------------------------------------------

TOO_MANY = re.compile(r"Too many attempts\. Please try again in (\d+) minutes?\.")


@override_settings(OSCAR_LOYALTY_SECRET_CODE_ATTEMPTS_PER_USER=3)
def test_wrong_codes_are_throttled_per_customer(client, last_day):
    customer, product, sale, original = last_day
    issued = issue(original)
    add_to_basket(client, product)
    for _attempt in range(3):
        enter_code(client, codes.generate())

    page = enter_code(client, issued.code)

    (message,) = [m for m in messages_of(page) if TOO_MANY.fullmatch(m)]
    assert 1 <= int(TOO_MANY.fullmatch(message).group(1)) <= 15
    assert total(page) == D("1000.00")
    assert SecretCode.objects.get().basket is None
    assert outcomes() == [SecretCodeAttempt.NOT_FOUND] * 3 + [SecretCodeAttempt.THROTTLED]


@override_settings(OSCAR_LOYALTY_SECRET_CODE_ATTEMPTS_PER_IP=2, OSCAR_LOYALTY_SECRET_CODE_ATTEMPTS_PER_USER=50)
def test_wrong_codes_are_throttled_per_address_across_accounts():
    product = product_priced("1000.00")
    for _account in range(2):
        guesser = Client(REMOTE_ADDR="203.0.113.7")
        guesser.force_login(UserFactory())
        add_to_basket(guesser, product)
        enter_code(guesser, "not a code")
    fresh = Client(REMOTE_ADDR="203.0.113.7")
    fresh.force_login(UserFactory())
    elsewhere = Client(REMOTE_ADDR="198.51.100.1")
    elsewhere.force_login(UserFactory())

    assert any(TOO_MANY.fullmatch(m) for m in messages_of(enter_code(fresh, codes.generate())))
    assert not any(TOO_MANY.fullmatch(m) for m in messages_of(enter_code(elsewhere, codes.generate())))


@override_settings(OSCAR_LOYALTY_SECRET_CODE_ATTEMPTS_PER_USER=1, OSCAR_LOYALTY_SECRET_CODE_THROTTLE_MINUTES=15)
def test_the_throttle_window_ends():
    start = 1_800_000_000  # a window boundary (a multiple of 900 s)
    assert not throttle.take(7, None, now=start + 10).blocked  # a wrong guess: it keeps its place
    blocked = throttle.take(7, None, now=start + 60)
    assert blocked.blocked and blocked.retry_after_seconds == 840 and blocked.retry_after_minutes == 14
    assert not throttle.take(7, None, now=start + 900).blocked
    assert not throttle.take(8, None, now=start + 60).blocked


# --- Bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Please enter the secret code."),
        ("   ", "Please enter the secret code."),
        ("X" * 65, "That is too long for a secret code"),
        ("ABCD-1234", "That is not a secret code"),
        ("ABCD-1234-!!!!-5678", "That is not a secret code"),
        ("ABCD-1234-EFGH-5678-9", "That is not a secret code"),
        ("ABCD-1234-EFGH-567U", "That is not a secret code"),
    ],
)
def test_bad_input_gets_a_clear_error_and_changes_nothing(client, last_day, raw, message):
    customer, product, sale, original = last_day
    issue(original)
    add_to_basket(client, product)

    page = enter_code(client, raw)

    assert any(m.startswith(message) for m in messages_of(page)), messages_of(page)
    assert total(page) == D("1000.00")
    assert SecretCode.objects.get().basket is None
    assert outcomes() == [SecretCodeAttempt.INVALID]


def test_an_unknown_code_is_refused(client, last_day):
    customer, product, sale, original = last_day
    add_to_basket(client, product)

    page = enter_code(client, "7KQ2-M9XD-4TRB-H0WZ")

    assert "No secret code matches what you entered. Please check it and try again." in messages_of(page)
    assert outcomes() == [SecretCodeAttempt.NOT_FOUND]


def test_codes_are_read_back_as_customers_type_them(client, last_day):
    customer, product, sale, original = last_day
    issued = issue(original)
    add_to_basket(client, product)
    typed = issued.code.lower().replace("-", " ").replace("0", "o").replace("1", "l")

    page = enter_code(client, f"  {typed}  ")

    assert total(page) == D("800.00")


def test_entering_codes_needs_a_signed_in_customer_and_a_post(client):
    response = client.post(reverse("loyalty:secret-code-apply"), {"code": codes.generate()})
    assert response.status_code == 302 and reverse("customer:login") in response.url
    client.force_login(UserFactory())
    assert client.get(reverse("loyalty:secret-code-apply")).status_code == 405
    assert SecretCodeAttempt.objects.count() == 0


# --- The log --------------------------------------------------------------------------


def test_every_use_and_failure_is_logged_with_who_when_and_where(last_day):
    customer, product, sale, original = last_day
    issued = issue(original)
    tab = Client(REMOTE_ADDR="192.0.2.44")
    tab.force_login(customer)
    add_to_basket(tab, product)
    before = timezone.now()

    enter_code(tab, "nonsense")
    enter_code(tab, issued.code)
    tab.post(reverse("loyalty:secret-code-remove"))

    attempts = list(SecretCodeAttempt.objects.order_by("id"))
    assert [a.outcome for a in attempts] == [
        SecretCodeAttempt.INVALID,
        SecretCodeAttempt.APPLIED,
        SecretCodeAttempt.REMOVED,
    ]
    assert {(a.user, a.user_name, a.ip_address) for a in attempts} == {
        (customer, customer.get_full_name(), "192.0.2.44")
    }
    assert all(a.created_at >= before for a in attempts)
    assert [a.code for a in attempts] == [None, issued.secret_code, issued.secret_code]
    assert SecretCode.objects.get().basket is None
