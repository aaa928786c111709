"""Oscar's payment source and event types for points, created on first use and their ids cached.

Every order paid with points records a source and an event of these types;
a get-or-create per order would cost up to five queries for two rows that
never change. Their ids are kept in Django's cache, set only once the row is
committed and forgotten when a type is deleted.
"""

import hashlib

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from oscar.core.loading import get_model

from oscar_loyalty.settings import loyalty_settings

SourceType = get_model("payment", "SourceType")
PaymentEventType = get_model("order", "PaymentEventType")

CACHE_PREFIX = "oscar_loyalty:payment-type:v1"
# A type deleted by another process whose cache is its own (local memory) is
# forgotten here after this long at the latest.
CACHE_SECONDS = 3600


def _cache_key(model, name):
    # Names may hold spaces and any letters; keys must not.
    digest = hashlib.sha256(name.encode()).hexdigest()[:32]
    return f"{CACHE_PREFIX}:{model._meta.label_lower}:{digest}"


def _type_id(model, name):
    key = _cache_key(model, name)
    type_id = cache.get(key)
    if type_id is None:
        row, created = model._default_manager.get_or_create(name=name)
        type_id = row.pk
        if created:
            # Not before the row is committed: a rolled-back row's id would stay cached.
            transaction.on_commit(lambda: cache.set(key, type_id, CACHE_SECONDS))
        else:
            cache.set(key, type_id, CACHE_SECONDS)
    return type_id


def points_source_type_id():
    """The id of the payment source type points are recorded as (``OSCAR_LOYALTY_POINTS_SOURCE_TYPE``)."""
    return _type_id(SourceType, loyalty_settings.POINTS_SOURCE_TYPE)


def payment_event_type_id(name):
    """The id of the payment event type called ``name``."""
    return _type_id(PaymentEventType, name)


@receiver(post_delete, sender=SourceType, dispatch_uid="loyalty-forget-source-type")
@receiver(post_delete, sender=PaymentEventType, dispatch_uid="loyalty-forget-event-type")
def forget_type(sender, instance, **kwargs):
    key = _cache_key(sender, instance.name)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))
