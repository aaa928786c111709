"""Failed logins to the exchange, counted per client address and per user name in Django's cache.

A counter lives ``ERP_SYNC_EXCHANGE_LOGIN_WINDOW_MINUTES`` from the first
failure it counts (on Redis, memcached and the local-memory cache,
``cache.incr`` keeps the expiry ``cache.add`` set), so the limit reads "N
failures within M minutes", with no window boundary to straddle.

An attempt is counted *before* its password is checked (``cache.add`` then
``cache.incr``, atomic on Redis and memcached), so concurrent guesses each
get their own count and cannot all slip under the limit together; a correct
password then takes its own count back. Once either counter is past its
limit, every attempt is refused, the right password included. A shared cache
(Redis) makes the limits hold across processes; the local-memory cache
limits each process.
"""

import hashlib
import math
from dataclasses import dataclass

from django.core.cache import cache

from erp_sync.exchange.settings import exchange_settings

PREFIX = "erp_sync:exchange:login-failures"


@dataclass(frozen=True)
class Attempt:
    """One counted login attempt: the counters it added to, and whether it is over a limit."""

    keys: tuple
    blocked: bool
    retry_after_seconds: int

    @property
    def retry_after_minutes(self):
        return max(1, math.ceil(self.retry_after_seconds / 60))


def _window():
    return max(1, int(exchange_settings.EXCHANGE_LOGIN_WINDOW_MINUTES)) * 60


def _keys(address, username):
    keys = []
    if address:
        keys.append((f"{PREFIX}:addr:{address}", exchange_settings.EXCHANGE_LOGIN_FAILURES_PER_ADDRESS))
    if username is not None:
        # Hashed: a user name may hold anything, and cache keys may not.
        digest = hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()
        keys.append((f"{PREFIX}:user:{digest}", exchange_settings.EXCHANGE_LOGIN_FAILURES_PER_USER))
    return [(key, limit) for key, limit in keys if limit]


def _incr(key, timeout):
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:
        # Evicted between add and incr: start again at one.
        cache.set(key, 1, timeout=timeout)
        return 1


def begin(address, username):
    """Count an attempt against the address and the user name; say whether it is over a limit.

    An attempt over a limit must be refused without checking its password;
    one under it is checked, and ``succeeded`` takes its count back.
    """
    length = _window()
    keys, blocked = [], False
    for key, limit in _keys(address, username):
        count = _incr(key, length)
        keys.append(key)
        blocked = blocked or count > int(limit)
    # The cache does not say when a counter expires: at the latest a whole window from now.
    return Attempt(keys=tuple(keys), blocked=blocked, retry_after_seconds=length)


def succeeded(attempt):
    """The password was right: this attempt is no failure (other attempts keep their counts)."""
    for key in attempt.keys:
        try:
            cache.decr(key)
        except ValueError:
            pass  # the window ended meanwhile
