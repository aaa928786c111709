"""The pages: the buyer's code form, the dealer's cabinet, and staff's batches, codes and dealers."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.codes import exceptions, services
from oscar_loyalty.codes import format as code_format
from tests.codes import customer_request, make_batch, make_dealer, make_program
from tests.dashboard.helpers import user_with
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PointCode = get_model("oscar_loyalty", "PointCode")
PointCodeBatch = get_model("oscar_loyalty", "PointCodeBatch")
PointCodeAttempt = get_model("oscar_loyalty", "PointCodeAttempt")
BatchRequest = get_model("oscar_loyalty", "BatchRequest")
Dealer = get_model("oscar_loyalty", "Dealer")

PRINTED_CODE = re.compile(rb"\(([2-9A-Z]{4}(?:-[2-9A-Z]{4}){3})\)")
REGISTER = reverse("loyalty:point-code-register")
BONUSES = reverse("loyalty:bonuses")
CABINET = reverse("loyalty:dealer-batches")


def texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def manager(client):
    user = user_with("manage_loyalty", first_name="Maria", last_name="Manager", email="maria@example.com")
    client.force_login(user)
    return user


# --- The buyer ---------------------------------------------------------------------


def test_my_bonuses_has_the_code_form(client):
    client.force_login(UserFactory())
    page = client.get(BONUSES).content.decode()
    assert 'id="point_code_form"' in page and REGISTER in page


def test_a_buyer_registers_a_code_and_is_told_the_points(client):
    buyer = UserFactory()
    client.force_login(buyer)
    _batch, codes = make_batch(points=150)

    response = client.post(REGISTER, {"code": codes[0]})

    assert response.status_code == 302 and response["Location"].startswith(BONUSES)
    assert texts(response) == ["Code registered: 150 points credited."]
    assert ledger.get_balance(buyer).available == 150


def test_a_refusal_is_shown_as_it_is(client):
    client.force_login(UserFactory())
    make_batch()

    response = client.post(REGISTER, {"code": "ABCD-EFGH-JKLM-NPQ0"})

    assert texts(response) == ["Codes have no 0, O, 1 or I: please check the code against your voucher."]
    assert PointCodeAttempt.objects.get().outcome == PointCodeAttempt.INVALID


def test_the_form_needs_a_signed_in_customer(client):
    response = client.post(REGISTER, {"code": "ABCD"})
    assert response.status_code == 302 and "login" in response["Location"]
    assert PointCodeAttempt.objects.count() == 0


def test_the_volume_bonus_is_announced(client):
    buyer = UserFactory()
    client.force_login(buyer)
    _batch, codes = make_batch(make_program(bonus_every=2, bonus_points=700), points=10)
    client.post(REGISTER, {"code": codes[0]})

    response = client.post(REGISTER, {"code": codes[1]})

    assert texts(response)[-1:] == ["Code registered: 10 points credited. And 700 extra points for 2 codes!"]


# --- The dealer --------------------------------------------------------------------


def test_the_cabinet_is_only_for_dealers(client):
    client.force_login(UserFactory())
    assert client.get(CABINET).status_code == 404
    assert "Dealer cabinet" not in client.get(BONUSES).content.decode()


def test_a_dealer_sees_their_batches_and_when_codes_were_registered_but_not_by_whom(client):
    login = UserFactory()
    dealer = make_dealer(login)
    batch, codes = make_batch(size=4, dealer=dealer, name="Spring vouchers")
    _other, _codes = make_batch(name="Someone else's", dealer=make_dealer(name="Other dealer"))
    buyer = UserFactory(first_name="Secret", last_name="Buyer")
    services.register(customer_request(buyer), codes[0])
    client.force_login(login)

    assert "Dealer cabinet" in client.get(BONUSES).content.decode()
    listing = client.get(CABINET).content.decode()
    assert "Spring vouchers" in listing and "Someone else" not in listing
    page = client.get(reverse("loyalty:dealer-batch", kwargs={"pk": batch.pk})).content.decode()
    assert "1 (25.0%)" in page
    assert "Secret" not in page and buyer.email not in page
    assert client.get(reverse("loyalty:dealer-batch", kwargs={"pk": _other.pk})).status_code == 404


def test_a_program_may_let_dealers_see_the_buyers(client):
    login = UserFactory()
    program = make_program(show_customers_to_dealers=True)
    batch, codes = make_batch(program, dealer=make_dealer(login))
    services.register(customer_request(UserFactory(first_name="Open", last_name="Buyer")), codes[0])
    client.force_login(login)

    page = client.get(reverse("loyalty:dealer-batch", kwargs={"pk": batch.pk})).content.decode()

    assert "Open Buyer" in page


def test_a_dealer_asks_for_codes(client):
    login = UserFactory()
    dealer = make_dealer(login)
    program = make_program()
    client.force_login(login)

    response = client.post(reverse("loyalty:dealer-request"), {"program": program.pk, "size": 300, "comment": "Spring"})

    assert response.status_code == 302
    request = BatchRequest.objects.get()
    assert (request.dealer, request.size, request.status) == (dealer, 300, BatchRequest.OPEN)


# --- Staff -------------------------------------------------------------------------


def dash(name, **kwargs):
    return reverse(f"loyalty-dashboard:{name}", kwargs=kwargs or None)


def test_staff_without_the_manager_permission_cannot_open_the_pages(client):
    batch, _codes = make_batch()
    client.force_login(user_with("view_loyalty_kpis"))
    for url in (dash("loyalty-code-batch-list"), dash("loyalty-dealer-list"), dash("loyalty-code-attempts")):
        assert client.get(url).status_code in (302, 403)
    assert client.post(dash("loyalty-code-batch-export", pk=batch.pk), {"format": "csv"}).status_code in (302, 403)
    batch.refresh_from_db()
    assert batch.exported_at is None or PointCode.objects.filter(batch=batch).count() == batch.size


def test_staff_create_a_batch_and_export_its_codes_once_as_csv(client, manager):
    program = make_program()
    dealer = make_dealer()
    today = timezone.localdate()

    response = client.post(
        dash("loyalty-code-batch-create"),
        {
            "program": program.pk,
            "name": "Summer",
            "label": "Hakka Green",
            "points": 200,
            "size": 5,
            "valid_from": today.isoformat(),
            "valid_until": (today + timedelta(days=30)).isoformat(),
            "dealer": dealer.pk,
        },
    )
    batch = PointCodeBatch.objects.get()
    assert response["Location"] == dash("loyalty-code-batch-detail", pk=batch.pk)
    assert batch.dealer == dealer and batch.created_by_name.startswith("Maria Manager")

    exported = client.post(dash("loyalty-code-batch-export", pk=batch.pk), {"format": "csv"})

    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["code", "points"] and len(rows) == 6
    assert {row[1] for row in rows[1:]} == {"200"}
    buyer = UserFactory()
    services.register(customer_request(buyer), rows[1][0])
    assert ledger.get_balance(buyer).available == 200

    again = client.post(dash("loyalty-code-batch-export", pk=batch.pk), {"format": "csv"})
    assert again.status_code == 302 and "shown only once" in texts(again)[-1]
    assert PointCode.objects.count() == 5


def test_the_pdf_export_is_a_pdf_with_every_code(client, manager):
    batch, _codes = make_batch(size=30, export=False)

    response = client.post(dash("loyalty-code-batch-export", pk=batch.pk), {"format": "pdf"})

    assert response["Content-Type"] == "application/pdf"
    body = response.content
    assert body.startswith(b"%PDF-1.4") and body.rstrip().endswith(b"%%EOF")
    assert body.count(b"/Type /Page ") == 2  # 24 vouchers a page
    shown = {code_format.normalise(match.decode()) for match in PRINTED_CODE.findall(body)}
    assert len(shown) == 30
    hashes = set(PointCode.objects.values_list("code_hash", flat=True))
    assert {code_format.digest(code) for code in shown} == hashes


def test_staff_find_a_code_and_revoke_or_reverse_it(client, manager):
    batch, codes = make_batch(points=90)
    buyer = UserFactory()
    services.register(customer_request(buyer), codes[0])

    found = client.get(dash("loyalty-code-find"), {"code": codes[0].lower()})
    assert "Reverse: take its points back" in found.content.decode()
    point_code = found.context["point_code"]
    client.post(dash("loyalty-code-reverse", pk=point_code.pk), {"reason": "Sold by mistake"})
    assert ledger.get_balance(buyer).available == 0

    other = client.get(dash("loyalty-code-find"), {"code": codes[1]}).context["point_code"]
    client.post(dash("loyalty-code-revoke", pk=other.pk))
    other.refresh_from_db()
    assert other.revoked_at is not None and other.revoked_by_name.startswith("Maria Manager")

    unknown = client.get(dash("loyalty-code-find"), {"code": code_format.display(code_format.generate())})
    assert "No code matches" in unknown.content.decode()


def test_staff_revoke_a_batch(client, manager):
    batch, codes = make_batch()

    client.post(dash("loyalty-code-batch-revoke", pk=batch.pk))

    with pytest.raises(exceptions.CodeRevoked):
        services.register(customer_request(UserFactory()), codes[0])


def test_staff_see_dealers_registration_rates_and_points_and_download_them(client, manager):
    dealer = make_dealer(name="=Wheels")
    _batch, codes = make_batch(size=4, points=50, dealer=dealer)
    for code in codes[:3]:
        services.register(customer_request(UserFactory()), code)

    page = client.get(dash("loyalty-dealer-list")).content.decode()
    assert "75.0%" in page and "150" in page
    detail = client.get(dash("loyalty-dealer-detail", pk=dealer.pk)).content.decode()
    assert "registered: 3 (75.0%), points issued: 150" in detail

    response = client.get(dash("loyalty-dealer-csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1] == ["'=Wheels", "", "1", "4", "3", "75.0", "150"]


def test_staff_create_a_dealer_with_logins_by_email(client, manager):
    login = UserFactory(email="shop@wheels.example")

    response = client.post(
        dash("loyalty-dealer-create"), {"name": "Wheels", "logins": "SHOP@wheels.example\n", "is_active": "on"}
    )

    dealer = Dealer.objects.get()
    assert response.status_code == 302 and list(dealer.users.all()) == [login]
    bad = client.post(dash("loyalty-dealer-create"), {"name": "X", "logins": "nobody@example.com", "is_active": "on"})
    assert "No account has the e-mail nobody@example.com" in bad.content.decode()


def test_staff_answer_a_request_with_a_batch(client, manager):
    dealer = make_dealer()
    program = make_program()
    request = services.request_batch(dealer, program, size=10)
    today = timezone.localdate()

    form = client.get(dash("loyalty-code-batch-create"), {"request": request.pk})
    assert form.context["form"].initial["size"] == 10
    client.post(
        dash("loyalty-code-batch-create"),
        {
            "request": request.pk,
            "program": program.pk,
            "name": "For the request",
            "points": 10,
            "size": 10,
            "valid_from": today.isoformat(),
            "valid_until": (today + timedelta(days=5)).isoformat(),
        },
    )

    request.refresh_from_db()
    assert request.status == BatchRequest.FULFILLED and request.batch.dealer == dealer


def test_the_pages_render(client, manager):
    batch, codes = make_batch(dealer=make_dealer())
    services.register(customer_request(UserFactory()), codes[0])
    for url in (
        dash("loyalty-code-batch-list"),
        dash("loyalty-code-batch-detail", pk=batch.pk),
        dash("loyalty-code-program-list"),
        dash("loyalty-code-program-create"),
        dash("loyalty-code-program-update", pk=batch.program.pk),
        dash("loyalty-code-attempts"),
        dash("loyalty-dealer-list"),
        dash("loyalty-dealer-create"),
        dash("loyalty-dealer-update", pk=batch.dealer.pk),
        dash("loyalty-code-batch-create"),
    ):
        assert client.get(url).status_code == 200, url
