"""Secret codes: staff issuing them, and one code used once under concurrency."""

import re
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory
from django.urls import reverse
from oscar.core.loading import get_class, get_model

from oscar_loyalty.checkout.promotions import codes, services
from tests.checkout.flow import customer_with_points, place_order, product_priced, reach_payment_details, second_tab
from tests.checkout.promotions import (
    add_to_basket,
    checkout_with,
    end,
    enter_code,
    issue,
    issue_from_order_page,
    order_of_an_ended_sale,
    promotion,
    staff_member,
    to_payment_details,
    total,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Order = get_model("order", "Order")
Basket = get_model("basket", "Basket")
SecretCode = get_model("oscar_loyalty", "SecretCode")
SecretCodeAttempt = get_model("oscar_loyalty", "SecretCodeAttempt")
Applicator = get_class("offer.applicator", "Applicator")


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
    _sale, original = order_of_an_ended_sale(client, customer, product)
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
        return second_tab(client).post(reverse("checkout:preview"), {"action": "place_order"}).status_code

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

    _sale, original = order_of_an_ended_sale(client, customer_with_points(0), product_priced("1000.00"))
    staff = [staff_member(), staff_member()]

    results = run_in_threads(2, lambda i: services.issue(Order.objects.get(pk=original.pk), issued_by=staff[i]))

    issued = [r for r in results if isinstance(r, services.IssuedCode)]
    refused = [r for r in results if isinstance(r, services.CannotIssue)]
    assert len(issued) == 1 and len(refused) == 1, results
    assert "already has a secret code ending in" in str(refused[0])
    assert SecretCode.objects.count() == 1
