"""System checks of the accounting system exchange, each with the fix in its hint.

The exchange user's check reads the database, so it is tagged ``database``:
``migrate`` and ``check --database default`` run it, a plain ``check`` does not.
"""

import os
import tempfile

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.checks import Tags, register
from django.core.checks import Warning as CheckWarning
from django.db import DatabaseError, router
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from erp_sync.exchange.settings import DEFAULTS as EXCHANGE_DEFAULTS
from erp_sync.exchange.settings import exchange_settings
from erp_sync.soap.settings import DEFAULTS as SOAP_DEFAULTS
from oscar_loyalty.checks import missing_beat_tasks, per_process_cache_problem, unknown_settings

# Names the install checklist has shops import into their settings module; they are not settings.
NOT_SETTINGS = ("ERP_SYNC_BEAT_SCHEDULE", "ERP_SYNC_DASHBOARD_ENTRY")


@register()
def check_settings_names(app_configs=None, **kwargs):
    """W001: every ERP_SYNC_* setting is one the exchange reads (a typo is silently ignored)."""
    return unknown_settings("ERP_SYNC_", {**EXCHANGE_DEFAULTS, **SOAP_DEFAULTS}, "erp_sync.W001", NOT_SETTINGS)


@register(Tags.caches)
def check_throttle_cache(app_configs=None, **kwargs):
    """W002: the exchange's login limit counts in a cache every process shares."""
    if not (
        exchange_settings.EXCHANGE_LOGIN_FAILURES_PER_ADDRESS or exchange_settings.EXCHANGE_LOGIN_FAILURES_PER_USER
    ):
        return []
    problem = per_process_cache_problem(_("failed logins to the 1C exchange"))
    return [CheckWarning(problem[0], hint=problem[1], id="erp_sync.W002")] if problem else []


@register()
def check_beat_schedule(app_configs=None, **kwargs):
    """W003: Celery beat runs the outbox sweep and the pull of the accounting system's changes."""
    from erp_sync.tasks import BEAT_SCHEDULE

    return missing_beat_tasks(
        BEAT_SCHEDULE,
        "erp_sync.tasks",
        consequence=_(
            "Without them a movement that failed to go out is never sent again, and corrections made "
            "in the accounting system never reach the shop."
        ),
        check_id="erp_sync.W003",
    )


@register(Tags.database)
def check_exchange_user(app_configs=None, databases=None, **kwargs):
    """W004: someone can log in to the mounted exchange: the configured user, holding the permission."""
    from django.contrib.auth.models import Permission

    from erp_sync.exchange.services import PERMISSION_APP, PERMISSION_CODENAME, is_exchange_user

    User = get_user_model()
    alias = router.db_for_read(User)
    if not databases or alias not in databases or not exchange_mounted():
        return []
    users = User._default_manager.using(alias)
    permission = f"{PERMISSION_APP}.{PERMISSION_CODENAME}"
    username = exchange_settings.EXCHANGE_USERNAME
    hint = _(
        'Grant the permission %(permission)s ("Can exchange orders with the accounting system") to the '
        "accounting system's user, explicitly or through a group: a superuser is not let in without it."
    ) % {"permission": permission}
    try:
        if not users.exists():
            return []  # A fresh database (the first migrate): no one to check yet.
        if username:
            user = users.filter(**{User.USERNAME_FIELD: username}).first()
            if user is None:
                message = _("ERP_SYNC_EXCHANGE_USERNAME names %(user)r, but there is no such user.")
                hint = _("Create the user, then: %(hint)s") % {"hint": hint}
            elif not user.is_active:
                message = _("The exchange user %(user)r (ERP_SYNC_EXCHANGE_USERNAME) is not active.")
                hint = _("Activate the user in the admin.")
            elif not is_exchange_user(user):
                message = _("The exchange user %(user)r lacks the permission %(permission)s.")
            else:
                return []
        else:
            holders = Permission.objects.using(alias).filter(
                codename=PERMISSION_CODENAME, content_type__app_label=PERMISSION_APP
            )
            if holders.filter(user__is_active=True).exists() or holders.filter(group__user__is_active=True).exists():
                return []
            message = _("No active user holds the permission %(permission)s.")
    except DatabaseError:
        return []  # Tables not migrated yet: migrate reports its own progress.
    message = (
        message % {"user": username, "permission": permission}
        + " "
        + _("The accounting system cannot log in to the exchange.")
    )
    return [CheckWarning(message, hint=hint, id="erp_sync.W004")]


@register(Tags.files)
def check_exchange_dir(app_configs=None, **kwargs):
    """W005: with several web processes, the exchange's files are in a directory they all share."""
    processes = web_processes()
    if processes <= 1 or not exchange_mounted():
        return []
    configured = getattr(settings, "ERP_SYNC_EXCHANGE_DIR", None)
    directory = exchange_settings.EXCHANGE_DIR
    if configured and os.path.isabs(directory) and not _is_within(directory, tempfile.gettempdir()):
        return []
    if not configured:
        where = _("is not set, so the exchange keeps its files in the system's temporary directory")
    elif not os.path.isabs(directory):
        where = _("is a relative path, so each process resolves it against its own working directory")
    else:
        where = _("is in the system's temporary directory")
    return [
        CheckWarning(
            _(
                "ERP_SYNC_EXCHANGE_DIR %(where)s, and %(processes)d web processes serve the shop: the accounting "
                "system uploads a file in several requests, and the process that imports it must see every part. "
                "A temporary directory may be private to a container or a service (systemd's PrivateTmp) and "
                "is cleaned without notice."
            )
            % {"where": where, "processes": processes},
            hint=_(
                "Set ERP_SYNC_EXCHANGE_DIR to an absolute path of a directory every web process shares "
                "(not under MEDIA_ROOT: nothing uploaded may be served)."
            ),
            id="erp_sync.W005",
        )
    ]


def web_processes():
    """ERP_SYNC_WEB_PROCESSES, else the WEB_CONCURRENCY environment variable (gunicorn's), else 1."""
    configured = exchange_settings.WEB_PROCESSES
    if configured is not None:
        return int(configured)
    try:
        return int(os.environ.get("WEB_CONCURRENCY") or 1)
    except ValueError:
        return 1


def exchange_mounted():
    """Whether the project's URLconf serves the CommerceML exchange."""
    from erp_sync.exchange.views import exchange_view

    for name in ("erp-exchange", exchange_view):
        try:
            reverse(name)
        except NoReverseMatch:
            continue
        return True
    return False


def _is_within(path, folder):
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return os.path.commonpath([path, folder]) == folder
