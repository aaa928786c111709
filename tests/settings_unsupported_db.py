"""The core shop on a database the plugin does not support (see ``tests/unsupported_db``)."""

import os

from tests.settings_core import *  # noqa: F401,F403

DATABASES = {"default": {"ENGINE": "tests.unsupported_db", "NAME": os.environ["UNSUPPORTED_DB_PATH"]}}
