"""A shop with the core app alone: Oscar and ``oscar_loyalty``, no ``erp_sync``, no Wagtail pages.

Imports nothing beyond Django, Oscar, Celery and ``oscar_loyalty`` (not even
``tests.settings``, whose beat schedule comes from ``erp_sync``), so that
``tests/test_packaging.py`` can tell what the core pulls in by itself.
"""

from pathlib import Path

from oscar import INSTALLED_APPS as OSCAR_INSTALLED_APPS
from oscar.defaults import *  # noqa: F401,F403
from oscar.defaults import OSCAR_DASHBOARD_NAVIGATION as OSCAR_DEFAULT_DASHBOARD_NAVIGATION

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

# Never created: the packaging tests only check and import.
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(BASE_DIR / "core_never_created.sqlite3")}}

INSTALLED_APPS = [
    *[app for app in OSCAR_INSTALLED_APPS if app.startswith("django.")],
    "oscar_loyalty.apps.LoyaltyConfig",
    "oscar_loyalty.dashboard.apps.LoyaltyDashboardConfig",
    *[app for app in OSCAR_INSTALLED_APPS if not app.startswith("django.")],
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
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

ROOT_URLCONF = "tests.urls_core"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "oscar.apps.search.context_processors.search_form",
                "oscar.apps.checkout.context_processors.checkout",
                "oscar.apps.communication.notifications.context_processors.notifications",
                "oscar.core.context_processors.metadata",
            ],
        },
    }
]

STATIC_URL = "/static/"
HAYSTACK_CONNECTIONS = {"default": {"ENGINE": "haystack.backends.simple_backend.SimpleEngine"}}

CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BEAT_SCHEDULE = {**LOYALTY_BEAT_SCHEDULE}

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
OSCAR_DASHBOARD_NAVIGATION = [*OSCAR_DEFAULT_DASHBOARD_NAVIGATION, LOYALTY_NAVIGATION]

# One process, the local-memory cache: the throttles' limits hold there.
SILENCED_SYSTEM_CHECKS = ["oscar_loyalty.W004"]
