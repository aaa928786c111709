"""A bare Oscar shop: Oscar's documented project settings, then the README's "Install into your shop".

Everything above the marked line is what any Oscar shop has before it installs
the loyalty program (Oscar's "Building your own shop"); everything below it is
the README's checklist, word for word (tests/test_bare_shop.py compares them).
"""

import os
from pathlib import Path

from oscar.defaults import *  # noqa: F403

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "bare-shop-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
SITE_ID = 1
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("BARE_SHOP_DATABASE", "bare_shop"),
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": "5432",
    }
}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "oscar.apps.basket.middleware.BasketMiddleware",
    "django.contrib.flatpages.middleware.FlatpageFallbackMiddleware",
]
AUTHENTICATION_BACKENDS = (
    "oscar.apps.customer.auth_backends.EmailBackend",
    "django.contrib.auth.backends.ModelBackend",
)
ROOT_URLCONF = "shop.urls"
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
HAYSTACK_CONNECTIONS = {"default": {"ENGINE": "haystack.backends.simple_backend.SimpleEngine"}}

USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Moscow"
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ru", "Russian")]
STATIC_URL = "/static/"
MEDIA_ROOT = BASE_DIR / "media"
MEDIA_URL = "/media/"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

OSCAR_DEFAULT_CURRENCY = "RUB"
OSCAR_INITIAL_ORDER_STATUS = "Pending"
OSCAR_INITIAL_LINE_STATUS = "Pending"
OSCAR_ORDER_STATUS_PIPELINE = {
    "Pending": ("Being processed", "Cancelled"),
    "Being processed": ("Complete", "Cancelled"),
    "Complete": (),
    "Cancelled": (),
}
OSCAR_LINE_STATUS_PIPELINE = OSCAR_ORDER_STATUS_PIPELINE

# Development: tasks run in the web process (the smoke test has no worker).  # shop's own
CELERY_TASK_ALWAYS_EAGER = True  # shop's own

# --- The README's "Install into your shop", step 2 -----------------------------------------------------

from oscar import INSTALLED_APPS as OSCAR_INSTALLED_APPS
from oscar.defaults import OSCAR_DASHBOARD_NAVIGATION as OSCAR_DEFAULT_DASHBOARD_NAVIGATION

from oscar_loyalty.dashboard.nav import LOYALTY_NAVIGATION
from oscar_loyalty.tasks import BEAT_SCHEDULE as LOYALTY_BEAT_SCHEDULE

INSTALLED_APPS = [
    *[app for app in OSCAR_INSTALLED_APPS if app.startswith("django.")],
    "oscar_loyalty.apps.LoyaltyConfig",
    "oscar_loyalty.dashboard.apps.LoyaltyDashboardConfig",
    *[app for app in OSCAR_INSTALLED_APPS if not app.startswith("django.")],
    "sorl.thumbnail",  # or "easy_thumbnails": the thumbnailer the shop uses; then the shop's own apps
]

# Oscar's PaymentDetailsView, EventHandler and Applicator, with points, refunds and secret codes.
OSCAR_DYNAMIC_CLASS_LOADER = "oscar_loyalty.checkout.loading.class_loader"
OSCAR_DASHBOARD_NAVIGATION = [*OSCAR_DEFAULT_DASHBOARD_NAVIGATION, LOYALTY_NAVIGATION]

# An order earns its points at these statuses and gives them back at these: both must be in
# OSCAR_ORDER_STATUS_PIPELINE.
OSCAR_LOYALTY_ACCRUAL_STATUSES = ("Complete",)
OSCAR_LOYALTY_CANCEL_STATUSES = ("Cancelled",)

# A cache every process shares: wrong secret-code attempts are counted there.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/1",
    }
}

# Celery reads the CELERY_* settings; beat runs the program's periodic tasks.
CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
CELERY_BEAT_SCHEDULE = {**LOYALTY_BEAT_SCHEDULE}
