"""The beat passes settle a chunk of accounts per transaction.

A customer waits for one chunk, never for a whole pass; a pass killed
halfway leaves each chunk done or untouched, and the next pass finishes the
rest; each chunk costs the same statements, however many chunks and lots.
"""

import threading
import time
from datetime import timedelta

import pytest
from django.db import DatabaseError, InterfaceError, close_old_connections, connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from tests.factories import UserFactory

Account = get_model("oscar_loyalty", "Account")
Lot = get_model("oscar_loyalty", "Lot")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")

START = timezone.now() - timedelta(days=400)
MATURED = START + timedelta(days=2)  # hold: 1 day
EXPIRED = START + timedelta(days=20)  # life: 10 days after the hold
CHUNK = 2

PASSES = {
    "activation": (ledger.activate_matured_lots, MATURED, JournalEntry.ACTIVATION),
    "expiry": (ledger.expire_lots, EXPIRED, JournalEntry.EXPIRY),
}


@pytest.fixture(autouse=True)
def small_chunks(settings):
    settings.OSCAR_LOYALTY_BATCH_CHUNK_ACCOUNTS = CHUNK


@pytest.fixture(params=["database functions", "python"])
def ledger_path(request, settings):
    """On PostgreSQL each chunk is one statement with the database functions on, three without."""
    settings.OSCAR_LOYALTY_DATABASE_FUNCTIONS = request.param == "database functions"
    return request.param


def customers_with_lots(count, lots_each):
    """``count`` customers, each with ``lots_each`` lots that mature at MATURED and expire at EXPIRED."""
    users = [UserFactory() for _ in range(count)]
    for user in users:
        for n in range(lots_each):
            ledger.accrue(
                user, 10 + n, key=f"{user.pk}-{n}", reason="order", hold_days=1, expires_in_days=10, now=START
            )
    return users


def ready_for(pass_name):
    """Bring the lots to where ``pass_name`` has work: the expiry pass finds them activated."""
    if pass_name == "expiry":
        ledger.activate_matured_lots(now=MATURED)


def statements_per_chunk(queries, chunks):
    """The statements of each chunk, after the one statement that lists the accounts."""
    assert (len(queries) - 1) % chunks == 0, [q["sql"][:60] for q in queries]
    return (len(queries) - 1) // chunks


@pytest.mark.django_db
@pytest.mark.parametrize("pass_name", PASSES)
def test_each_chunk_costs_the_same_statements_however_many_chunks_and_lots(ledger_path, pass_name):
    run, now, _kind = PASSES[pass_name]
    one_chunk = customers_with_lots(CHUNK, lots_each=1)
    ready_for(pass_name)
    with CaptureQueriesContext(connection) as one:
        assert run(now=now) == CHUNK

    # The first customers are settled: only the new ones are due.
    three_chunks = customers_with_lots(3 * CHUNK, lots_each=4)
    ready_for(pass_name)
    with CaptureQueriesContext(connection) as three:
        assert run(now=now) == 3 * CHUNK * 4

    assert statements_per_chunk(three.captured_queries, 3) == statements_per_chunk(one.captured_queries, 1)
    assert len(one_chunk) + len(three_chunks) == 4 * CHUNK
    assert ledger.check_accounts() == []


@pytest.mark.django_db
def test_a_pass_with_nothing_due_is_one_statement():
    customers_with_lots(3, lots_each=2)
    with CaptureQueriesContext(connection) as queries:
        assert ledger.activate_matured_lots(now=START) == 0
        assert ledger.expire_lots(now=START) == 0
    assert len(queries) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("pass_name", PASSES)
def test_a_pass_killed_halfway_leaves_chunks_done_or_untouched_and_the_next_one_finishes(ledger_path, pass_name):
    """Chunk 1 commits; chunk 2's backend is terminated while its statement waits on a lot; chunk 3 never runs."""
    run, now, kind = PASSES[pass_name]
    users = customers_with_lots(3 * CHUNK, lots_each=3)
    ready_for(pass_name)
    accounts = sorted(Account.objects.filter(user__in=users).values_list("pk", flat=True))
    first_chunk, second_chunk = accounts[:CHUNK], accounts[CHUNK : 2 * CHUNK]
    pass_backend, outcome = [], []

    def beat():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pass_backend.append(cursor.fetchone()[0])
            outcome.append(run(now=now))
        except (DatabaseError, InterfaceError) as exc:  # the terminated connection
            outcome.append(exc)
        finally:
            connection.close()

    # A second connection holds a lot of chunk 2, so the pass stops in the middle of that chunk's writes.
    blocker = connections.create_connection("default")
    try:
        blocker.set_autocommit(False)
        with blocker.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM oscar_loyalty_lot WHERE account_id = %s LIMIT 1 FOR UPDATE", [second_chunk[0]]
            )
        thread = threading.Thread(target=beat)
        thread.start()
        waiting = wait_for_lock_wait(blocker, pass_backend)
        assert waiting, f"the pass never reached chunk 2: {outcome}"
        with blocker.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pass_backend[0]])
        thread.join(timeout=30)
        blocker.rollback()
    finally:
        blocker.close()
    close_old_connections()

    assert isinstance(outcome[0], (DatabaseError, InterfaceError)), outcome
    done = JournalEntry.objects.filter(kind=kind).values_list("account_id", flat=True)
    assert sorted(set(done)) == first_chunk  # chunk 1 is done, chunk 2 rolled back, chunk 3 never began
    assert ledger.check_accounts() == []

    assert run(now=now) == (3 * CHUNK - CHUNK) * 3

    per_lot = JournalEntry.objects.filter(kind=kind).values_list("lot_id", flat=True)
    assert len(per_lot) == len(set(per_lot)) == 3 * CHUNK * 3  # every lot once, none twice
    assert run(now=now) == 0
    assert ledger.check_accounts() == []


def wait_for_lock_wait(observer, backends, seconds=30):
    """Whether the pass's backend came to wait on a row lock within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if backends:
            with observer.cursor() as cursor:
                # The observer is in a transaction, which would otherwise see the same activity all along.
                cursor.execute("SELECT pg_stat_clear_snapshot()")
                cursor.execute(
                    "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s AND state = 'active'", [backends[0]]
                )
                row = cursor.fetchone()
            if row and row[0] == "Lock":
                return True
        time.sleep(0.05)
    return False
