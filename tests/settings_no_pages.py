"""The test settings without the Wagtail pages, for the combinations Wagtail does not support.

The oldest supported combination (Django 4.2 LTS, django-oscar 4.0) has no Wagtail:
the pages need Wagtail 7.4 LTS or 8, which need Django 5.2. Everything else is
``tests.settings`` as it is.
"""

from tests.settings import *  # noqa: F401,F403
from tests.settings import INSTALLED_APPS as ALL_APPS

# The pages, Wagtail's own apps and the two Wagtail brings along.
INSTALLED_APPS = [app for app in ALL_APPS if not app.startswith("wagtail") and app not in ("modelcluster", "taggit")]
