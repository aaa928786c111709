"""Paying part of an order with points in Oscar's checkout.

A shop on Oscar's own checkout sets ``OSCAR_DYNAMIC_CLASS_LOADER`` to
``oscar_loyalty.checkout.loading.class_loader``; a shop with a forked
checkout mixes :class:`oscar_loyalty.checkout.mixins.PointsPaymentMixin`
into its own ``PaymentDetailsView``.
"""
