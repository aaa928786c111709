"""A transaction still writing the journal when the roll-up runs: its entry is never lost nor counted twice."""

import threading
from datetime import date

import pytest
from django.db import connection, transaction
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.dashboard import kpis
from oscar_loyalty.dashboard.kpis import Period
from oscar_loyalty.reporting import rollups
from tests.dashboard.helpers import at
from tests.factories import UserFactory
from tests.reporting.journal_figures import figures_of, straight_from_journal

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

JournalEntry = get_model("oscar_loyalty", "JournalEntry")
PERIOD = Period(date(2026, 1, 1), date(2026, 2, 28))


@pytest.fixture(autouse=True, params=["database functions", "python"])
def ledger_path(request, settings):
    settings.OSCAR_LOYALTY_DATABASE_FUNCTIONS = request.param == "database functions"


class SlowCheckout(threading.Thread):
    """Accrues points dated 23:59 on 31 January, then keeps its transaction open until told to commit."""

    def __init__(self, user):
        super().__init__()
        self.user, self.written, self.commit = user, threading.Event(), threading.Event()
        self.entry_id, self.error = None, None

    def run(self):
        try:
            with transaction.atomic():
                ledger.accrue(
                    self.user, 70, key="slow", reason="Order", order="SLOW", hold_days=0, now=at(2026, 1, 31, 23, 59)
                )
                self.entry_id = JournalEntry.objects.filter(key__startswith="slow").order_by("pk").first().pk
                self.written.set()
                self.commit.wait(10)
        except Exception as exc:  # asserted on by the test
            self.error = exc
            self.written.set()
        finally:
            connection.close()


def test_a_run_during_an_open_transaction_leaves_its_entry_for_the_next_run():
    slow_customer, quick_customer = UserFactory(), UserFactory()
    ledger.adjust(quick_customer, 5, key="early", reason="Fix", actor="Staff", now=at(2026, 1, 5))
    slow = SlowCheckout(slow_customer)
    slow.start()
    assert slow.written.wait(10) and slow.error is None
    # Drawn after the slow one's id, committed before it.
    ledger.adjust(quick_customer, 10, key="quick", reason="Fix", actor="Staff", now=at(2026, 2, 1, 0, 1))
    quick_id = JournalEntry.objects.get(key="quick").pk
    assert quick_id > slow.entry_id

    waiting = rollups.roll_up(wait_seconds=0.2)

    assert waiting.waiting and waiting.journal_id < slow.entry_id
    assert figures_of(kpis.build_report(PERIOD)) == straight_from_journal(PERIOD)
    slow.commit.set()
    slow.join(10)
    assert slow.error is None

    done = rollups.roll_up(wait_seconds=1)

    assert not done.waiting and done.journal_id >= quick_id
    assert rollups.verify_rollups() == []
    report = kpis.build_report(PERIOD)
    assert figures_of(report) == straight_from_journal(PERIOD)
    assert [row.accrued for row in report.months] == [75, 10]


def test_a_run_waits_for_a_transaction_that_ends_within_the_wait():
    slow = SlowCheckout(UserFactory())
    slow.start()
    assert slow.written.wait(10) and slow.error is None
    timer = threading.Timer(0.3, slow.commit.set)
    timer.start()

    run = rollups.roll_up(wait_seconds=10)

    slow.join(10)
    assert not run.waiting and run.journal_id >= slow.entry_id
    assert rollups.verify_rollups() == []
    assert kpis.build_report(PERIOD).months[0].accrued == 70
