"""A class loader that puts the points payment into Oscar's checkout without a fork.

Set in the shop's settings::

    OSCAR_DYNAMIC_CLASS_LOADER = "oscar_loyalty.checkout.loading.class_loader"

It answers like Oscar's ``default_class_loader``, except that Oscar's own
``checkout.views.PaymentDetailsView`` becomes the plugin's subclass of it. A
shop whose forked checkout defines its own ``PaymentDetailsView`` keeps it
(and mixes in ``PointsPaymentMixin`` itself). Oscar caches the loader for
the life of the process, so the setting takes effect at start-up.
"""

from oscar.core.loading import default_class_loader

VIEW_MODULE = "checkout.views"
VIEW_NAME = "PaymentDetailsView"


def class_loader(module_label, classnames, module_prefix):
    classes = default_class_loader(module_label, classnames, module_prefix)
    if module_label != VIEW_MODULE or VIEW_NAME not in classnames:
        return classes
    from oscar.apps.checkout import views as oscar_views

    from oscar_loyalty.checkout.views import PaymentDetailsView

    return [
        PaymentDetailsView if name == VIEW_NAME and cls is oscar_views.PaymentDetailsView else cls
        for name, cls in zip(classnames, classes, strict=True)
    ]
