"""Settings for the test suite: Oscar plus the loyalty apps, nothing more.

The database and broker come from the environment so the same suite runs on
SQLite (the default) and on the real PostgreSQL/Redis in CI.
"""

import os
from pathlib import Path

import dj_database_url
from oscar import INSTALLED_APPS as OSCAR_INSTALLED_APPS
from oscar.defaults import *  # noqa: F401,F403
from oscar.defaults import OSCAR_DASHBOARD_NAVIGATION as OSCAR_DEFAULT_DASHBOARD_NAVIGATION

from erp_sync.tasks import BEAT_SCHEDULE as ERP_BEAT_SCHEDULE
from oscar_loyalty.dashboard.nav import LOYALTY_NAVIGATION
from oscar_loyalty.tasks import BEAT_SCHEDULE as LOYALTY_BEAT_SCHEDULE

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
SITE_ID = 1
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'test.sqlite3'}"),
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"].endswith("postgresql") and os.environ.get("DATABASE_SERVER_SIDE_BINDING", "1") == "1":
    # What docs/ledger.rst recommends on PostgreSQL: parameters bound by the server, and the statements a
    # connection repeats prepared. `make test-oldest` runs with DATABASE_SERVER_SIDE_BINDING=0, so the
    # plugin's SQL is proven both ways.
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME", "test_oscar_loyalty")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"]["NAME"] = str(BASE_DIR / f"{DATABASES['default']['TEST']['NAME']}.sqlite3")

# Django's apps, then the plugin's (before Oscar's, so its templates win), then Oscar's.
INSTALLED_APPS = [
    *[app for app in OSCAR_INSTALLED_APPS if app.startswith("django.")],
    "oscar_loyalty.apps.LoyaltyConfig",
    "oscar_loyalty.dashboard.apps.LoyaltyDashboardConfig",
    "erp_sync.apps.ErpSyncConfig",
    *[app for app in OSCAR_INSTALLED_APPS if not app.startswith("django.")],
    "sorl.thumbnail",
    # The program's public pages, and the parts of Wagtail they need.
    "wagtail_pages.apps.WagtailPagesConfig",
    "wagtail.snippets",
    "wagtail.users",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "oscar.apps.basket.middleware.BasketMiddleware",
]

AUTHENTICATION_BACKENDS = (
    "oscar.apps.customer.auth_backends.EmailBackend",
    "django.contrib.auth.backends.ModelBackend",
)

ROOT_URLCONF = "tests.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "oscar.apps.search.context_processors.search_form",
                "oscar.apps.checkout.context_processors.checkout",
                "oscar.apps.communication.notifications.context_processors.notifications",
                "oscar.core.context_processors.metadata",
            ],
        },
    }
]

STATIC_URL = "/static/"
MEDIA_ROOT = str(BASE_DIR / "media")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
OSCAR_LOYALTY_SMS_BACKEND = "oscar_loyalty.notifications.sms.LocmemBackend"

HAYSTACK_CONNECTIONS = {
    "default": {"ENGINE": "haystack.backends.simple_backend.SimpleEngine"},
}
HAYSTACK_SIGNAL_PROCESSOR = "haystack.signals.BaseSignalProcessor"

# Eager unless a real broker is given; the task tests start a real worker then.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "memory://")
CELERY_RESULT_BACKEND = os.environ.get(
    "CELERY_RESULT_BACKEND", CELERY_BROKER_URL.replace("memory://", "cache+memory://")
)
CELERY_TASK_ALWAYS_EAGER = "CELERY_BROKER_URL" not in os.environ
CELERY_TASK_EAGER_PROPAGATES = True
# As a shop has it (the system checks look for it); no test runs beat.
CELERY_BEAT_SCHEDULE = {**LOYALTY_BEAT_SCHEDULE, **ERP_BEAT_SCHEDULE}

OSCAR_DEFAULT_CURRENCY = "RUB"
# Points as a means of payment in Oscar's own checkout (no fork needed).
OSCAR_DYNAMIC_CLASS_LOADER = "oscar_loyalty.checkout.loading.class_loader"
OSCAR_INITIAL_ORDER_STATUS = "Pending"
OSCAR_INITIAL_LINE_STATUS = "Pending"
OSCAR_ORDER_STATUS_PIPELINE = {
    "Pending": ("Being processed", "Complete", "Cancelled"),
    "Being processed": ("Complete", "Cancelled"),
    "Complete": ("Being processed", "Returned", "Cancelled"),
    "Cancelled": (),
    "Returned": (),
}
OSCAR_LINE_STATUS_PIPELINE = OSCAR_ORDER_STATUS_PIPELINE

# Wagtail: the program pages in English and Russian, one tree per language.
WAGTAIL_SITE_NAME = "Loyalty tests"
WAGTAILADMIN_BASE_URL = "http://testserver"
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = [("en", "English"), ("ru", "Russian")]
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}

# The loyalty section of the dashboard menu.
OSCAR_DASHBOARD_NAVIGATION = [*OSCAR_DEFAULT_DASHBOARD_NAVIGATION, LOYALTY_NAVIGATION]

# The suite runs in one process, on the local-memory cache: the throttles' limits hold there.
SILENCED_SYSTEM_CHECKS = ["oscar_loyalty.W004", "erp_sync.W002"]
