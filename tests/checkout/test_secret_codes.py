"""Secret codes: an ended promotion kept for one customer's corrected order."""

import re
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone
from oscar.core.loading import get_class, get_model

from oscar_loyalty.checkout.promotions import codes, services, throttle
from tests.checkout.flow import customer_with_points, place_order, product_priced, reach_payment_details
from tests.checkout.promotions import (
    add_to_basket,
    end,
    enter_code,
    issue_from_order_page,
    messages_of,
    promo_code,
    promotion,
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
Applicator = get_class("offer.applicator", "Applicator")


def outcomes():
    return list(SecretCodeAttempt.objects.order_by("id").values_list("outcome", flat=True))


def basket_page(client):
    return client.get(reverse("basket:summary"))


@pytest.fixture
def last_day(client):
    """An order placed on the sale's last day, the sale over and the order cancelled the next morning."""
    customer = customer_with_points(0)
    product = product_priced("1000.00")
    sale = promotion(product, percent=20)
    sale.max_user_applications = 1  # once per customer: the original order used it
    sale.save()
    reach_payment_details(client, customer, product)
    place_order(client)
    original = Order.objects.get()
    assert original.total_incl_tax == D("800.00")
    end(sale)
    original.set_status("Cancelled")
    return customer, product, sale, original


def issue(original, **kwargs):
    return services.issue(original, issued_by=staff_member(), **kwargs)


def checkout_with(client, product, code):
    add_to_basket(client, product)
    page = enter_code(client, code)
    to_payment_details(client)
    return page, place_order(client)


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


# --- Issuing -----------------------------------------------------------------------------


def test_codes_are_unguessable_and_only_their_hash_is_kept():
    generated = {codes.generate() for _ in range(200)}
    assert len(generated) == 200
    for code in generated:
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", code)
    assert len(codes.ALPHABET) ** codes.LENGTH >= 2**80
    code = codes.normalise(next(iter(generated)))
    assert codes.digest(code) != code and len(codes.digest(code)) == 64


def test_a_code_keeps_only_promotions_that_applied_to_the_order(last_day):
    customer, product, sale, original = last_day
    unrelated = promotion(product_priced("10.00"), name="Another sale")

    with pytest.raises(services.CannotIssue, match="did not apply to order"):
        issue(original, offers=[unrelated])
    with pytest.raises(services.CannotIssue, match="1 to 90 days"):
        issue(original, days=91)
    with pytest.raises(services.CannotIssue, match="1 to 90 days"):
        issue(original, days=0)
    assert SecretCode.objects.count() == 0


def test_an_order_has_one_usable_code_at_a_time(last_day):
    customer, product, sale, original = last_day
    first = issue(original)

    with pytest.raises(services.CannotIssue, match="already has a secret code ending in"):
        issue(original)

    services.revoke(first.secret_code)
    assert issue(original).secret_code.pk != first.secret_code.pk


def test_a_code_is_issued_only_for_a_cancelled_order(client):
    customer = customer_with_points(0)
    product = product_priced("1000.00")
    sale = promotion(product, percent=20)
    reach_payment_details(client, customer, product)
    place_order(client)
    original = Order.objects.get()
    end(sale)

    with pytest.raises(services.CannotIssue, match=f"Order {original.number} is not cancelled"):
        issue(original)

    # The staff page says why, and shows no code.
    staff = Client()
    staff.force_login(staff_member())
    response, code = issue_from_order_page(staff, original)
    assert code is None
    assert f"Order {original.number} is not cancelled" in response.content.decode()
    assert SecretCode.objects.count() == 0

    original.set_status("Cancelled")
    assert issue(original).secret_code.original_order == original


def test_a_second_code_while_one_is_live_is_refused_on_the_staff_page(last_day):
    customer, product, sale, original = last_day
    first = issue(original)
    staff = Client()
    staff.force_login(staff_member())

    response, code = issue_from_order_page(staff, original)

    assert code is None
    assert f"already has a secret code ending in {first.secret_code.code_hint}" in response.content.decode()
    assert SecretCode.objects.get() == first.secret_code


def test_an_order_replaced_through_a_code_gets_no_second_code(client, last_day):
    customer, product, sale, original = last_day
    checkout_with(client, product, issue(original).code)
    replacement = SecretCode.objects.get().replacement_order
    assert replacement is not None

    with pytest.raises(services.CannotIssue, match=f"already replaced by order {replacement.number}"):
        issue(original)
    assert SecretCode.objects.count() == 1


def test_no_code_for_an_order_without_a_promotion_or_without_a_customer(client):
    customer = customer_with_points(0)
    product = product_priced("1000.00")
    reach_payment_details(client, customer, product)
    place_order(client)
    plain = Order.objects.get()

    with pytest.raises(services.CannotIssue, match="No promotion applied to order"):
        issue(plain)
    Order.objects.filter(pk=plain.pk).update(user=None)
    plain.refresh_from_db()
    with pytest.raises(services.CannotIssue, match="placed by a guest"):
        issue(plain)


def test_only_staff_with_the_permission_issue_codes(client, last_day):
    customer, product, sale, original = last_day
    url = reverse("loyalty:secret-code-issue", kwargs={"number": original.number})
    assert client.get(url).status_code == 403  # the customer
    staff = Client()
    staff.force_login(staff_member(permission=False))
    assert staff.get(url).status_code == 403
    assert staff.post(url, {"days": 7}).status_code == 403
    anonymous = Client()
    assert anonymous.get(url).status_code == 302
    assert SecretCode.objects.count() == 0


def test_without_the_permission_the_issue_page_does_not_tell_which_orders_exist(client, last_day):
    customer, product, sale, original = last_day
    existing = reverse("loyalty:secret-code-issue", kwargs={"number": original.number})
    missing = reverse("loyalty:secret-code-issue", kwargs={"number": "999999"})
    staff = Client()
    staff.force_login(staff_member(permission=False))

    for visitor in (client, staff, Client()):
        for method in (visitor.get, visitor.post):
            to_existing, to_missing = method(existing), method(missing)
            assert to_existing.status_code == to_missing.status_code, (visitor, method)
            assert to_existing.status_code in (302, 403)
            assert to_existing.get("Location", "").replace(original.number, "999999") == to_missing.get("Location", "")
    assert SecretCode.objects.count() == 0


def test_the_staff_page_refuses_bad_input_with_the_reason(last_day):
    customer, product, sale, original = last_day
    staff = Client()
    staff.force_login(staff_member())
    url = reverse("loyalty:secret-code-issue", kwargs={"number": original.number})

    response = staff.post(url, {"offers": [sale.pk], "days": 500})

    assert response.status_code == 200
    assert "days" in response.context["form"].errors
    assert SecretCode.objects.count() == 0
    assert staff.get(reverse("loyalty:secret-code-issue", kwargs={"number": "nope"})).status_code == 404


def test_the_admin_issues_a_code_shows_it_once_and_revokes(admin_client, last_day):
    customer, product, sale, original = last_day
    response = admin_client.post(
        reverse("admin:oscar_loyalty_secretcode_add"),
        {"original_order": original.pk, "days": 3, "reason": "Changed order"},
    )

    code = re.search(r'<code id="loyalty-secret-code">([0-9A-Z-]+)</code>', response.content.decode()).group(1)
    secret = SecretCode.objects.get()
    assert secret.code_hash == codes.digest(codes.normalise(code))
    assert list(secret.offers.all()) == [sale]
    assert "no-store" in response["Cache-Control"]
    changelist = admin_client.get(reverse("admin:oscar_loyalty_secretcode_changelist"))
    assert code not in changelist.content.decode()

    admin_client.post(
        reverse("admin:oscar_loyalty_secretcode_changelist"),
        {"action": "revoke_codes", "_selected_action": [secret.pk]},
    )

    secret.refresh_from_db()
    assert secret.state() == SecretCode.REVOKED
    assert admin_client.get(reverse("admin:oscar_loyalty_secretcodeattempt_changelist")).status_code == 200


def test_the_admin_says_why_it_issues_no_code_for_an_order_still_standing(admin_client, last_day):
    customer, product, sale, original = last_day
    Order.objects.filter(pk=original.pk).update(status="Complete")  # as if it had never been cancelled

    response = admin_client.post(
        reverse("admin:oscar_loyalty_secretcode_add"),
        {"original_order": original.pk, "days": 3, "reason": "Changed order"},
        follow=True,
    )

    assert f"Order {original.number} is not cancelled" in response.content.decode()
    assert SecretCode.objects.count() == 0


def test_a_basket_without_a_code_costs_no_extra_query_for_visitors(client, django_assert_max_num_queries):
    product = product_priced("1000.00")
    add_to_basket(client, product)
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    basket = Basket.objects.get()

    with django_assert_max_num_queries(0):
        assert services.reinstated_offers(basket, request.user) == []


def test_a_signed_in_customers_basket_without_a_code_costs_one_query(client, django_assert_num_queries):
    customer = UserFactory()
    client.force_login(customer)
    add_to_basket(client, product_priced("1000.00"))
    basket = Basket.objects.get()

    with django_assert_num_queries(1):
        assert services.reinstated_offers(basket, customer) == []
        assert services.reinstated_offers(basket, customer) == []  # read once per basket object


# --- Single use under concurrency (PostgreSQL) ----------------------------------------


def _checkout_ready_with_code(client):
    customer = customer_with_points(0)
    product = product_priced("1000.00")
    sale = promotion(product, percent=20)
    reach_payment_details(client, customer, product)
    place_order(client)
    original = Order.objects.get()
    end(sale)
    original.set_status("Cancelled")
    issued = issue(original)
    add_to_basket(client, product)
    assert total(enter_code(client, issued.code)) == D("800.00")
    return customer, original, issued


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_placements_racing_for_one_code_use_it_once(client):
    import time

    from django.db import transaction
    from oscar.apps.partner.strategy import Default

    from tests.test_concurrency import run_in_threads

    customer, original, issued = _checkout_ready_with_code(client)
    basket = Basket.objects.get(pk=SecretCode.objects.get().basket_id)
    basket.strategy = Default()
    Applicator().apply(basket, customer)
    assert services.codes_applied(basket)

    def place(i):
        request = RequestFactory().post("/", REMOTE_ADDR=f"192.0.2.{i + 1}")
        request.user = customer
        request.session = {}
        with transaction.atomic():
            claimed = services.claim_for_order(request, basket)
            time.sleep(0.2)  # hold the claim while the other request tries
        return [code.pk for code in claimed]

    results = run_in_threads(2, place)

    won = [r for r in results if isinstance(r, list)]
    lost = [r for r in results if isinstance(r, services.CodeNotUsable)]
    assert len(won) == 1 and len(lost) == 1, results
    assert SecretCode.objects.get().used_at is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_place_order_in_two_tabs_with_one_code_places_one_order(client):

    from tests.test_concurrency import run_in_threads

    customer, original, issued = _checkout_ready_with_code(client)
    to_payment_details(client)

    def click(_i):
        tab = Client()
        for name, morsel in client.cookies.items():
            tab.cookies[name] = morsel.value
        return tab.post(reverse("checkout:preview"), {"action": "place_order"}).status_code

    statuses = run_in_threads(4, click)

    assert statuses == [302] * 4
    replacement = Order.objects.exclude(pk=original.pk).get()
    assert replacement.total_incl_tax == D("800.00")
    secret = SecretCode.objects.get()
    assert secret.replacement_order == replacement
    assert SecretCodeAttempt.objects.filter(outcome=SecretCodeAttempt.USED).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_staff_issuing_for_one_order_at_once_make_one_code(client):
    from tests.test_concurrency import run_in_threads

    customer = customer_with_points(0)
    product = product_priced("1000.00")
    sale = promotion(product, percent=20)
    reach_payment_details(client, customer, product)
    place_order(client)
    original = Order.objects.get()
    end(sale)
    original.set_status("Cancelled")
    staff = [staff_member(), staff_member()]

    results = run_in_threads(2, lambda i: services.issue(Order.objects.get(pk=original.pk), issued_by=staff[i]))

    issued = [r for r in results if isinstance(r, services.IssuedCode)]
    refused = [r for r in results if isinstance(r, services.CannotIssue)]
    assert len(issued) == 1 and len(refused) == 1, results
    assert "already has a secret code ending in" in str(refused[0])
    assert SecretCode.objects.count() == 1
