"""System checks: what a shop's wiring gets wrong, each with the fix in its hint.

``python manage.py check`` runs them (``migrate`` and ``runserver`` too). Every
message has a stable id, listed in docs/checks.rst; a shop that knows better
silences one with ``SILENCED_SYSTEM_CHECKS``. The helpers at the bottom are
shared with ``erp_sync.checks``.
"""

import difflib

from celery import current_app
from django.conf import settings
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.checks import Error, Tags, register
from django.core.checks import Warning as CheckWarning
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from oscar.core.loading import get_class

from oscar_loyalty.settings import DEFAULTS, loyalty_settings

LOADER = "oscar_loyalty.checkout.loading.class_loader"


@register()
def check_checkout_classes(app_configs=None, **kwargs):
    """E001, W001, W002: the checkout view, the offer applicator and the order event handler have the mixins."""
    from oscar_loyalty.checkout.mixins import PointsPaymentMixin
    from oscar_loyalty.checkout.promotions.applicator import SecretCodeApplicatorMixin
    from oscar_loyalty.checkout.refunds import PointsRefundMixin

    loader_active = _loyalty_loader_active()
    wanted = [
        (
            "checkout.views",
            "PaymentDetailsView",
            PointsPaymentMixin,
            Error,
            "oscar_loyalty.E001",
            _("points cannot be paid at checkout"),
        ),
        (
            "offer.applicator",
            "Applicator",
            SecretCodeApplicatorMixin,
            CheckWarning,
            "oscar_loyalty.W001",
            _("a secret code cannot bring back the promotions of the order it replaces"),
        ),
        (
            "order.processing",
            "EventHandler",
            PointsRefundMixin,
            CheckWarning,
            "oscar_loyalty.W002",
            _("a refund entered in the dashboard gives no points back"),
        ),
    ]
    messages = []
    for module_label, name, mixin, level, check_id, consequence in wanted:
        cls = get_class(module_label, name)
        if issubclass(cls, mixin):
            continue
        context = {
            "class": f"{cls.__module__}.{cls.__qualname__}",
            "mixin": f"{mixin.__module__}.{mixin.__qualname__}",
            "consequence": consequence,
            "loader": LOADER,
        }
        if loader_active:
            # The loader replaces only Oscar's own class: this one is a fork's.
            msg = _(
                "%(class)s is not Oscar's own class, so the loyalty class loader leaves it alone, "
                "and it does not include %(mixin)s: %(consequence)s."
            )
            hint = _("Put %(mixin)s first among the bases of %(class)s.")
        else:
            msg = _("Neither the loyalty class loader nor %(mixin)s is active in %(class)s: %(consequence)s.")
            hint = _(
                'Set OSCAR_DYNAMIC_CLASS_LOADER = "%(loader)s" (a loader the shop already had goes into '
                "OSCAR_LOYALTY_WRAPPED_CLASS_LOADER), or, in a forked app, put %(mixin)s first among "
                "the bases of %(class)s."
            )
        messages.append(level(msg % context, hint=hint % context, id=check_id))
    return messages


@register()
def check_order_statuses(app_configs=None, **kwargs):
    """W003: the statuses that accrue and undo points are ones an order can have."""
    pipeline = getattr(settings, "OSCAR_ORDER_STATUS_PIPELINE", None) or {}
    known = set(pipeline)
    for targets in pipeline.values():
        known.update(targets)
    messages = []
    for name in ("ACCRUAL_STATUSES", "CANCEL_STATUSES"):
        missing = [status for status in getattr(loyalty_settings, name) if status not in known]
        if not missing:
            continue
        suggestions = sorted({match for status in missing for match in difflib.get_close_matches(status, known)})
        hint = _("Add them to OSCAR_ORDER_STATUS_PIPELINE, or name statuses it has in OSCAR_LOYALTY_%(name)s.") % {
            "name": name
        }
        if suggestions:
            hint += " " + _("Did you mean %(statuses)s?") % {"statuses": ", ".join(map(repr, suggestions))}
        messages.append(
            CheckWarning(
                _(
                    "OSCAR_LOYALTY_%(name)s names %(statuses)s, which OSCAR_ORDER_STATUS_PIPELINE does not have: "
                    "orders never reach them, so their points are never %(effect)s."
                )
                % {
                    "name": name,
                    "statuses": ", ".join(map(repr, missing)),
                    "effect": _("accrued") if name == "ACCRUAL_STATUSES" else _("undone"),
                },
                hint=hint,
                id="oscar_loyalty.W003",
            )
        )
    return messages


@register(Tags.caches)
def check_throttle_cache(app_configs=None, **kwargs):
    """W004: the secret code throttle counts in a cache every process shares."""
    problem = per_process_cache_problem(_("wrong secret code guesses"))
    return [CheckWarning(problem[0], hint=problem[1], id="oscar_loyalty.W004")] if problem else []


@register()
def check_settings_names(app_configs=None, **kwargs):
    """W005: every OSCAR_LOYALTY_* setting is one the program reads (a typo is silently ignored)."""
    return unknown_settings("OSCAR_LOYALTY_", DEFAULTS, "oscar_loyalty.W005")


@register()
def check_beat_schedule(app_configs=None, **kwargs):
    """W006: Celery beat runs the program's periodic tasks."""
    from oscar_loyalty.tasks import BEAT_SCHEDULE

    return missing_beat_tasks(
        BEAT_SCHEDULE,
        "oscar_loyalty.tasks",
        consequence=_(
            "Without them points never become available or expire, abandoned checkouts keep their points "
            "and tiers are not reviewed."
        ),
        check_id="oscar_loyalty.W006",
    )


@register(Tags.security, deploy=True)
def check_point_code_key(app_configs=None, **kwargs):
    """W007 (``check --deploy``): point codes are hashed with a key of their own, not ``SECRET_KEY``."""
    if loyalty_settings.POINT_CODE_HASH_KEY:
        return []
    return [
        CheckWarning(
            _(
                "Point codes are stored as hashes keyed by SECRET_KEY: rotating SECRET_KEY makes every code "
                "already printed unknown."
            ),
            hint=_(
                "Set OSCAR_LOYALTY_POINT_CODE_HASH_KEY to a key of its own before the first codes are printed; "
                "if some are printed already, set it to the current SECRET_KEY, which keeps them valid."
            ),
            id="oscar_loyalty.W007",
        )
    ]


def _loyalty_loader_active():
    from oscar_loyalty.checkout.loading import class_loader

    path = getattr(settings, "OSCAR_DYNAMIC_CLASS_LOADER", "")
    try:
        return import_string(path) is class_loader
    except ImportError:
        return False


# --- Shared with erp_sync.checks ------------------------------------------------------


def per_process_cache_problem(what):
    """(message, hint) when the default cache cannot count ``what`` across processes, else None."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    try:
        backend_class = import_string(backend)
    except ImportError:
        return None  # Django's own cache checks report it.
    if issubclass(backend_class, DummyCache):
        message = _("The default cache is Django's dummy cache, which keeps nothing: %(what)s are never limited.")
    elif issubclass(backend_class, LocMemCache):
        message = _(
            "The default cache is Django's local-memory cache: each process counts %(what)s on its own, "
            "so the limit grows with the number of processes and starts again at every restart."
        )
    else:
        return None
    hint = _(
        "Use a cache every process shares for CACHES['default'] (Redis: "
        "django.core.cache.backends.redis.RedisCache, or memcached). A single-process demo may silence this check."
    )
    return message % {"what": what}, hint


def unknown_settings(prefix, defaults, check_id, not_settings=()):
    """A warning for each ``prefix`` setting that is neither in ``defaults`` nor in ``not_settings``."""
    known = [prefix + name for name in defaults]
    messages = []
    for name in dir(settings):
        if not name.startswith(prefix) or name in known or name in not_settings:
            continue
        # Without the shared prefix, which would make every name look alike.
        matches = difflib.get_close_matches(name.removeprefix(prefix), list(defaults), n=1)
        if matches:
            hint = _("Did you mean %(name)s?") % {"name": prefix + matches[0]}
        else:
            hint = _("Remove it, or see the settings reference (docs/settings.rst) for the names this app reads.")
        messages.append(
            CheckWarning(
                _("%(name)s is not a setting this app reads: it has no effect.") % {"name": name},
                hint=hint,
                id=check_id,
            )
        )
    return messages


def scheduled_task_names():
    """The task names on the beat schedule: the current Celery app's, and ``CELERY_BEAT_SCHEDULE``."""
    schedules = [current_app.conf.beat_schedule or {}, getattr(settings, "CELERY_BEAT_SCHEDULE", None) or {}]
    return {entry.get("task") for schedule in schedules for entry in schedule.values()}


def missing_beat_tasks(required, module, *, consequence, check_id):
    """A warning naming the tasks of ``required`` (a beat schedule) that are not scheduled, and ``consequence``."""
    scheduled = scheduled_task_names()
    missing = sorted(entry["task"] for entry in required.values() if entry["task"] not in scheduled)
    if not missing:
        return []
    message = _("The Celery beat schedule lacks these periodic tasks: %(tasks)s.") % {"tasks": ", ".join(missing)}
    hint = _(
        "Add %(module)s.BEAT_SCHEDULE's entries to CELERY_BEAT_SCHEDULE in settings (or "
        "app.conf.beat_schedule.update(BEAT_SCHEDULE) in the Celery app). If another scheduler runs them "
        "(django-celery-beat's admin), silence this check."
    ) % {"module": module}
    return [CheckWarning(f"{message} {consequence}", hint=hint, id=check_id)]
