"""Telling customers about their points, by e-mail and SMS.

Events of the ledger and of tiers queue ``Notification`` rows (the outbox)
in the transaction that caused them; a Celery task delivers each row once
that transaction commits, rendering it with Oscar's communication framework
(``CommunicationEventType`` codes ``LOYALTY_<EVENT>``, overridable as
template files or in the dashboard) and sending text messages through the
pluggable backend of ``oscar_loyalty.notifications.sms``.

The public API is in ``oscar_loyalty.notifications.services``.
"""
