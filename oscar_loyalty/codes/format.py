"""What a point code looks like: pure functions, no database.

A code is 15 random characters and one check character, shown in groups of
four: ``K7QX-M9HD-4TRB-WZ5C``. The alphabet (digits 2-9 and the Latin
letters without I and O) has no 0/O or 1/I to mix up, and its 32 symbols
carry 5 bits each: 75 random bits, far beyond guessing.

The last character is a Luhn mod 32 check over the others: a single wrong
character, and almost every swap of two neighbours, makes the check fail, so
a typo is told from a code that does not exist without looking anything up.

Only a keyed hash (HMAC-SHA256) of a code is stored; lookup is by that hash.
The key is ``OSCAR_LOYALTY_POINT_CODE_HASH_KEY``, or one derived from
``SECRET_KEY`` when it is not set.
"""

import re
import secrets

from django.conf import settings
from django.utils.crypto import salted_hmac

from oscar_loyalty.settings import loyalty_settings

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
RANDOM_LENGTH = 15
LENGTH = RANDOM_LENGTH + 1
GROUP = 4
HINT_LENGTH = 4
# Longer input is refused before it is looked at: no code is ever this long.
MAX_INPUT_LENGTH = 64

_INDEX = {symbol: i for i, symbol in enumerate(ALPHABET)}
_SEPARATORS = re.compile(r"[\s\-_.]+")
_LOOK_ALIKES = frozenset("01OI")


class CodeFormatError(ValueError):
    """The input cannot be a point code.

    ``reason``: ``empty``, ``too_long``, ``look_alike`` (a 0, O, 1 or I, which
    no code has), ``format`` (wrong length or characters) or ``check`` (the
    check character does not match: a typo).
    """

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def check_character(payload):
    """The Luhn mod 32 check character of ``payload`` (symbols of ``ALPHABET``)."""
    total = 0
    factor = 2
    for symbol in reversed(payload):
        addend = factor * _INDEX[symbol]
        total += addend // len(ALPHABET) + addend % len(ALPHABET)
        factor = 1 if factor == 2 else 2
    return ALPHABET[(len(ALPHABET) - total % len(ALPHABET)) % len(ALPHABET)]


def is_checked(code):
    """Whether the last character of a canonical ``code`` is the check character of the others."""
    return check_character(code[:-1]) == code[-1]


def generate():
    """A new random code in canonical form (no separators)."""
    payload = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return payload + check_character(payload)


def normalise(raw):
    """The canonical form of what a customer typed, or :class:`CodeFormatError`."""
    text = (raw or "").strip()
    if not text:
        raise CodeFormatError("empty")
    if len(text) > MAX_INPUT_LENGTH:
        raise CodeFormatError("too_long")
    text = _SEPARATORS.sub("", text).upper()
    if len(text) == LENGTH and _LOOK_ALIKES.intersection(text):
        raise CodeFormatError("look_alike")
    if len(text) != LENGTH or any(symbol not in _INDEX for symbol in text):
        raise CodeFormatError("format")
    if not is_checked(text):
        raise CodeFormatError("check")
    return text


def display(code):
    """``K7QXM9HD4TRBWZ5C`` as ``K7QX-M9HD-4TRB-WZ5C``."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def digest(code):
    """The stored keyed hash of a canonical code (64 hex digits)."""
    key = loyalty_settings.POINT_CODE_HASH_KEY or settings.SECRET_KEY
    return salted_hmac("oscar_loyalty.point-codes", code, secret=key, algorithm="sha256").hexdigest()


def hint(code):
    """The code's last characters, to tell codes apart without the code."""
    return code[-HINT_LENGTH:]
