"""Orders out while the journal and the orders are being written: nothing committed late is left behind the window.

Journal ids are drawn in one order and committed in another, and an order is
dated before its checkout commits. Each test holds a transaction open in
another thread that has written an entry or an order, and has 1C query over
real HTTP meanwhile.
"""

import threading

import pytest
from django.db import connection, transaction
from oscar.core.loading import get_model

from erp_sync.client import ExchangeError
from oscar_loyalty import ledger
from tests.earning.factories import order_for
from tests.erp.test_exchange_export import ids
from tests.factories import UserFactory

ExportMarker = get_model("erp_sync", "ExportMarker")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class OpenWriter:
    """A thread running ``write`` in a transaction kept open until ``release()``; ``result`` is what it returned."""

    def __init__(self, write):
        self.written, self.finish = threading.Event(), threading.Event()
        self.errors, self.result = [], None
        self.thread = threading.Thread(target=self._run, args=(write,))

    def _run(self, write):
        try:
            with transaction.atomic():
                self.result = write()
                self.written.set()
                assert self.finish.wait(10), "never released"
        except Exception as error:  # noqa: BLE001 - reported by the test
            self.errors.append(error)
            self.written.set()
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.written.wait(10)
        return self

    def release(self, after=0.0):
        threading.Timer(after, self.finish.set).start()

    def __exit__(self, *exc_info):
        self.finish.set()
        self.thread.join(10)
        assert not self.errors, self.errors


def accrue_for(customer, order, prefix):
    return lambda: ledger.accrue(customer, 10, key=f"{prefix}:{order.number}", reason="Order", order=order.number)


def acknowledged_orders(one_c, count):
    """``count`` orders of new customers, sent to 1C and acknowledged: nothing is left to send."""
    orders = [(customer, order_for(customer, "1000.00")) for customer in UserFactory.create_batch(count)]
    one_c.query()
    one_c.success()
    return orders


def test_an_entry_committing_after_a_later_one_goes_out_in_the_same_query(one_c, new_session):
    (slow_customer, slow), (fast_customer, fast) = acknowledged_orders(one_c, 2)
    with OpenWriter(accrue_for(slow_customer, slow, "late")) as writer:
        # A checkout's entry with a higher id commits while the first is still open.
        accrue_for(fast_customer, fast, "now")()
        late = JournalEntry.objects.get(key=f"now:{fast.number}")
        writer.release(after=0.5)  # while 1C's query waits for it
        later = new_session()
        assert ids(later.query()) == sorted([str(slow.number), str(fast.number)])
    assert JournalEntry.objects.get(key=f"late:{slow.number}").pk < late.pk
    later.success()
    assert ids(new_session().query()) == []


def test_a_writer_that_stays_open_refuses_the_query_and_moves_nothing(one_c, new_session, settings):
    settings.ERP_SYNC_EXCHANGE_SETTLE_SECONDS = 0.3
    (slow_customer, slow), (fast_customer, fast) = acknowledged_orders(one_c, 2)
    marker = ExportMarker.objects.values_list("exported_until", "exported_entry").get()
    with OpenWriter(accrue_for(slow_customer, slow, "late")):
        accrue_for(fast_customer, fast, "now")()
        later = new_session()
        with pytest.raises(ExchangeError, match="Orders or points are still being written"):
            later.query()
        later.success()  # 1C gave up on this query; acknowledging it moves nothing
        assert ExportMarker.objects.values_list("exported_until", "exported_entry").get() == marker
    # The writer has committed: the next exchange sends both orders.
    assert ids(new_session().query()) == sorted([str(slow.number), str(fast.number)])


def test_an_order_placed_as_the_query_starts_goes_out_in_that_query(one_c, new_session):
    acknowledged_orders(one_c, 1)
    # The checkout has written the order, dated now, and is still finishing when 1C's query starts.
    with OpenWriter(lambda: order_for(UserFactory(), "700.00")) as writer:
        writer.release(after=0.5)
        later = new_session()
        sent = ids(later.query())
    assert sent == [str(writer.result.number)]
    later.success()
    assert ids(new_session().query()) == []
