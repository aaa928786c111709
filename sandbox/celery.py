"""The demo shop's Celery app.

Start a worker and the beat scheduler against a real broker with::

    CELERY_BROKER_URL=redis://localhost:6379/0 celery -A sandbox worker --beat -l info

Without ``CELERY_BROKER_URL`` the settings run every task eagerly in-process.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")

app = Celery("sandbox")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
