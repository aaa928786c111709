import importlib

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Permission
from oscar.core.loading import get_model
from pytest_django.plugin import blocking_manager_key

from erp_sync.client import ExchangeClient
from tests.factories import UserFactory

ExchangeSession = get_model("erp_sync", "ExchangeSession")

EXCHANGE_PASSWORD = "exchange-secret"


@pytest.fixture(autouse=True)
def _exchange_dir(settings, tmp_path):
    settings.ERP_SYNC_EXCHANGE_DIR = str(tmp_path / "exchange")


def restore_default_tiers():
    """Transactional tests flush the tables a data migration filled: put the default tiers back."""
    migration = importlib.import_module("oscar_loyalty.migrations.0004_default_tiers_and_margin_groups")
    migration.forwards(django_apps, None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test ends by emptying every table: put back the tiers later tests rely on."""
    yield
    marker = item.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    with item.config.stash[blocking_manager_key].unblock():
        restore_default_tiers()


def grant_exchange(user):
    user.user_permissions.add(Permission.objects.get(codename="exchange_orders", content_type__app_label="erp_sync"))
    return user


@pytest.fixture
def exchange_user(transactional_db):
    restore_default_tiers()
    user = UserFactory(username="1c-exchange", password=EXCHANGE_PASSWORD)
    return grant_exchange(user)


@pytest.fixture
def exchange_url(live_server):
    return f"{live_server.url}/erp/exchange/"


@pytest.fixture
def make_client(exchange_url, exchange_user):
    def make(user=None, password=EXCHANGE_PASSWORD, **kwargs):
        return ExchangeClient(exchange_url, (user or exchange_user).username, password, **kwargs)

    return make


@pytest.fixture
def new_session(make_client):
    """Starts a new exchange session: a 1C-like client over real HTTP, logged in and initialised."""

    def start():
        client = make_client()
        client.checkauth()
        client.init()
        return client

    return start


@pytest.fixture
def one_c(new_session):
    """A logged-in, initialised 1C-like client over real HTTP."""
    return new_session()
