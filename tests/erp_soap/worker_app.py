"""The Celery app of the worker process the kill test starts (``celery -A tests.erp_soap.worker_app``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.erp_soap.worker_settings")

app = Celery("erp_soap_worker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["erp_sync"])
