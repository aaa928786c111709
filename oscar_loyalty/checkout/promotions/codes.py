"""What a secret code looks like: pure functions, no database.

A code is 16 characters of Crockford's base32 (80 random bits), shown in
groups of four: ``7KQ2-M9XD-4TRB-H0WZ``. The alphabet leaves out I, L, O and U,
and customers' look-alikes are read back (O as 0, I and L as 1), so a code
read out over the phone still works. Only its SHA-256 is stored: with 80
random bits a plain hash cannot be reversed by guessing, and a lookup by hash
needs no per-code salt.
"""

import hashlib
import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 16
GROUP = 4
HINT_LENGTH = 4
# Longer input is refused before it is looked at: no code is ever this long.
MAX_INPUT_LENGTH = 64

_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.]+")
_VALID = re.compile(f"[{ALPHABET}]{{{LENGTH}}}")


class CodeFormatError(ValueError):
    """The input cannot be a secret code; ``reason`` is ``empty``, ``too_long`` or ``format``."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def generate():
    """A new random code, formatted for display."""
    return display(secrets.choice(ALPHABET) + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH - 1)))


def normalise(raw):
    """The canonical form of what a customer typed, or :class:`CodeFormatError`."""
    text = (raw or "").strip()
    if not text:
        raise CodeFormatError("empty")
    if len(text) > MAX_INPUT_LENGTH:
        raise CodeFormatError("too_long")
    text = _SEPARATORS.sub("", text).upper().translate(_LOOK_ALIKES)
    if not _VALID.fullmatch(text):
        raise CodeFormatError("format")
    return text


def display(code):
    """``7KQ2M9XD4TRBH0WZ`` as ``7KQ2-M9XD-4TRB-H0WZ``."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def digest(code):
    """The stored hash of a normalised code."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def hint(code):
    """The code's last characters, shown to staff to tell codes apart."""
    return code[-HINT_LENGTH:]
