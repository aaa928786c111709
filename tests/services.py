"""`make test` on a fresh machine: PostgreSQL and Redis on their default local ports, when they answer.

    python -m tests.services [command ...]

runs the command with ``DATABASE_URL`` and ``CELERY_BROKER_URL`` pointing at
the local PostgreSQL (user ``postgres``, trust authentication) and Redis when
they answer, so that the concurrency and worker tests run for a newcomer too;
without a command it only says what it found. A variable already set wins; set
to nothing (``make test DATABASE_URL=``) it means the suite's default: SQLite,
or Celery in eager mode. The probes use only the standard library and psycopg
(the ``postgres`` extra), and give up after half a second.
"""

import os
import socket
import sys
from urllib.parse import urlsplit

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/15"
TIMEOUT = 0.5


def _connect(url):
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=TIMEOUT)


def postgres_refusal(url):
    """Why the PostgreSQL at ``url`` cannot hold the test databases, or None when it can."""
    parts = urlsplit(url)
    try:
        _connect(url).close()
    except OSError:
        return f"nothing answers on {parts.hostname}:{parts.port}"
    try:
        import psycopg
    except ImportError:
        return 'psycopg is not installed: pip install -e ".[test]"'
    try:
        # libpq waits at least two seconds; only a port that accepted connections gets here.
        psycopg.connect(url, connect_timeout=2).close()
    except psycopg.Error as error:
        return f"{parts.hostname}:{parts.port} refuses {parts.username}: {str(error).strip().splitlines()[0]}"
    return None


def redis_refusal(url):
    """Why the Redis at ``url`` cannot be the broker, or None when it answers PING."""
    parts = urlsplit(url)
    try:
        with _connect(url) as sock:
            sock.sendall(b"PING\r\n")
            reply = sock.recv(64)
    except OSError:
        return f"nothing answers on {parts.hostname}:{parts.port}"
    if not reply.startswith(b"+PONG"):
        return f"{parts.hostname}:{parts.port} does not answer PING (Redis with a password? set CELERY_BROKER_URL)"
    return None


def environment(environ, postgres_url=POSTGRES_URL, redis_url=REDIS_URL):
    """The environment the suite runs in, and one note per service saying what it uses and why."""
    env = dict(environ)
    notes = []
    for name, url, refusal, service, otherwise in (
        ("DATABASE_URL", postgres_url, postgres_refusal, "PostgreSQL", "SQLite (the tests marked postgres skip)"),
        ("CELERY_BROKER_URL", redis_url, redis_refusal, "Redis", "Celery in eager mode (the tests marked redis skip)"),
    ):
        if env.get(name) == "":
            del env[name]
            notes.append(f"{name} is empty: {otherwise}")
        elif name in env:
            notes.append(f"{name} is set: used as given")
        elif (why := refusal(url)) is None:
            env[name] = url
            notes.append(f"{service} answers: {name}={url}")
        else:
            notes.append(f"no {service} ({why}): {otherwise}")
    return env, notes


def main(argv):
    env, notes = environment(os.environ)
    for note in notes:
        print(f"make test: {note}", file=sys.stderr)
    if argv:
        sys.stderr.flush()
        os.execvpe(argv[0], argv, env)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
