"""`make test` on a fresh machine: it uses PostgreSQL and Redis when they answer on their local ports.

The probes talk to real sockets on loopback: a port nobody listens on, a server
that accepts and says nothing, a server that answers Redis's PING.
"""

import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests import services

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def free_port():
    """A loopback port nobody listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(reply):
    """A loopback server that answers each connection's first bytes with ``reply``; returns its port."""
    server = socket.create_server(("127.0.0.1", 0))

    def loop():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(64)
                    conn.sendall(reply)
                except OSError:
                    pass

    threading.Thread(target=loop, daemon=True).start()
    return server


@pytest.fixture
def fake_redis():
    server = serve(b"+PONG\r\n")
    yield server.getsockname()[1]
    server.close()


@pytest.fixture
def mute_server():
    server = serve(b"")
    yield server.getsockname()[1]
    server.close()


def test_nobody_on_the_ports_keeps_sqlite_and_eager_celery_and_says_so(free_port):
    env, notes = services.environment(
        {"PATH": "/bin"},
        postgres_url=f"postgres://postgres@127.0.0.1:{free_port}/postgres",
        redis_url=f"redis://127.0.0.1:{free_port}/15",
    )

    assert env == {"PATH": "/bin"}
    assert any(f"127.0.0.1:{free_port}" in note and "SQLite" in note for note in notes)
    assert any("eager" in note for note in notes)


def test_a_redis_that_answers_ping_becomes_the_broker(free_port, fake_redis):
    env, notes = services.environment(
        {},
        postgres_url=f"postgres://postgres@127.0.0.1:{free_port}/postgres",
        redis_url=f"redis://127.0.0.1:{fake_redis}/15",
    )

    assert env == {"CELERY_BROKER_URL": f"redis://127.0.0.1:{fake_redis}/15"}


def test_a_port_that_answers_but_is_not_postgresql_keeps_sqlite(mute_server):
    env, notes = services.environment(
        {},
        postgres_url=f"postgres://postgres@127.0.0.1:{mute_server}/postgres",
        redis_url=f"redis://127.0.0.1:{mute_server}/15",
    )

    assert env == {}
    assert any("SQLite" in note for note in notes)


def test_given_urls_win_and_empty_ones_mean_sqlite_and_eager_celery(fake_redis):
    given = {"DATABASE_URL": "postgres://shop@db.example.com/shop", "CELERY_BROKER_URL": ""}

    env, _ = services.environment(given, redis_url=f"redis://127.0.0.1:{fake_redis}/15")
    assert env == {"DATABASE_URL": "postgres://shop@db.example.com/shop"}

    env, _ = services.environment({"DATABASE_URL": ""}, postgres_url="postgres://postgres@127.0.0.1:1/postgres")
    assert "DATABASE_URL" not in env


def test_the_script_runs_the_command_with_the_environment_it_chose():
    code = "import os; print(os.environ.get('DATABASE_URL', 'sqlite'), os.environ.get('CELERY_BROKER_URL', 'eager'))"
    result = subprocess.run(
        [sys.executable, "-m", "tests.services", sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": "", "CELERY_BROKER_URL": "memory://"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["sqlite", "memory://"]


def test_the_end_of_a_run_counts_the_skips_by_reason():
    # On SQLite with eager Celery every test in these two modules is skipped before it touches a database.
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env.update(TEST_DATABASE_NAME="test_skip_summary", LOYALTY_REQUIRE_SERVICES="0")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "tests/test_concurrency.py", "tests/test_tasks.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    counted = {
        match["reason"]: int(match["count"])
        for match in re.finditer(r"^ *(?P<count>\d+) (?P<reason>needs .*)$", result.stdout, re.MULTILINE)
    }
    total = int(re.search(r"(\d+) skipped", result.stdout)[1])
    assert set(counted) == {
        "needs PostgreSQL: set DATABASE_URL=postgres://...",
        "needs Redis and a Celery worker: set CELERY_BROKER_URL=redis://...",
    }
    assert sum(counted.values()) == total
