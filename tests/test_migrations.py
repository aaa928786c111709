from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_every_model_change_has_a_migration():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
    except SystemExit:
        pytest.fail(f"A model change has no migration:\n{out.getvalue()}")


def _create_event_types():
    from importlib import import_module

    from django.apps import apps

    import_module("oscar_loyalty.migrations.0012_event_types").create_event_types(apps, None)


@pytest.mark.django_db
def test_migrate_creates_the_notification_texts_and_the_refund_payment_type():
    from oscar.core.loading import get_model

    CommunicationEventType = get_model("communication", "CommunicationEventType")
    PaymentEventType = get_model("order", "PaymentEventType")
    from oscar_loyalty.models import Notification

    codes = {f"LOYALTY_{event.upper()}" for event, _label in Notification.EVENT_CHOICES}
    types = CommunicationEventType.objects.filter(code__in=codes)
    assert {event_type.code for event_type in types} == codes
    # No text of their own: Oscar falls back to the shipped template files until staff write one.
    assert all(event_type.email_subject_template is None and event_type.sms_template is None for event_type in types)
    assert PaymentEventType.objects.filter(code="refund", name="Refund").exists()


@pytest.mark.django_db
def test_the_data_migration_keeps_what_the_shop_already_has():
    from oscar.core.loading import get_model

    CommunicationEventType = get_model("communication", "CommunicationEventType")
    PaymentEventType = get_model("order", "PaymentEventType")
    CommunicationEventType.objects.filter(code="LOYALTY_WELCOME").update(name="Welcome!", sms_template="Hi")
    PaymentEventType.objects.filter(code="refund").update(name="Refund of money")
    before = PaymentEventType.objects.count(), CommunicationEventType.objects.count()

    _create_event_types()
    _create_event_types()

    assert (PaymentEventType.objects.count(), CommunicationEventType.objects.count()) == before
    welcome = CommunicationEventType.objects.get(code="LOYALTY_WELCOME")
    assert (welcome.name, welcome.sms_template) == ("Welcome!", "Hi")
