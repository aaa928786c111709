import re

import pytest
from lxml import html as lxml_html
from wagtail.models import Locale, Page, Site

from wagtail_pages.models import ProgramLandingPage, ProgramRulesPage


def block(kind, heading="", intro="", **values):
    """One StreamField block as an editor would have saved it."""
    if kind == "text":
        return {"type": "text", "value": values["html"]}
    return {"type": kind, "value": {"heading": heading, "intro": intro, **values}}


@pytest.fixture
def home():
    """The default site's home page, which Wagtail's migrations create."""
    return Site.objects.get(is_default_site=True).root_page.specific


@pytest.fixture
def make_page(home):
    """An editor's published page under ``parent`` (the home page by default)."""

    def make(body, *, model=ProgramRulesPage, title="Program rules", slug="rules", parent=None, intro=""):
        page = model(title=title, slug=slug, intro=intro, body=body)
        (parent or home).add_child(instance=page)
        page.save_revision().publish()
        page.refresh_from_db()
        return page

    return make


@pytest.fixture
def landing(make_page):
    return make_page(
        [block("text", html="<p>Every purchase comes back as bonuses.</p>")],
        model=ProgramLandingPage,
        title="Bonus program",
        slug="loyalty",
    )


def tree(response):
    """The page's HTML as an lxml tree whose elements answer ``css(element, selector)``."""
    assert response.status_code == 200, response.status_code
    return lxml_html.fromstring(response.content.decode())


COMPOUND = re.compile(r"([\w*-]*)((?:[.#][\w-]+|\[[\w-]+(?:=[^\]]+)?\])*)")
PART = re.compile(r"([.#])([\w-]+)|\[([\w-]+)(?:=([^\]]+))?\]")


def css(element, selector):
    """The elements under ``element`` a simple CSS selector matches (tags, classes, ids, attributes,
    descendants, commas): enough for these tests without another dependency."""
    paths = []
    for alternative in selector.split(","):
        steps = []
        for compound in alternative.split():
            tag, parts = COMPOUND.fullmatch(compound).groups()
            conditions = []
            for kind, name, attribute, value in PART.findall(parts):
                if kind == ".":
                    conditions.append(f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')")
                elif kind == "#":
                    conditions.append(f"@id='{name}'")
                elif value:
                    conditions.append(f"@{attribute}='{value.strip(chr(34) + chr(39))}'")
                else:
                    conditions.append(f"@{attribute}")
            steps.append((tag or "*") + "".join(f"[{condition}]" for condition in conditions))
        paths.append(".//" + "//".join(steps))
    return element.xpath(" | ".join(paths))


def text_of(element):
    return " ".join(element.text_content().split())


def russian_locale():
    return Locale.objects.get_or_create(language_code="ru")[0]


def live_pages(model):
    return Page.objects.type(model).live().count()
