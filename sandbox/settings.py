"""Settings of the demo shop: Oscar, Wagtail and the loyalty program.

For local demonstration only (``DEBUG`` on, a public secret key). The database
and the Celery broker come from the environment, so the same project runs on
the embedded SQLite file and in-process tasks (the default) or on PostgreSQL
and Redis::

    DATABASE_URL=postgres://shop:shop@localhost/shop \
    CELERY_BROKER_URL=redis://localhost:6379/0 make demo
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _
from oscar import INSTALLED_APPS as OSCAR_INSTALLED_APPS
from oscar.defaults import *  # noqa: F401,F403
from oscar.defaults import OSCAR_DASHBOARD_NAVIGATION as OSCAR_DEFAULT_DASHBOARD_NAVIGATION
from oscar.defaults import OSCAR_SEARCH_FACETS as OSCAR_DEFAULT_SEARCH_FACETS

from erp_sync.exchange.nav import NAVIGATION_ENTRY as ERP_EXCHANGE_DASHBOARD_ENTRY
from erp_sync.soap.nav import NAVIGATION_ENTRY as ERP_SYNC_DASHBOARD_ENTRY
from erp_sync.tasks import BEAT_SCHEDULE as ERP_SYNC_BEAT_SCHEDULE
from oscar_loyalty.dashboard.nav import LOYALTY_NAVIGATION
from oscar_loyalty.tasks import BEAT_SCHEDULE as LOYALTY_BEAT_SCHEDULE
from wagtail_pages.dashboard import NAVIGATION_ENTRY as LOYALTY_PAGES_DASHBOARD_ENTRY

SANDBOX_DIR = Path(__file__).resolve().parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "sandbox-only-not-secret")
DEBUG = True
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
SITE_ID = 1
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{SANDBOX_DIR / 'db.sqlite3'}"),
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Parameters bound by the server and repeated statements prepared (docs/ledger.rst, "On PostgreSQL").
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}

# Django's apps, then the plugin's (before Oscar's, so its templates win), then Oscar's.
INSTALLED_APPS = [
    *[app for app in OSCAR_INSTALLED_APPS if app.startswith("django.")],
    "oscar_loyalty.apps.LoyaltyConfig",
    "oscar_loyalty.dashboard.apps.LoyaltyDashboardConfig",
    "erp_sync.apps.ErpSyncConfig",
    *[app for app in OSCAR_INSTALLED_APPS if not app.startswith("django.")],
    "sorl.thumbnail",
    # Wagtail serves the loyalty program's content pages.
    "wagtail_pages.apps.WagtailPagesConfig",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    # "Translate" in the page editor: copies a page into the other language's tree.
    "wagtail.contrib.simple_translation",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # The demo-data command; the package itself never ships demo data.
    "sandbox.demo.apps.DemoConfig",
]

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
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

AUTHENTICATION_BACKENDS = (
    "oscar.apps.customer.auth_backends.EmailBackend",
    "django.contrib.auth.backends.ModelBackend",
)

ROOT_URLCONF = "sandbox.urls"
WSGI_APPLICATION = "sandbox.wsgi.application"

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

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

# Internationalisation
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Moscow"
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("ru", _("Russian")),
]
# The demo's own strings (the apps carry theirs in their packages).
LOCALE_PATHS = [SANDBOX_DIR / "locale"]

# Static files are served by ``runserver`` (DEBUG), media by the URLconf.
STATIC_URL = "/static/"
STATIC_ROOT = SANDBOX_DIR / "static_collected"
MEDIA_URL = "/media/"
MEDIA_ROOT = SANDBOX_DIR / "media"

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = "shop@example.com"
# Text messages about points are appended to sandbox/sms.log, one JSON line each.
OSCAR_LOYALTY_SMS_BACKEND = "oscar_loyalty.notifications.sms.FileBackend"
OSCAR_LOYALTY_SMS_FILE_PATH = SANDBOX_DIR / "sms.log"

# Oscar's catalogue and search pages are faceted haystack views: the simple
# backend would list no products at all.
HAYSTACK_CONNECTIONS = {
    "default": {
        "ENGINE": "haystack.backends.whoosh_backend.WhooshEngine",
        "PATH": str(SANDBOX_DIR / "whoosh_index"),
    },
}
HAYSTACK_SIGNAL_PROCESSOR = "haystack.signals.RealtimeSignalProcessor"
# Whoosh has no query facets (Oscar's price ranges); field facets work.
OSCAR_SEARCH_FACETS = {**OSCAR_DEFAULT_SEARCH_FACETS, "queries": {}}

# Celery: tasks run in-process unless a broker is configured.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "memory://")
CELERY_TASK_ALWAYS_EAGER = "CELERY_BROKER_URL" not in os.environ
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {**LOYALTY_BEAT_SCHEDULE, **ERP_SYNC_BEAT_SCHEDULE}

# No CACHES: the demo is served by one process (runserver), so the local-memory
# cache holds the secret code and exchange login limits; a shop with several
# processes needs a shared cache (Redis), which is what these checks say.
SILENCED_SYSTEM_CHECKS = ["oscar_loyalty.W004", "erp_sync.W002"]

# Oscar
OSCAR_SHOP_NAME = _("Velo Loyalty demo")
OSCAR_SHOP_TAGLINE = _("Bikes, parts and bonus points")
OSCAR_DEFAULT_CURRENCY = "RUB"
# Points as a means of payment in Oscar's own checkout (no fork needed).
OSCAR_DYNAMIC_CLASS_LOADER = "oscar_loyalty.checkout.loading.class_loader"
# "129,900.00 ₽" rather than Babel's English "RUB129,900.00".
OSCAR_CURRENCY_FORMAT = {"RUB": {"format": "#,##0.00\u00a0₽", "currency_digits": False}}
OSCAR_FROM_EMAIL = DEFAULT_FROM_EMAIL

# Status names are stored on orders, so they stay plain strings; Oscar's
# templates show them as they are.
OSCAR_INITIAL_ORDER_STATUS = "Pending"
OSCAR_INITIAL_LINE_STATUS = "Pending"
OSCAR_ORDER_STATUS_PIPELINE = {
    "Pending": ("Being processed", "Cancelled"),
    "Being processed": ("Complete", "Cancelled"),
    "Complete": ("Returned",),
    "Returned": (),
    "Cancelled": (),
}
OSCAR_LINE_STATUS_PIPELINE = OSCAR_ORDER_STATUS_PIPELINE
# Moving an order moves its lines along with it.
OSCAR_ORDER_STATUS_CASCADE = {status: status for status in OSCAR_ORDER_STATUS_PIPELINE}

# Wagtail
WAGTAIL_SITE_NAME = _("Velo Loyalty demo")
WAGTAILADMIN_BASE_URL = "http://127.0.0.1:8000"
WAGTAILSEARCH_BACKENDS = {
    "default": {"BACKEND": "wagtail.search.backends.database"},
}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "rtf", "txt", "xlsx"]
# Wagtail's page editor can post more fields than Django allows by default.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
# One page tree per language, served at the same URLs in the visitor's language.
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES

# The program's landing page (``make demo`` creates it): where "up to N bonuses" links to.
OSCAR_LOYALTY_PROGRAM_URL = "/loyalty/"

# Bonus balances over SOAP. The demo syncs with the reference accounting system
# in sandbox/erp_service, served by the demo itself at /erp-service/; in
# production these point at the 1C base's published web service.
ERP_SYNC_SOAP_URL = os.environ.get("ERP_SYNC_SOAP_URL", "http://127.0.0.1:8000/erp-service/ws/loyalty.1cws")
ERP_SYNC_SOAP_USERNAME = ERP_SERVICE_USERNAME = "erp"
ERP_SYNC_SOAP_PASSWORD = ERP_SERVICE_PASSWORD = "erp"
ERP_SYNC_SOAP_TIMEOUT = 10
# The reference accounting system's own books.
ERP_SERVICE_DB_PATH = os.environ.get("ERP_SERVICE_DB_PATH", SANDBOX_DIR / "erp_service.sqlite3")

# Oscar's dashboard, plus: the loyalty section (KPIs, points accounts, program
# settings); the program's pages in Wagtail; the accounting system (movements on
# their way, reconciliation); and the log of the 1C exchange.
OSCAR_DASHBOARD_NAVIGATION = [
    *OSCAR_DEFAULT_DASHBOARD_NAVIGATION,
    LOYALTY_NAVIGATION,
    LOYALTY_PAGES_DASHBOARD_ENTRY,
    ERP_SYNC_DASHBOARD_ENTRY,
    ERP_EXCHANGE_DASHBOARD_ENTRY,
]
# The CommerceML exchange the accounting system calls at /erp/exchange/: only this
# user (with the "exchange_orders" permission; see the demo data) gets in.
ERP_SYNC_EXCHANGE_USERNAME = "exchange"
