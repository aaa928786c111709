"""What paying with points costs in queries, step by step, against Oscar's own payment view.

The module is also the tests' URL configuration (``pytest.mark.urls``): the
suite's URLs, with Oscar's own ``PaymentDetailsView`` mounted beside the
plugin's, so that one test can take the same checkout through both.

The ledger's own queries (reserve, capture) are counted apart: how the
ledger writes is the ledger's business (and differs between databases);
these tests pin what the checkout adds around it.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse
from oscar.apps.checkout.views import PaymentDetailsView as OscarPaymentDetailsView
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from tests.checkout.flow import customer_with_points, product_priced, reach_payment_details
from tests.urls import urlpatterns as shop_urlpatterns

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

Order = get_model("order", "Order")
Reservation = get_model("oscar_loyalty", "Reservation")

OSCAR_PREFIX = "/oscar-checkout/"
urlpatterns = [
    path("oscar-checkout/payment-details/", OscarPaymentDetailsView.as_view()),
    path("oscar-checkout/preview/", OscarPaymentDetailsView.as_view(preview=True)),
    *shop_urlpatterns,
]

# What the checkout itself adds, the ledger's calls apart:
# - the payment step: the customer's balance and tier, each read once, and
#   their campaign lots with spend restrictions (the maximum leaves out what
#   those may not pay for the basket);
# - the preview: the balance and the restricted campaign lots (the tier is
#   the one the page's bonus display reads anyway); the points chosen are
#   kept in a signed cookie, not written to the session;
# - "Place order": the customer's tier, the points payment's event and
#   source; the capture joins the order's own transaction (no savepoint);
# - the thank-you page: Oscar shows the order's payment source, with its type.
EXTRA_PAYMENT_STEP = 3
EXTRA_PREVIEW = 2
EXTRA_PREVIEW_CHOOSING = 2
EXTRA_PLACE_ORDER = 3
EXTRA_THANK_YOU = 1


@pytest.fixture
def ledger_calls(monkeypatch):
    """Counts the queries each call of ``ledger.reserve`` and ``ledger.capture`` makes."""
    calls = {"reserve": [], "capture": []}

    def counted(name, function):
        def run(*args, **kwargs):
            with CaptureQueriesContext(connection) as queries:
                result = function(*args, **kwargs)
            calls[name].append(len(queries))
            return result

        return run

    for name in calls:
        monkeypatch.setattr(ledger, name, counted(name, getattr(ledger, name)))
    return calls


def queries_of(send):
    """The queries one request makes (Django empties its query log as each request starts)."""
    with CaptureQueriesContext(connection) as queries:
        response = send()
    return len(queries), response


def checkout(client, *, points, oscar=False):
    """Payment step, preview (choosing ``points``, if any), "Place order", thank-you page: queries of each."""
    payment_url = f"{OSCAR_PREFIX}payment-details/" if oscar else reverse("checkout:payment-details")
    preview_url = f"{OSCAR_PREFIX}preview/" if oscar else reverse("checkout:preview")
    counts = {}
    counts["payment"], response = queries_of(lambda: client.get(payment_url))
    assert response.status_code == 200
    if points:
        counts["preview"], response = queries_of(lambda: client.post(preview_url, {"points": str(points)}))
        assert response.context["loyalty"]["points"] == points
    else:
        counts["preview"], response = queries_of(lambda: client.get(preview_url))
    assert response.status_code == 200
    counts["place"], response = queries_of(lambda: client.post(preview_url, {"action": "place_order"}))
    assert response.status_code == 302 and response.url == reverse("checkout:thank-you")
    counts["thank_you"], response = queries_of(lambda: client.get(reverse("checkout:thank-you")))
    assert response.status_code == 200
    return counts


def warm_up(client, capture_on_commit):
    """One order first, committed, so that the one-off rows (payment event and source types) exist and are cached."""
    user = customer_with_points(500, key="warm-up")
    reach_payment_details(client, user, product_priced("1000.00"))
    with capture_on_commit(execute=True):
        checkout(client, points=150)
    client.logout()


def test_paying_with_points_adds_a_bounded_number_of_queries_to_each_step(
    client, ledger_calls, django_capture_on_commit_callbacks
):
    warm_up(client, django_capture_on_commit_callbacks)
    ledger_calls["reserve"].clear()
    ledger_calls["capture"].clear()
    product = product_priced("1000.00")

    reach_payment_details(client, customer_with_points(500), product)
    oscar = checkout(client, points=0, oscar=True)
    client.logout()
    reach_payment_details(client, customer_with_points(500), product)
    without = checkout(client, points=0)
    client.logout()
    reach_payment_details(client, customer_with_points(500), product)
    with_points = checkout(client, points=150)

    assert Order.objects.count() == 4
    assert len(ledger_calls["reserve"]) == len(ledger_calls["capture"]) == 1
    in_ledger = ledger_calls["reserve"][0] + ledger_calls["capture"][0]
    if connection.vendor == "postgresql":
        # One database function call each, with no savepoint around it inside the order's transaction.
        assert ledger_calls["reserve"] == ledger_calls["capture"] == [1]
    # Showing the points.
    assert without["payment"] - oscar["payment"] <= EXTRA_PAYMENT_STEP
    assert without["preview"] - oscar["preview"] <= EXTRA_PREVIEW
    # Paying with them: the choice, then the ledger's two calls and what is bounded above
    # ("Place order" against the same view without points: it may check promotions too).
    assert with_points["payment"] == without["payment"]
    assert with_points["preview"] - oscar["preview"] <= EXTRA_PREVIEW_CHOOSING
    assert with_points["place"] - without["place"] - in_ledger <= EXTRA_PLACE_ORDER
    assert with_points["thank_you"] - oscar["thank_you"] <= EXTRA_THANK_YOU
    assert Reservation.objects.filter(status=Reservation.CAPTURED).count() == 2


def test_the_payment_and_event_types_are_read_once_and_then_cached(client, django_capture_on_commit_callbacks):
    warm_up(client, django_capture_on_commit_callbacks)
    reach_payment_details(client, customer_with_points(500), product_priced("1000.00"))

    client.post(reverse("checkout:preview"), {"points": "150"})
    with CaptureQueriesContext(connection) as queries:
        client.post(reverse("checkout:preview"), {"action": "place_order"})

    statements = [query["sql"] for query in queries]
    assert not [sql for sql in statements if "payment_sourcetype" in sql or "order_paymenteventtype" in sql]
    # Oscar's save freezes the basket; the plugin's claim already did, with a conditional update.
    assert len([sql for sql in statements if sql.startswith('UPDATE "basket_basket"')]) == 2  # frozen, submitted
