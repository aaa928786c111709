"""Backends that fail on demand, to exercise retries."""

from django.core.mail.backends.locmem import EmailBackend

from oscar_loyalty.notifications.sms import BaseSMSBackend, LocmemBackend


class FlakySMSBackend(BaseSMSBackend):
    """Raises the exceptions in ``failures`` one per call, then sends like ``LocmemBackend``."""

    failures = []

    def send(self, phone, text):
        if FlakySMSBackend.failures:
            raise FlakySMSBackend.failures.pop(0)
        return LocmemBackend().send(phone, text)


class FlakyEmailBackend(EmailBackend):
    """Raises the exceptions in ``failures`` one per call, then keeps the mail in ``mail.outbox``."""

    failures = []

    def send_messages(self, messages):
        if FlakyEmailBackend.failures:
            raise FlakyEmailBackend.failures.pop(0)
        return super().send_messages(messages)
