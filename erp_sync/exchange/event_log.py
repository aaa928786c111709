"""Which refusals of requests from outside any exchange session get a row in the exchange log.

Anyone on the network can call the exchange URL without credentials, with a
wrong password or a made-up session cookie. A row per such request would let
a flood fill the table. Per client address and window, each distinct refusal
is written once, and at most ``MAX_ROWS_PER_ADDRESS`` of them: enough for
staff to see who knocked and why, bounded whatever is sent. Requests inside
a session (1C itself, signed in) are always logged.

The counters are kept in Django's cache (``cache.add``: atomic on Redis,
memcached and the local-memory cache); a shared cache bounds the rows
across processes.
"""

import hashlib
import time

from django.core.cache import cache

PREFIX = "erp_sync:exchange:refusal-rows"
WINDOW_SECONDS = 15 * 60
MAX_ROWS_PER_ADDRESS = 10


def worth_a_row(address, message, *, now=None):
    """Whether the refusal ``message`` sent to ``address`` (outside any session) is written to the log."""
    now = time.time() if now is None else now
    start = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
    timeout = WINDOW_SECONDS + 1
    who = address or "-"
    # Hashed: the message may quote what the client sent, and cache keys may not hold anything.
    reason = hashlib.sha256(str(message).encode("utf-8", "surrogatepass")).hexdigest()[:32]
    if not cache.add(f"{PREFIX}:{who}:{start}:{reason}", 1, timeout=timeout):
        return False  # the same refusal again: already in the log for this window
    count_key = f"{PREFIX}:{who}:{start}"
    cache.add(count_key, 0, timeout=timeout)
    try:
        return cache.incr(count_key) <= MAX_ROWS_PER_ADDRESS
    except ValueError:
        # Evicted between add and incr: this row starts the count again.
        cache.add(count_key, 1, timeout=timeout)
        return True
