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
"""

from oscar.core.loading import default_class_loader

VIEW_MODULE = "checkout.views"
VIEW_NAME = "PaymentDetailsView"


APPLICATOR_MODULE = "offer.applicator"
APPLICATOR_NAME = "Applicator"

HANDLER_MODULE = "order.processing"
HANDLER_NAME = "EventHandler"


def class_loader(module_label, classnames, module_prefix):
    classes = default_class_loader(module_label, classnames, module_prefix)
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
