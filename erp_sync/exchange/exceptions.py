"""The exchange's refusals: each is answered ``failure`` with its message."""


class ExchangeRefused(Exception):
    """A request the exchange answers with ``failure``; the message says why."""


class TooManyAttempts(ExchangeRefused):
    """Too many failed logins from the address or for the user name: refused without checking the password."""

    def __init__(self, message, *, retry_after_seconds):
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
