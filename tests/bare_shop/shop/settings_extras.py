"""The bare shop with the optional parts: the README's blocks for the [wagtail] and [erp] extras, word for word."""

from shop.settings import *  # noqa: F403

ROOT_URLCONF = "shop.urls_extras"

# --- The README's "Optional: the program's pages" --------------------------------------------------------

from wagtail_pages.dashboard import NAVIGATION_ENTRY as LOYALTY_PAGES_NAVIGATION

INSTALLED_APPS += [
    "wagtail_pages.apps.WagtailPagesConfig",
    "wagtail.contrib.simple_translation",
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
]
WAGTAIL_SITE_NAME = "My shop"
WAGTAILADMIN_BASE_URL = "https://shop.example.com"
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
OSCAR_DASHBOARD_NAVIGATION += [LOYALTY_PAGES_NAVIGATION]

# --- The README's "Optional: the 1C exchange and bonus balances in the accounting system" ----------------

import os

from erp_sync.exchange.nav import NAVIGATION_ENTRY as ERP_EXCHANGE_NAVIGATION
from erp_sync.soap.nav import NAVIGATION_ENTRY as ERP_SOAP_NAVIGATION
from erp_sync.tasks import BEAT_SCHEDULE as ERP_SYNC_BEAT_SCHEDULE

INSTALLED_APPS += ["erp_sync.apps.ErpSyncConfig"]
OSCAR_DASHBOARD_NAVIGATION += [ERP_SOAP_NAVIGATION, ERP_EXCHANGE_NAVIGATION]
CELERY_BEAT_SCHEDULE = {**CELERY_BEAT_SCHEDULE, **ERP_SYNC_BEAT_SCHEDULE}

# The user 1C signs in as at /erp/exchange/, and where its uploads wait: a folder every web process sees.
ERP_SYNC_EXCHANGE_USERNAME = "exchange"
ERP_SYNC_EXCHANGE_DIR = BASE_DIR / "erp-exchange"

# The accounting system's loyalty web service; while the address is unset, movements wait in the outbox.
ERP_SYNC_SOAP_URL = os.environ.get("ERP_SYNC_SOAP_URL")  # https://erp.example.com/trade/ws/loyalty.1cws
ERP_SYNC_SOAP_USERNAME = os.environ.get("ERP_SYNC_SOAP_USERNAME")
ERP_SYNC_SOAP_PASSWORD = os.environ.get("ERP_SYNC_SOAP_PASSWORD")
