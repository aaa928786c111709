"""Manufacturer programs in a real Chromium: a buyer registers a voucher code, a dealer reads their batch."""

import pytest
from django.urls import reverse

from oscar_loyalty import ledger
from oscar_loyalty.codes import services
from tests.browser import shopper
from tests.browser.shopper import expect
from tests.codes import customer_request, make_batch, make_dealer, make_program
from tests.factories import UserFactory

pytestmark = pytest.mark.browser


def test_a_buyer_registers_a_voucher_code_on_my_bonuses(page):
    buyer = UserFactory(first_name="Ivan", last_name="Buyer")
    _batch, codes = make_batch(make_program(bonus_every=2, bonus_points=500), points=150)
    shopper.sign_in(page, buyer)
    page.goto(reverse("loyalty:bonuses"))
    form = page.locator("#point_code_form")

    # A typo first: one character off, told apart from a wrong code by the check character.
    typo = codes[0][:-1] + ("2" if codes[0][-1] != "2" else "3")
    form.locator("#id_point_code").fill(typo)
    form.locator("button[type=submit]").click()
    expect(page.locator("#messages")).to_contain_text("One of the characters is mistyped")
    expect(page.locator("#loyalty-available")).to_have_text("0")

    # The code as printed, typed in lower case without dashes.
    form.locator("#id_point_code").fill(codes[0].replace("-", "").lower())
    form.locator("button[type=submit]").click()
    expect(page.locator("#messages")).to_contain_text("Code registered: 150 points credited.")
    expect(page.locator("#loyalty-available")).to_have_text("150")
    expect(page.locator("#loyalty-history")).to_contain_text(codes[0][-4:])

    # The second code reaches the volume bonus.
    form.locator("#id_point_code").fill(codes[1])
    form.locator("button[type=submit]").click()
    expect(page.locator("#messages")).to_contain_text("And 500 extra points for 2 codes!")
    expect(page.locator("#loyalty-available")).to_have_text("800")

    # The same code again.
    form.locator("#id_point_code").fill(codes[1])
    form.locator("button[type=submit]").click()
    expect(page.locator("#messages")).to_contain_text("You registered this code on")
    assert ledger.get_balance(buyer).available == 800


def test_a_dealer_reads_their_batch_report(page):
    login = UserFactory(first_name="Dmitry", last_name="Dealer")
    dealer = make_dealer(login, name="Wheels & Co")
    batch, codes = make_batch(size=4, dealer=dealer, name="Spring vouchers", label="Hakka R5")
    for code in codes[:3]:
        services.register(customer_request(UserFactory(first_name="Private", last_name="Person")), code)
    shopper.sign_in(page, login)

    page.goto(reverse("loyalty:bonuses"))
    page.get_by_role("link", name="Dealer cabinet").click()
    table = page.locator("#dealer_batch_table")
    expect(table).to_contain_text("Spring vouchers")
    expect(table).to_contain_text("75.0%")

    table.get_by_role("link", name="Spring vouchers").click()
    expect(page.locator("#dealer-batch-name")).to_have_text("Spring vouchers")
    expect(page.locator("#dealer-batch-codes")).to_have_text("4")
    expect(page.locator("#dealer-batch-registered")).to_have_text("3 (75.0%)")
    expect(page.locator("#dealer_batch_by_day")).to_contain_text("3")
    expect(page.locator("#dealer_batch_registrations tbody tr")).to_have_count(3)
    expect(page.locator("body")).not_to_contain_text("Private")
