"""A class loader that puts the points payment into Oscar's checkout without a fork.

Set in the shop's settings::

    OSCAR_DYNAMIC_CLASS_LOADER = "oscar_loyalty.checkout.loading.class_loader"

It answers like Oscar's ``default_class_loader``, except that Oscar's own
``checkout.views.PaymentDetailsView`` becomes the plugin's subclass of it,
and Oscar's own ``offer.applicator.Applicator`` the plugin's (which adds the
promotions secret codes bring back), and Oscar's own
``order.processing.EventHandler`` the plugin's (refunds entered in the
dashboard give points back). A shop whose fork defines its own class
keeps it (and mixes in ``PointsPaymentMixin``, ``SecretCodeApplicatorMixin``
or ``PointsRefundMixin`` itself). Oscar caches the loader for
the life of the process, so the setting takes effect at start-up.

A shop that already had a loader of its own names it in
``OSCAR_LOYALTY_WRAPPED_CLASS_LOADER``: this loader asks it first and only
replaces Oscar's own classes among its answers. The system check
``oscar_loyalty.E001`` reports a ``PaymentDetailsView`` that is neither
Oscar's nor has the mixin (a fork this loader leaves alone).
"""

from functools import lru_cache

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
from oscar.core.loading import default_class_loader

from oscar_loyalty.settings import loyalty_settings

VIEW_MODULE = "checkout.views"
VIEW_NAME = "PaymentDetailsView"


APPLICATOR_MODULE = "offer.applicator"
APPLICATOR_NAME = "Applicator"

HANDLER_MODULE = "order.processing"
HANDLER_NAME = "EventHandler"


def class_loader(module_label, classnames, module_prefix):
    classes = wrapped_class_loader()(module_label, classnames, module_prefix)
    if module_label == APPLICATOR_MODULE and APPLICATOR_NAME in classnames:
        return _replace_applicator(classnames, classes)
    if module_label == HANDLER_MODULE and HANDLER_NAME in classnames:
        return _replace_handler(classnames, classes)
    if module_label != VIEW_MODULE or VIEW_NAME not in classnames:
        return classes
    from oscar.apps.checkout import views as oscar_views

    from oscar_loyalty.checkout.views import PaymentDetailsView

    return [
        PaymentDetailsView if name == VIEW_NAME and cls is oscar_views.PaymentDetailsView else cls
        for name, cls in zip(classnames, classes, strict=True)
    ]


def wrapped_class_loader():
    """The loader this one asks first: ``OSCAR_LOYALTY_WRAPPED_CLASS_LOADER``, else Oscar's default."""
    path = loyalty_settings.WRAPPED_CLASS_LOADER
    # Read at every call, so override_settings works; the import itself is cached.
    return _import_loader(path) if path else default_class_loader


@lru_cache(maxsize=8)
def _import_loader(path):
    try:
        loader = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"OSCAR_LOYALTY_WRAPPED_CLASS_LOADER = {path!r} cannot be imported: {exc}") from exc
    if loader is class_loader:
        # Asking itself would recurse for ever.
        raise ImproperlyConfigured(
            "OSCAR_LOYALTY_WRAPPED_CLASS_LOADER names the loyalty loader itself: name the shop's previous "
            "loader there (or leave it unset for Oscar's default), and the loyalty loader in "
            "OSCAR_DYNAMIC_CLASS_LOADER."
        )
    return loader


def _replace_applicator(classnames, classes):
    # Oscar's offer applicator, with the ended promotions secret codes bring back.
    from oscar.apps.offer import applicator as oscar_applicator

    from oscar_loyalty.checkout.promotions.applicator import Applicator

    return [
        Applicator if name == APPLICATOR_NAME and cls is oscar_applicator.Applicator else cls
        for name, cls in zip(classnames, classes, strict=True)
    ]


def _replace_handler(classnames, classes):
    # Oscar's order event handler, with refunds entered in the dashboard giving points back.
    from oscar.apps.order import processing as oscar_processing

    from oscar_loyalty.checkout.refunds import EventHandler

    return [
        EventHandler if name == HANDLER_NAME and cls is oscar_processing.EventHandler else cls
        for name, cls in zip(classnames, classes, strict=True)
    ]
