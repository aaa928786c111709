"""Limiting wrong secret code guesses per user and per IP address, in Django's cache.

Fixed windows of ``OSCAR_LOYALTY_SECRET_CODE_THROTTLE_MINUTES``. An attempt
first *takes a place* in the window's counters (``cache.add`` then
``cache.incr``: one atomic step on Redis, memcached and the local-memory
cache), and goes ahead only if every counter it took stays within its limit.
A wrong guess keeps its place; any other outcome gives it back. Checking and
counting are one step, so requests arriving together cannot all pass a check
before any of them is counted: at most the limit of guesses per window ever
reaches the code lookup.

A shared cache (Redis) is what makes the limit hold across processes; the
local-memory cache limits each process.
"""

import math
import time
from dataclasses import dataclass

from django.core.cache import cache

from oscar_loyalty.settings import loyalty_settings

PREFIX = "oscar_loyalty:secret-code:failures"


@dataclass(frozen=True)
class Limits:
    """What one kind of code is throttled by: its counters' prefix, the limits, the window."""

    prefix: str
    per_user: int
    per_ip: int
    minutes: int


def secret_code_limits():
    return Limits(
        PREFIX,
        int(loyalty_settings.SECRET_CODE_ATTEMPTS_PER_USER),
        int(loyalty_settings.SECRET_CODE_ATTEMPTS_PER_IP),
        int(loyalty_settings.SECRET_CODE_THROTTLE_MINUTES),
    )


@dataclass(frozen=True)
class Place:
    """One attempt's place in the counters it was taken from."""

    keys: tuple
    blocked: bool
    retry_after_seconds: int
    # The first refusal of its window: the one worth recording (a flood records one row, not one a request).
    first_refusal: bool = False

    @property
    def retry_after_minutes(self):
        return max(1, math.ceil(self.retry_after_seconds / 60))


def _window(now, limits):
    length = limits.minutes * 60
    start = int(now // length) * length
    return start, length


def _keys(user_id, ip_address, start, limits):
    keys = []
    if user_id is not None:
        keys.append((f"{limits.prefix}:user:{user_id}:{start}", limits.per_user))
    if ip_address:
        keys.append((f"{limits.prefix}:ip:{ip_address}:{start}", limits.per_ip))
    return keys


def _increment(key, timeout):
    # A second longer than the window, so a counter never outlives its window by less.
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:
        # Evicted between add and incr: start again at one (or count on whoever just did).
        if cache.add(key, 1, timeout=timeout):
            return 1
        return cache.incr(key)


def take(user_id, ip_address, *, now=None, limits=None):
    """Take a place for one attempt against the user and the address; ``blocked`` if either is used up.

    A blocked attempt holds no place. An attempt that goes ahead holds one
    until it is a wrong guess (kept) or :func:`give_back` is called.
    ``limits`` default to the secret codes' settings.
    """
    limits = limits or secret_code_limits()
    now = time.time() if now is None else now
    start, length = _window(now, limits)
    taken = []
    blocked = False
    for key, limit in _keys(user_id, ip_address, start, limits):
        taken.append(key)
        if _increment(key, length + 1) > limit:
            blocked = True
    if not blocked:
        return Place(keys=tuple(taken), blocked=False, retry_after_seconds=0)
    give_back(Place(keys=tuple(taken), blocked=True, retry_after_seconds=0))
    first = cache.add(f"{limits.prefix}:refused:{user_id}:{ip_address}:{start}", 1, timeout=length + 1)
    return Place(keys=(), blocked=True, retry_after_seconds=int(start + length - now), first_refusal=first)


def give_back(place):
    """Free the place of an attempt that turned out not to be a wrong guess."""
    for key in place.keys:
        try:
            cache.decr(key)
        except ValueError:
            # Expired with its window: nothing to give back.
            pass
