import os

import pytest
from django.db import connection

# CI sets this: a test that needs a real service must run, never skip.
REQUIRE_SERVICES = os.environ.get("LOYALTY_REQUIRE_SERVICES") == "1"


def _missing_service(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        return "needs PostgreSQL: set DATABASE_URL=postgres://..."
    if item.get_closest_marker("redis") and not os.environ.get("CELERY_BROKER_URL", "").startswith("redis://"):
        return "needs Redis and a Celery worker: set CELERY_BROKER_URL=redis://..."
    return None


def pytest_runtest_setup(item):
    reason = _missing_service(item)
    if reason is None:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"LOYALTY_REQUIRE_SERVICES=1 but this test {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = terminalreporter.stats.get("skipped", [])
    if REQUIRE_SERVICES and skipped:
        terminalreporter.write_line(f"LOYALTY_REQUIRE_SERVICES=1: {len(skipped)} test(s) skipped", red=True)


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if REQUIRE_SERVICES and reporter is not None and reporter.stats.get("skipped"):
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _fresh_cache():
    """A rolled-back test leaves no cached rows behind for the next one."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
