"""The demo's program pages: created once, in English and Russian, each served in its language."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation
from wagtail.models import Locale, Page

from tests.factories import UserFactory
from tests.pages.conftest import css, text_of, tree
from wagtail_pages.models import ProgramLandingPage, ProgramRulesPage, ProgramTexts

pytestmark = pytest.mark.django_db


def run_command():
    out = StringIO()
    call_command("loyalty_demo_pages", stdout=out)
    return out.getvalue()


def in_russian(client):
    client.cookies["django_language"] = "ru"
    return client


@pytest.fixture
def demo():
    run_command()


def test_the_demo_creates_both_pages_in_both_languages(demo):
    en, ru = Locale.objects.get(language_code="en"), Locale.objects.get(language_code="ru")

    for model in (ProgramLandingPage, ProgramRulesPage):
        pages = model.objects.live()
        assert sorted(page.locale.language_code for page in pages) == ["en", "ru"]
        english = pages.get(locale=en)
        assert english.get_translation(ru).live
    assert ProgramLandingPage.objects.get(locale=en).title == "Bonus program"
    assert ProgramLandingPage.objects.get(locale=ru).title == "Бонусная программа"
    assert ProgramRulesPage.objects.get(locale=ru).title == "Правила программы"
    assert {texts.locale.language_code: texts.point_name_many for texts in ProgramTexts.objects.all()} == {
        "en": "bonuses",
        "ru": "бонусов",
    }


def test_running_the_demo_again_adds_nothing(demo):
    pages, revisions, texts = (
        Page.objects.count(),
        Page.objects.get(slug="rules", locale__language_code="en").revisions.count(),
        ProgramTexts.objects.count(),
    )

    output = run_command()

    assert Page.objects.count() == pages
    assert ProgramTexts.objects.count() == texts
    assert Page.objects.get(slug="rules", locale__language_code="en").revisions.count() == revisions
    assert "(0 new objects)" in output


def test_an_editors_changes_survive_a_second_run(demo):
    rules = ProgramRulesPage.objects.get(locale__language_code="ru")
    rules.title = "Правила бонусной программы"
    rules.save_revision().publish()

    run_command()

    assert ProgramRulesPage.objects.get(pk=rules.pk).title == "Правила бонусной программы"


def test_the_english_pages(client, demo):
    landing = tree(client.get("/loyalty/"))
    rules = tree(client.get("/loyalty/rules/"))

    assert text_of(css(landing, ".page-header h1")[0]) == "Bonus program"
    assert [text_of(h) for h in css(landing, ".loyalty-steps h3")][0] == "Sign up"
    assert css(landing, "table.loyalty-tier-table")
    assert css(landing, "[data-loyalty-calculator] form")
    # The landing page links to the rules.
    assert landing.xpath("//a[@href='/loyalty/rules/']")
    assert text_of(css(rules, ".page-header h1")[0]) == "Program rules"
    assert text_of(css(rules, "table.loyalty-tier-table th")[0]) == "Tier"


def test_a_visitor_reading_russian_gets_the_russian_pages(client, demo):
    landing = tree(in_russian(client).get("/loyalty/"))
    rules_response = client.get("/loyalty/rules/")
    rules = tree(rules_response)

    assert rules_response["Content-Language"] == "ru"
    assert text_of(css(landing, ".page-header h1")[0]) == "Бонусная программа"
    assert landing.xpath("//a[@href='/loyalty/rules/']")
    assert text_of(css(rules, ".page-header h1")[0]) == "Правила программы"
    # The blocks' own strings come from the translation catalogs.
    assert [text_of(th) for th in css(rules, "table.loyalty-tier-table thead th")] == [
        "Статус карты",
        "Покупки от",
        "Кешбэк бонусами",
        "Оплата бонусами до",
    ]
    assert text_of(css(rules, "[data-loyalty-calculator] button")[0]) == "Рассчитать"
    assert text_of(css(rules, ".loyalty-cta a.btn")[0]) == "Вступить в программу"
    # The shop's own chrome is in Russian too.
    assert text_of(css(rules, ".breadcrumb a")[0]) == "Начало"


def test_the_russian_calculator_declines_the_point_name(client, demo):
    rules = ProgramRulesPage.objects.get(locale__language_code="ru")
    in_russian(client)

    def shown(amount):
        page = tree(client.get("/loyalty/rules/", {"amount": amount, "tier": "gold", "group": "standard"}))
        return text_of(css(page, ".loyalty-calculator-points")[0])

    assert shown("420") == "21 бонус"
    assert shown("440") == "22 бонуса"
    assert shown("6100") == "305 бонусов"
    with translation.override("ru"):
        answer = client.get(rules.calculator_url(), {"amount": "abc", "tier": "gold", "group": "standard"})
    assert answer.status_code == 400
    assert "Введите сумму покупки числом" in answer.json()["errors"]["amount"][0]


def test_a_signed_in_customer_reading_russian_is_sent_to_my_bonuses(client, demo):
    client.force_login(UserFactory())
    page = tree(in_russian(client).get("/loyalty/"))

    assert text_of(css(page, ".loyalty-cta a.btn")[0]) == "Мои бонусы"


def test_an_editor_previews_the_russian_page_in_russian(demo, rf):
    rules = ProgramRulesPage.objects.get(locale__language_code="ru")
    editor = UserFactory(is_staff=True, is_superuser=True)
    request = rf.get("/cms/")
    request.user = editor

    with translation.override("en"):
        response = rules.make_preview_request(original_request=request)

    page = tree(response)
    assert text_of(css(page, ".page-header h1")[0]) == "Правила программы"
    assert text_of(css(page, "[data-loyalty-calculator] button")[0]) == "Рассчитать"


def test_an_untranslated_site_is_shown_in_its_own_language(client, make_page):
    # No Russian tree at all: Wagtail serves the English pages to a Russian reader, in English throughout.
    make_page([{"type": "calculator", "value": {"heading": "Calculator", "intro": ""}}])

    response = in_russian(client).get("/rules/")

    assert response["Content-Language"] == "en"
    assert text_of(css(tree(response), "[data-loyalty-calculator] button")[0]) == "Calculate"


def test_a_page_without_a_live_translation_is_not_found_in_the_other_language(client, demo):
    # Wagtail routes a Russian reader through the Russian tree only: every page needs its translation.
    ProgramRulesPage.objects.get(locale__language_code="ru").unpublish()

    assert in_russian(client).get("/loyalty/rules/").status_code == 404
    assert in_russian(client).get("/loyalty/").status_code == 200
