"""The notifications' own signal: the outbox announces rows ready to be sent.

The queue (``services``) sends it once the rows' transaction commits; the
receiver that hands them to Celery is connected in ``receivers``. So the
queue never imports the tasks, and the tasks import the delivery without a
circle back.
"""

from django.dispatch import Signal

# ids: the primary keys of the pending ``Notification`` rows to deliver
notifications_queued = Signal()
