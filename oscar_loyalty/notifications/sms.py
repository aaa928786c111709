"""Sending text messages: a small pluggable backend, chosen by ``OSCAR_LOYALTY_SMS_BACKEND``.

Oscar's ``Dispatcher`` sends e-mail but leaves SMS to the shop; the loyalty
program sends its text messages through one of these backends.

Writing a backend for a real provider
-------------------------------------
A backend is a class whose constructor takes no arguments and which has one
method::

    from oscar_loyalty.notifications.sms import BaseSMSBackend, PermanentSMSError, TransientSMSError

    class AcmeBackend(BaseSMSBackend):
        def send(self, phone: str, text: str) -> str:
            try:
                response = session.post(ACME_URL, json={"to": phone, "text": text}, timeout=10)
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise TransientSMSError(str(exc)) from exc
            if response.status_code == 429 or response.status_code >= 500:
                raise TransientSMSError(f"Acme answered {response.status_code}")
            if response.status_code >= 400:
                raise PermanentSMSError(response.text)
            return response.json()["message_id"]

- ``phone`` is the number the customer gave, ``+`` and digits only;
  ``text`` is the rendered SMS template, already stripped.
- Return the provider's message id: it is stored on the notification, so a
  delivery can be traced in the provider's console.
- Raise ``TransientSMSError`` when trying again later may succeed (network
  errors, timeouts, HTTP 5xx, rate limits): the delivery is retried with
  exponential backoff, up to ``OSCAR_LOYALTY_NOTIFICATION_MAX_ATTEMPTS``
  attempts in all.
- Raise ``PermanentSMSError`` when it will not (an invalid number, a text
  the provider refuses, no credit left): the notification is marked failed
  at once. Any other exception counts as permanent too, and is logged.
- Read credentials from your own settings in ``__init__``; keep the
  provider's client library imported in the backend's module only.

A backend is called at most once per notification and attempt, inside the
transaction that records the attempt, so it needs no idempotency of its
own; a provider that accepts an idempotency key makes the rare re-send
after a worker crash harmless too.

Backends shipped here: ``ConsoleBackend`` (the default: writes each message
to standard output, for development), ``FileBackend`` (appends JSON lines to
``OSCAR_LOYALTY_SMS_FILE_PATH``, for a demo) and ``LocmemBackend`` (keeps
messages in ``LocmemBackend.outbox``, for tests).
"""

import json
import logging
import sys
import threading
import uuid
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string

from oscar_loyalty.settings import loyalty_settings

logger = logging.getLogger(__name__)


class SMSError(Exception):
    """A text message could not be sent."""


class TransientSMSError(SMSError):
    """Sending failed, and trying again later may succeed."""


class PermanentSMSError(SMSError):
    """Sending failed, and trying again will not help."""


class BaseSMSBackend:
    """The interface every SMS backend implements."""

    def send(self, phone: str, text: str) -> str:
        """Send ``text`` to ``phone``; return the provider's message id."""
        raise NotImplementedError


class ConsoleBackend(BaseSMSBackend):
    """Writes each message to standard output, for development."""

    stream = None

    def send(self, phone, text):
        message_id = uuid.uuid4().hex
        stream = self.stream or sys.stdout
        stream.write(f"SMS to {phone} [{message_id}]\n{text}\n{'-' * 40}\n")
        stream.flush()
        return message_id


class FileBackend(BaseSMSBackend):
    """Appends each message as one JSON line to ``OSCAR_LOYALTY_SMS_FILE_PATH``."""

    _lock = threading.Lock()

    def __init__(self):
        self.path = loyalty_settings.SMS_FILE_PATH
        if not self.path:
            raise ImproperlyConfigured("FileBackend needs OSCAR_LOYALTY_SMS_FILE_PATH.")

    def send(self, phone, text):
        message_id = uuid.uuid4().hex
        line = json.dumps(
            {"id": message_id, "sent_at": timezone.now().isoformat(), "phone": phone, "text": text},
            ensure_ascii=False,
        )
        with self._lock, open(self.path, "a", encoding="utf-8") as log:
            log.write(line + "\n")
        return message_id


@dataclass(frozen=True)
class SentSMS:
    id: str
    phone: str
    text: str


class LocmemBackend(BaseSMSBackend):
    """Keeps messages in the class attribute ``outbox``, for tests (empty it between tests)."""

    outbox = []

    def send(self, phone, text):
        message = SentSMS(uuid.uuid4().hex, phone, text)
        LocmemBackend.outbox.append(message)
        return message.id


def get_backend():
    """An instance of the configured backend."""
    path = loyalty_settings.SMS_BACKEND
    try:
        backend_class = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"OSCAR_LOYALTY_SMS_BACKEND: cannot import {path!r}.") from exc
    return backend_class()
