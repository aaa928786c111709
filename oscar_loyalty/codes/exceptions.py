"""What point code operations refuse: each a :class:`PointCodeError` whose message can be shown as it is.

Raised by :mod:`oscar_loyalty.codes.services` and :mod:`oscar_loyalty.codes.batches`,
and importable from the services too. A refusal carries the outcome its
attempt is logged with, and the code when one was found.
"""

from oscar.core.loading import get_model

PointCodeAttempt = get_model("oscar_loyalty", "PointCodeAttempt")


class PointCodeError(Exception):
    """A point code operation was refused; the message is for the person who tried."""

    outcome = PointCodeAttempt.REFUSED
    point_code = None

    def __init__(self, message, *, point_code=None):
        super().__init__(str(message))
        self.point_code = point_code


class CannotCreateBatch(PointCodeError):
    pass


class CannotExport(PointCodeError):
    pass


class CannotRevoke(PointCodeError):
    pass


class CannotReverse(PointCodeError):
    pass


class CannotRequest(PointCodeError):
    pass


class InvalidCode(PointCodeError):
    outcome = PointCodeAttempt.INVALID


class MistypedCode(PointCodeError):
    """The check character does not match: a character was typed wrong."""

    outcome = PointCodeAttempt.MISTYPED


class UnknownCode(PointCodeError):
    outcome = PointCodeAttempt.NOT_FOUND


class CodeAlreadyRegistered(PointCodeError):
    outcome = PointCodeAttempt.ALREADY_REGISTERED


class CodeExpired(PointCodeError):
    outcome = PointCodeAttempt.EXPIRED


class CodeNotYetValid(PointCodeError):
    outcome = PointCodeAttempt.NOT_YET_VALID


class CodeRevoked(PointCodeError):
    outcome = PointCodeAttempt.REVOKED


class TooManyAttempts(PointCodeError):
    outcome = PointCodeAttempt.THROTTLED


class RegistrationRefused(PointCodeError):
    """The points account refused the points (e.g. it is blocked)."""

    outcome = PointCodeAttempt.REFUSED


# Wrong codes: these count towards the throttle. The other refusals need a
# real code, so they are not guesses.
GUESSES = (InvalidCode, MistypedCode, UnknownCode)
