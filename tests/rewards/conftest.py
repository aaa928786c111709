import pytest
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.notifications.sms import LocmemBackend
from tests.celery_app import app
from tests.factories import UserFactory

Reward = get_model("oscar_loyalty", "Reward")
NotificationPreference = get_model("oscar_loyalty", "NotificationPreference")


@pytest.fixture(autouse=True)
def eager_tasks():
    """Notifications are delivered in-process, as soon as the transaction that queued them commits."""
    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture(autouse=True)
def sms_outbox():
    LocmemBackend.outbox = []
    yield LocmemBackend.outbox
    LocmemBackend.outbox = []


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return settings.MEDIA_ROOT


def make_reward(**fields):
    values = {
        "name": "Thermos mug",
        "image": "loyalty/rewards/mug.png",
        "description": "Keeps tea hot for six hours.",
        "kind": Reward.PHYSICAL,
        "points": 500,
        "stock": 10,
    }
    if fields.get("kind") == Reward.VOUCHER:
        values.update(name="500 roubles off", discount_type=Reward.FIXED, discount_value="500.00")
    if fields.get("kind") == Reward.WARRANTY:
        values.update(name="Extra year of warranty", warranty_months=12, warranty_terms="Repairs or replacement.")
    values.update(fields)
    return Reward.objects.create(**values)


def customer_with_points(points, **fields):
    user = UserFactory(**fields)
    NotificationPreference.objects.create(user=user, phone="+79161234567")
    if points:
        ledger.accrue(user, points, key=f"seed:{user.pk}", reason="Welcome", hold_days=0, now=timezone.now())
    return user


@pytest.fixture
def reward(db):
    return make_reward()


@pytest.fixture
def customer(db):
    return customer_with_points(2000)
