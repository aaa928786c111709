"""The secret code throttle checks and counts in one step, and a flood of refusals writes one row.

``test_secret_codes.py`` covers the limits seen from the basket page; here:
requests that arrive together, and requests that keep coming once refused.
"""

import threading

import pytest
from django.db import connection
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from oscar.core.loading import get_model

from oscar_loyalty.checkout.promotions import codes, services, throttle
from tests.checkout.promotions import enter_code
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SecretCodeAttempt = get_model("oscar_loyalty", "SecretCodeAttempt")
Basket = get_model("basket", "Basket")

START = 1_800_000_000  # a window boundary


@override_settings(OSCAR_LOYALTY_SECRET_CODE_ATTEMPTS_PER_USER=3)
def test_attempts_taken_before_any_of_them_fails_get_no_more_places_than_the_limit():
    # Five requests at once: each takes its place before any lookup has failed.
    places = [throttle.take(7, None, now=START + i) for i in range(5)]

    assert [place.blocked for place in places] == [False, False, False, True, True]


@override_settings(OSCAR_LOYALTY_SECRET_CODE_ATTEMPTS_PER_USER=2)
def test_an_attempt_that_was_no_wrong_guess_gives_its_place_back():
    for i in range(5):
        throttle.give_back(throttle.take(7, None, now=START + i))  # e.g. the right code, entered again

    assert not throttle.take(7, None, now=START + 10).blocked
    assert not throttle.take(7, None, now=START + 11).blocked  # two wrong guesses keep their places
    assert throttle.take(7, None, now=START + 12).blocked


@override_settings(OSCAR_LOYALTY_SECRET_CODE_ATTEMPTS_PER_USER=2, OSCAR_LOYALTY_SECRET_CODE_ATTEMPTS_PER_IP=100)
def test_a_refused_attempt_holds_no_place_at_the_address():
    for i in range(2):
        throttle.take(7, "192.0.2.1", now=START + i)
    for i in range(10):
        assert throttle.take(7, "192.0.2.1", now=START + 10 + i).blocked

    # The user's refusals did not use up the address for the others behind it.
    with override_settings(OSCAR_LOYALTY_SECRET_CODE_ATTEMPTS_PER_IP=3):
        assert not throttle.take(8, "192.0.2.1", now=START + 30).blocked


@override_settings(OSCAR_LOYALTY_SECRET_CODE_ATTEMPTS_PER_USER=2)
def test_a_flood_of_refused_attempts_writes_one_row_per_window():
    guesser = Client()
    guesser.force_login(UserFactory())
    for _attempt in range(2):
        enter_code(guesser, codes.generate())

    for _attempt in range(20):
        page = enter_code(guesser, codes.generate())
        assert any(str(m).startswith("Too many attempts.") for m in page.context["messages"])

    outcomes = list(SecretCodeAttempt.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes == [SecretCodeAttempt.NOT_FOUND] * 2 + [SecretCodeAttempt.THROTTLED]


def test_entering_a_code_as_a_visitor_writes_nothing():
    for _attempt in range(20):
        response = Client().post(reverse("loyalty:secret-code-apply"), {"code": codes.generate()})
        assert response.status_code == 302
    assert SecretCodeAttempt.objects.count() == 0


# --- Requests that arrive together (PostgreSQL: real concurrent connections) -------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@override_settings(OSCAR_LOYALTY_SECRET_CODE_ATTEMPTS_PER_USER=3, OSCAR_LOYALTY_SECRET_CODE_ATTEMPTS_PER_IP=100)
def test_guesses_sent_together_reach_the_lookup_no_more_often_than_the_limit():
    from tests.test_concurrency import run_in_threads

    guesser = UserFactory()
    basket = Basket.objects.create(owner=guesser)
    count = 8
    arrived = threading.Condition()
    at_lookup = []

    def hold_lookups(execute, sql, params, many, context):
        # Every request that got past the throttle waits here for the others:
        # the worst interleaving, where none has failed when the next one checks.
        if "code_hash" in sql:
            with arrived:
                at_lookup.append(1)
                arrived.notify_all()
                arrived.wait_for(lambda: len(at_lookup) >= count, timeout=3)
        return execute(sql, params, many, context)

    def guess(i):
        request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.9")
        request.user = guesser
        request.session = {}
        request.basket = basket
        with connection.execute_wrapper(hold_lookups):
            try:
                services.enter(request, codes.generate())
            except services.SecretCodeError as exc:
                return type(exc).__name__

    results = run_in_threads(count, guess)

    assert sorted(results) == ["TooManyAttempts"] * 5 + ["UnknownCode"] * 3, results
    assert len(at_lookup) == 3
    outcomes = sorted(SecretCodeAttempt.objects.values_list("outcome", flat=True))
    assert outcomes == [SecretCodeAttempt.NOT_FOUND] * 3 + [SecretCodeAttempt.THROTTLED]
