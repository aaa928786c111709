"""Settings of the Celery worker process the kill test starts: the suite's, on its test database."""

import importlib.util
import os

# Where Wagtail is not installed (Django 4.2), the suite runs on the settings without the pages.
if importlib.util.find_spec("wagtail") is None:
    from tests.settings_no_pages import *  # noqa: F401,F403
    from tests.settings_no_pages import DATABASES
else:
    from tests.settings import *  # noqa: F401,F403
    from tests.settings import DATABASES

DATABASES["default"]["NAME"] = os.environ["ERP_TEST_DATABASE"]
ERP_SYNC_SOAP_URL = os.environ["ERP_SYNC_SOAP_URL"]
ERP_SYNC_SOAP_USERNAME = os.environ["ERP_SYNC_SOAP_USERNAME"]
ERP_SYNC_SOAP_PASSWORD = os.environ["ERP_SYNC_SOAP_PASSWORD"]
ERP_SYNC_SOAP_TIMEOUT = 60
# A killed worker's lease runs out quickly, so the test need not wait long.
ERP_SYNC_OUTBOX_LEASE = 3
CELERY_TASK_ALWAYS_EAGER = False
