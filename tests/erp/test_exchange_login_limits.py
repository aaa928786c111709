"""Logging in to the exchange: failed attempts are limited per address and per user name, and a
header nobody can read gets a clean refusal."""

import base64
import logging
import urllib.request

import pytest
from django.test import Client
from oscar.core.loading import get_model

from tests.erp.conftest import EXCHANGE_PASSWORD, grant_exchange
from tests.factories import UserFactory

ExchangeSession = get_model("erp_sync", "ExchangeSession")
ExchangeEvent = get_model("erp_sync", "ExchangeEvent")

URL = "/erp/exchange/"


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def checkauth(address, user, password):
    return Client().get(
        URL, {"type": "sale", "mode": "checkauth"}, HTTP_AUTHORIZATION=basic(user, password), REMOTE_ADDR=address
    )


def first_line(response):
    return response.content.split(b"\n")[0]


@pytest.fixture
def limits(settings):
    settings.ERP_SYNC_EXCHANGE_LOGIN_FAILURES_PER_ADDRESS = 3
    settings.ERP_SYNC_EXCHANGE_LOGIN_FAILURES_PER_USER = 5
    settings.ERP_SYNC_EXCHANGE_LOGIN_WINDOW_MINUTES = 15
    return settings


@pytest.fixture
def one_c_user(db):
    return grant_exchange(UserFactory(username="1c-exchange", password=EXCHANGE_PASSWORD))


@pytest.mark.django_db(transaction=True)
def test_an_address_that_failed_too_often_is_refused_even_with_the_right_password(exchange_url, exchange_user, limits):
    def call(password):
        request = urllib.request.Request(
            f"{exchange_url}?type=sale&mode=checkauth",
            headers={"Authorization": basic(exchange_user.username, password)},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            return error.code, error.read(), error.headers

    for _attempt in range(3):
        status, body, _headers = call("wrong")
        assert (status, body.split(b"\n")[0]) == (200, b"failure")

    status, body, headers = call(EXCHANGE_PASSWORD)

    assert status == 429
    assert body.split(b"\n")[0] == b"failure"
    assert b"Too many failed" in body
    assert int(headers["Retry-After"]) > 0
    assert not ExchangeSession.objects.exists()


def test_a_user_name_is_limited_whatever_the_address(one_c_user, limits):
    for n in range(5):
        assert first_line(checkauth(f"10.0.0.{n}", "1c-exchange", "wrong")) == b"failure"

    refused = checkauth("10.0.1.1", "1c-exchange", EXCHANGE_PASSWORD)

    assert refused.status_code == 429
    assert first_line(refused) == b"failure"
    assert not ExchangeSession.objects.exists()
    # Another user name from a fresh address is not affected.
    other = grant_exchange(UserFactory(username="1c-other", password=EXCHANGE_PASSWORD))
    assert first_line(checkauth("10.0.1.2", other.username, EXCHANGE_PASSWORD)) == b"success"


def test_one_address_logging_in_does_not_reset_another_addresses_count(one_c_user, limits):
    attacker, office = "203.0.113.9", "198.51.100.7"
    checkauth(attacker, "1c-exchange", "guess-1")
    checkauth(attacker, "1c-exchange", "guess-2")
    assert first_line(checkauth(office, "1c-exchange", EXCHANGE_PASSWORD)) == b"success"
    checkauth(attacker, "1c-exchange", "guess-3")

    assert checkauth(attacker, "1c-exchange", EXCHANGE_PASSWORD).status_code == 429
    assert first_line(checkauth(office, "1c-exchange", EXCHANGE_PASSWORD)) == b"success"


def test_a_successful_login_does_not_count_as_a_failure(one_c_user, limits):
    for _n in range(10):
        assert first_line(checkauth("192.0.2.1", "1c-exchange", EXCHANGE_PASSWORD)) == b"success"


def test_failed_passwords_sent_with_a_session_cookie_count_too(one_c_user, limits):
    client = Client(REMOTE_ADDR="192.0.2.5")
    reply = client.get(
        URL, {"type": "sale", "mode": "checkauth"}, HTTP_AUTHORIZATION=basic("1c-exchange", EXCHANGE_PASSWORD)
    )
    client.cookies["erp_exchange"] = reply.content.decode().split("\n")[2]
    for _n in range(3):
        wrong = client.get(URL, {"type": "sale", "mode": "init"}, HTTP_AUTHORIZATION=basic("1c-exchange", "wrong"))
        assert first_line(wrong) == b"failure"

    right = client.get(
        URL, {"type": "sale", "mode": "init"}, HTTP_AUTHORIZATION=basic("1c-exchange", EXCHANGE_PASSWORD)
    )
    assert right.status_code == 429


@pytest.mark.parametrize("raw", [b"\x98\x98:secret", b"\xff\xfe\x98:\x98"])
def test_credentials_in_no_known_encoding_get_a_clean_failure(one_c_user, caplog, raw):
    header = "Basic " + base64.b64encode(raw).decode("ascii")

    with caplog.at_level(logging.ERROR):
        reply = Client().get(URL, {"type": "sale", "mode": "checkauth"}, HTTP_AUTHORIZATION=header)

    assert first_line(reply) == b"failure"
    assert b"UTF-8" in reply.content
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert "Internal error" not in ExchangeEvent.objects.get().message


def test_a_flood_of_refused_logins_writes_one_row_in_the_log(one_c_user, limits):
    for _n in range(3):
        checkauth("192.0.2.9", "1c-exchange", "wrong")
    for _n in range(20):
        assert checkauth("192.0.2.9", "1c-exchange", "wrong").status_code == 429

    assert ExchangeEvent.objects.filter(message__startswith="Too many failed").count() == 1
