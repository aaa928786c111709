"""Counting failed secret code attempts per user and per IP address, in Django's cache.

Fixed windows of ``OSCAR_LOYALTY_SECRET_CODE_THROTTLE_MINUTES``: each failure
adds one to the window's counters (``cache.add`` then ``cache.incr``, atomic on
Redis and memcached), and once either counter reaches its limit every attempt
is refused until the window ends. A shared cache (Redis) is what makes the
limit hold across processes; the local-memory cache limits each process.
"""

import math
import time
from dataclasses import dataclass

from django.core.cache import cache

from oscar_loyalty.settings import loyalty_settings

PREFIX = "oscar_loyalty:secret-code:failures"


@dataclass(frozen=True)
class Throttle:
    blocked: bool
    retry_after_seconds: int

    @property
    def retry_after_minutes(self):
        return max(1, math.ceil(self.retry_after_seconds / 60))


def _window(now):
    length = int(loyalty_settings.SECRET_CODE_THROTTLE_MINUTES) * 60
    start = int(now // length) * length
    return start, length


def _keys(user_id, ip_address, start):
    keys = []
    if user_id is not None:
        keys.append((f"{PREFIX}:user:{user_id}:{start}", int(loyalty_settings.SECRET_CODE_ATTEMPTS_PER_USER)))
    if ip_address:
        keys.append((f"{PREFIX}:ip:{ip_address}:{start}", int(loyalty_settings.SECRET_CODE_ATTEMPTS_PER_IP)))
    return keys


def check(user_id, ip_address, *, now=None):
    """Whether the user or the address has used up its failed attempts for the current window."""
    now = time.time() if now is None else now
    start, length = _window(now)
    keys = _keys(user_id, ip_address, start)
    counts = cache.get_many([key for key, _limit in keys])
    blocked = any(counts.get(key, 0) >= limit for key, limit in keys)
    return Throttle(blocked=blocked, retry_after_seconds=int(start + length - now) if blocked else 0)


def record_failure(user_id, ip_address, *, now=None):
    """Count one failed attempt against the user and the address."""
    now = time.time() if now is None else now
    start, length = _window(now)
    for key, _limit in _keys(user_id, ip_address, start):
        # A second longer than the window, so a counter never outlives its window by less.
        cache.add(key, 0, timeout=length + 1)
        try:
            cache.incr(key)
        except ValueError:
            # Evicted between add and incr: start again at one.
            cache.set(key, 1, timeout=length + 1)
