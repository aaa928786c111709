"""A flood of requests from outside any exchange session writes a bounded number of log rows."""

import pytest
from django.test import Client
from oscar.core.loading import get_model

from erp_sync.exchange import event_log

pytestmark = pytest.mark.django_db

ExchangeEvent = get_model("erp_sync", "ExchangeEvent")

URL = "/erp/exchange/"


def knock(address, **query):
    reply = Client().get(URL, {"type": "sale", "mode": "checkauth", **query}, REMOTE_ADDR=address)
    assert reply.content.split(b"\n")[0] == b"failure"
    return reply


def test_a_flood_without_credentials_writes_one_row_per_address():
    for _request in range(50):
        knock("203.0.113.5")
    knock("198.51.100.7")

    rows = list(ExchangeEvent.objects.values_list("remote_addr", "result", "session"))
    assert sorted(rows) == [("198.51.100.7", "failure", None), ("203.0.113.5", "failure", None)]


def test_each_kind_of_refusal_is_written_once():
    for _request in range(5):
        knock("203.0.113.5")
        knock("203.0.113.5", mode="init")  # a made-up session: none
        knock("203.0.113.5", type="stock")  # a type the exchange does not offer

    assert ExchangeEvent.objects.count() == 3


def test_refusals_that_quote_what_was_sent_are_bounded_per_address():
    for n in range(40):
        knock("203.0.113.5", type=f"junk{n}")

    assert ExchangeEvent.objects.count() == event_log.MAX_ROWS_PER_ADDRESS


def test_the_next_window_writes_again():
    start = 1_800_000_000 - 1_800_000_000 % event_log.WINDOW_SECONDS
    assert event_log.worth_a_row("203.0.113.5", "No credentials", now=start + 1)
    assert not event_log.worth_a_row("203.0.113.5", "No credentials", now=start + 60)
    assert event_log.worth_a_row("203.0.113.5", "No credentials", now=start + event_log.WINDOW_SECONDS)
