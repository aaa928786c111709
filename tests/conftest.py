import importlib.util
import os
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

# CI sets this: a test that needs a real service must run, never skip.
REQUIRE_SERVICES = os.environ.get("LOYALTY_REQUIRE_SERVICES") == "1"
# The browser tests drive the distribution's Chromium; no browser is ever downloaded.
CHROMIUM = "/usr/bin/chromium"


def _missing_service(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        return "needs PostgreSQL: set DATABASE_URL=postgres://..."
    if item.get_closest_marker("redis") and not os.environ.get("CELERY_BROKER_URL", "").startswith("redis://"):
        return "needs Redis and a Celery worker: set CELERY_BROKER_URL=redis://..."
    if item.get_closest_marker("browser"):
        if importlib.util.find_spec("playwright") is None:
            return 'needs Playwright: pip install -e ".[test]"'
        if not os.access(CHROMIUM, os.X_OK):
            return f"needs Chromium at {CHROMIUM}: apt-get install -y chromium"
    return None


def pytest_runtest_setup(item):
    reason = _missing_service(item)
    if reason is None:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"LOYALTY_REQUIRE_SERVICES=1 but this test {reason}", pytrace=False)
    pytest.skip(reason)


def _skip_reason(report):
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return reason.removeprefix("Skipped: ")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    # Each reason once, with how many tests it skipped: a newcomer sees what to start to run them.
    skipped = terminalreporter.stats.get("skipped", [])
    if skipped:
        terminalreporter.section("skipped, by reason")
        for reason, count in Counter(map(_skip_reason, skipped)).most_common():
            terminalreporter.write_line(f"{count:5d} {reason}")
    if REQUIRE_SERVICES and skipped:
        terminalreporter.write_line(f"LOYALTY_REQUIRE_SERVICES=1: {len(skipped)} test(s) skipped", red=True)


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if REQUIRE_SERVICES and reporter is not None and reporter.stats.get("skipped"):
        session.exitstatus = 1


# A transactional or live-server test empties the test database when it ends,
# rows the migrations created (tiers, margin groups, Wagtail's root page and
# locales) included. A database reused by the next run (--reuse-db) would lack
# them, so a run that emptied it leaves this mark, and the next run creates
# the database afresh.
FLUSHED_MARK = Path(__file__).parent / f".{os.environ.get('TEST_DATABASE_NAME', 'test_oscar_loyalty')}.flushed"


@pytest.fixture(scope="session")
def django_db_createdb(request):
    flushed = FLUSHED_MARK.exists()
    FLUSHED_MARK.unlink(missing_ok=True)
    return request.config.getvalue("create_db") or flushed


@pytest.fixture(autouse=True)
def _mark_a_flushed_database(request):
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and (marker.kwargs.get("transaction") or marker.args[:1] == (True,))
    if transactional or {"transactional_db", "live_server"} & set(request.fixturenames):
        FLUSHED_MARK.touch()
    yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """A rolled-back test leaves no cached rows behind for the next one."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
