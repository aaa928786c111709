import pytest
from oscar.core.loading import get_model

from oscar_loyalty.notifications.sms import LocmemBackend
from tests.celery_app import app
from tests.factories import UserFactory

NotificationPreference = get_model("oscar_loyalty", "NotificationPreference")


@pytest.fixture(autouse=True)
def eager_tasks(request):
    """Tasks run in-process, except in the tests that start a real worker.

    Without propagation, an eager task's retries run at once, one after the
    other, as a worker would run them after their countdowns (with it, Celery
    raises ``Retry`` to the caller instead).
    """
    if request.node.get_closest_marker("redis"):
        yield
        return
    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture(autouse=True)
def sms_outbox():
    LocmemBackend.outbox = []
    yield LocmemBackend.outbox
    LocmemBackend.outbox = []


@pytest.fixture
def customer(db):
    """A customer who gave a phone number: reachable by e-mail and by SMS."""
    user = UserFactory()
    NotificationPreference.objects.create(user=user, phone="+79161234567")
    return user
