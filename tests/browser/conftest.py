"""A real Chromium driving the shop served on loopback.

The shop runs in pytest-django's ``live_server`` (a real HTTP server in a
thread of the test process, static files included) against the test
database, so the data a test creates is what the browser sees. One browser
is started per session; each test gets a fresh context (its own cookies,
hence its own session and basket) and page.

The browser only ever talks to the live server: any other request (Oscar's
layout asks a CDN for jQuery, then falls back to its own copy) is refused at
once instead of waiting on the closed network.

A failing test leaves a full-page screenshot and the page's HTML in
``test-artifacts/browser/``.
"""

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import CHROMIUM

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage"]
# Milliseconds: Chromium on a busy two-core machine is slow, a broken page still fails quickly enough.
TIMEOUT = 20_000
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session (the distribution's, never a downloaded one).

    Playwright's sync API leaves its event loop marked as running in the
    test's thread between calls, which Django takes for an async context and
    refuses database access in. Nothing async runs in the test's thread, so
    Django's check is switched off for as long as the browser lives.
    """
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT)
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture
def server(live_server):
    """The shop's base URL on loopback (the server's database is the test database)."""
    return live_server.url


@pytest.fixture
def page(server, browser):
    """A page in a fresh browser context, pointed at the shop.

    The server comes first: the test database is set up before the browser starts.
    """
    context = browser.new_context(base_url=server, locale="en", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT)
    context.set_default_navigation_timeout(TIMEOUT)
    shop_origin = urlsplit(server).netloc

    def only_the_shop(route):
        if urlsplit(route.request.url).netloc == shop_origin:
            route.continue_()
        else:
            route.abort("blockedbyclient")

    context.route("**/*", only_the_shop)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def script_errors(page):
    """The uncaught JavaScript errors of the test's page, collected as it goes."""
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed and report.when in ("setup", "call"):
        page = getattr(item, "funcargs", {}).get("page")
        if page is not None and not page.is_closed():
            save_page(page, item.nodeid)
    return report


def save_page(page, nodeid):
    """A full-page screenshot and the HTML of the page a test failed on."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_")
    try:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        (ARTIFACTS / f"{name}.html").write_text(page.content(), encoding="utf-8")
    except Exception as exc:  # the page may have crashed: the test's own failure is what matters
        (ARTIFACTS / f"{name}.txt").write_text(f"Could not save the page: {exc!r}\n", encoding="utf-8")
