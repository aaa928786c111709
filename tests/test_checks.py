"""The system checks: each one speaks up on the mistake it is for, and stays quiet on the test settings.

The test settings are a correctly wired shop (class loader, pipeline, beat
schedule, mounted exchange); each test breaks one thing with
``override_settings`` and calls the check as ``manage.py check`` would.
"""

import pytest
from celery import current_app
from django.contrib.auth.models import Group, Permission
from django.core.checks import Error, run_checks
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from oscar.apps.checkout import views as oscar_checkout_views
from oscar.core.loading import default_class_loader, get_class, get_class_loader

from erp_sync import checks as erp_checks
from oscar_loyalty import checks
from oscar_loyalty.checkout import loading
from oscar_loyalty.checkout.mixins import PointsPaymentMixin
from oscar_loyalty.checkout.promotions.applicator import Applicator as LoyaltyApplicator
from oscar_loyalty.checkout.views import PaymentDetailsView as LoyaltyPaymentDetailsView
from tests.factories import UserFactory

# This module doubles as a URLconf without the exchange.
urlpatterns = []

OSCARS_LOADER = "oscar.core.loading.default_class_loader"
REDIS_CACHE = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1"}}
LOCMEM_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


class ForkedPaymentDetailsView(oscar_checkout_views.PaymentDetailsView):
    """A shop's forked checkout view that forgot the mixin."""


class MixedInPaymentDetailsView(PointsPaymentMixin, oscar_checkout_views.PaymentDetailsView):
    """A shop's forked checkout view done right."""


def _shop_loader(view):
    def loader(module_label, classnames, module_prefix):
        classes = default_class_loader(module_label, classnames, module_prefix)
        if module_label != "checkout.views":
            return classes
        return [view if name == "PaymentDetailsView" else cls for name, cls in zip(classnames, classes, strict=True)]

    return loader


# The loaders a shop had before the loyalty one, named in OSCAR_LOYALTY_WRAPPED_CLASS_LOADER.
forked_checkout_loader = _shop_loader(ForkedPaymentDetailsView)
mixed_in_checkout_loader = _shop_loader(MixedInPaymentDetailsView)


@pytest.fixture
def fresh_class_loader():
    # Oscar keeps the loader for the life of the process; these tests change it.
    get_class_loader.cache_clear()
    yield
    get_class_loader.cache_clear()


@pytest.fixture
def celery_beat():
    conf = current_app.conf
    saved = conf.beat_schedule
    yield conf
    conf.beat_schedule = saved


def ids(messages):
    return [message.id for message in messages]


# --- The good configuration -------------------------------------------------------


@pytest.mark.django_db
def test_a_correctly_wired_shop_passes_every_check(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    UserFactory(username="exchange").user_permissions.add(_exchange_permission())

    with override_settings(ERP_SYNC_EXCHANGE_USERNAME="exchange"):
        messages = run_checks(databases=["default"])

    ours = [m for m in messages if m.id.startswith(("oscar_loyalty.", "erp_sync.")) and not m.is_silenced()]
    assert ours == []


# --- oscar_loyalty.E001, W001, W002: the class loader and the mixins ---------------------


def test_without_the_class_loader_or_the_mixins_points_cannot_be_paid(fresh_class_loader):
    with override_settings(OSCAR_DYNAMIC_CLASS_LOADER=OSCARS_LOADER):
        messages = checks.check_checkout_classes()

    assert ids(messages) == ["oscar_loyalty.E001", "oscar_loyalty.W001", "oscar_loyalty.W002"]
    error = messages[0]
    assert isinstance(error, Error)
    assert "points cannot be paid at checkout" in error.msg
    assert 'OSCAR_DYNAMIC_CLASS_LOADER = "oscar_loyalty.checkout.loading.class_loader"' in error.hint
    assert "PointsPaymentMixin" in error.hint


def test_with_the_class_loader_the_checkout_classes_pass(fresh_class_loader):
    assert checks.check_checkout_classes() == []


def test_a_forked_view_the_loader_does_not_patch_is_an_error(fresh_class_loader):
    with override_settings(OSCAR_LOYALTY_WRAPPED_CLASS_LOADER="tests.test_checks.forked_checkout_loader"):
        messages = checks.check_checkout_classes()

    assert ids(messages) == ["oscar_loyalty.E001"]
    assert "tests.test_checks.ForkedPaymentDetailsView is not Oscar's own class" in messages[0].msg
    assert messages[0].hint == (
        "Put oscar_loyalty.checkout.mixins.PointsPaymentMixin first among the bases of "
        "tests.test_checks.ForkedPaymentDetailsView."
    )


def test_a_forked_view_with_the_mixin_passes(fresh_class_loader):
    with override_settings(OSCAR_LOYALTY_WRAPPED_CLASS_LOADER="tests.test_checks.mixed_in_checkout_loader"):
        assert checks.check_checkout_classes() == []


# --- The class loader wraps the shop's previous one ---------------------------------------


def test_the_loader_asks_the_shops_previous_loader_first(fresh_class_loader):
    with override_settings(OSCAR_LOYALTY_WRAPPED_CLASS_LOADER="tests.test_checks.mixed_in_checkout_loader"):
        # The shop's own answer is kept...
        assert get_class("checkout.views", "PaymentDetailsView") is MixedInPaymentDetailsView
        # ...and Oscar's own classes among its answers are still replaced.
        assert get_class("offer.applicator", "Applicator") is LoyaltyApplicator


def test_by_default_the_loader_wraps_oscars_default_loader(fresh_class_loader):
    assert loading.wrapped_class_loader() is default_class_loader
    assert get_class("checkout.views", "PaymentDetailsView") is LoyaltyPaymentDetailsView


def test_the_loader_refuses_to_wrap_itself():
    with override_settings(OSCAR_LOYALTY_WRAPPED_CLASS_LOADER="oscar_loyalty.checkout.loading.class_loader"):
        with pytest.raises(ImproperlyConfigured, match="names the loyalty loader itself"):
            loading.class_loader("checkout.views", ["PaymentDetailsView"], "oscar.apps")


def test_a_wrapped_loader_that_cannot_be_imported_says_which_setting():
    with override_settings(OSCAR_LOYALTY_WRAPPED_CLASS_LOADER="shop.loading.no_such_loader"):
        with pytest.raises(ImproperlyConfigured, match="OSCAR_LOYALTY_WRAPPED_CLASS_LOADER = 'shop.loading"):
            loading.class_loader("checkout.views", ["PaymentDetailsView"], "oscar.apps")


# --- oscar_loyalty.W003: statuses outside the pipeline -----------------------------------


@override_settings(OSCAR_LOYALTY_ACCRUAL_STATUSES=("Completed",), OSCAR_LOYALTY_CANCEL_STATUSES=("Cancelled", "Lost"))
def test_statuses_the_pipeline_does_not_have_are_named():
    messages = checks.check_order_statuses()

    assert ids(messages) == ["oscar_loyalty.W003", "oscar_loyalty.W003"]
    accrual, cancel = messages
    assert "OSCAR_LOYALTY_ACCRUAL_STATUSES names 'Completed'" in accrual.msg
    assert "never accrued" in accrual.msg
    assert "Did you mean 'Complete'?" in accrual.hint
    assert "OSCAR_LOYALTY_CANCEL_STATUSES names 'Lost'," in cancel.msg
    assert "never undone" in cancel.msg


def test_a_status_that_is_only_a_target_in_the_pipeline_counts():
    pipeline = {"Pending": ("Complete", "Cancelled", "Returned")}
    with override_settings(OSCAR_ORDER_STATUS_PIPELINE=pipeline):
        assert checks.check_order_statuses() == []


def test_the_test_settings_statuses_pass():
    assert checks.check_order_statuses() == []


# --- oscar_loyalty.W004, erp_sync.W002: per-process caches behind the throttles ---------------


@override_settings(CACHES=LOCMEM_CACHE)
def test_a_local_memory_cache_under_the_throttles_is_named():
    loyalty, erp = checks.check_throttle_cache(), erp_checks.check_throttle_cache()

    assert ids(loyalty) == ["oscar_loyalty.W004"]
    assert "local-memory cache: each process counts wrong secret code guesses on its own" in loyalty[0].msg
    assert "RedisCache" in loyalty[0].hint
    assert ids(erp) == ["erp_sync.W002"]
    assert "failed logins to the 1C exchange" in erp[0].msg


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}})
def test_a_dummy_cache_means_no_limit_at_all():
    messages = checks.check_throttle_cache()

    assert ids(messages) == ["oscar_loyalty.W004"]
    assert "wrong secret code guesses are never limited" in messages[0].msg


@override_settings(CACHES=REDIS_CACHE)
def test_a_shared_cache_passes():
    assert checks.check_throttle_cache() == []
    assert erp_checks.check_throttle_cache() == []


@override_settings(CACHES=LOCMEM_CACHE, ERP_SYNC_EXCHANGE_LOGIN_FAILURES_PER_ADDRESS=0)
@override_settings(ERP_SYNC_EXCHANGE_LOGIN_FAILURES_PER_USER=0)
def test_without_login_limits_the_exchange_needs_no_shared_cache():
    assert erp_checks.check_throttle_cache() == []


def test_the_test_settings_silence_the_cache_checks():
    messages = [m for m in run_checks() if m.id in ("oscar_loyalty.W004", "erp_sync.W002")]

    assert sorted(ids(messages)) == ["erp_sync.W002", "oscar_loyalty.W004"]
    assert all(m.is_silenced() for m in messages)


# --- oscar_loyalty.W005, erp_sync.W001: unknown setting names --------------------------------


@override_settings(OSCAR_LOYALTY_HOLD_DAY=3, OSCAR_LOYALTY_FROBNICATE=True)
def test_a_misspelt_loyalty_setting_gets_a_suggestion():
    messages = sorted(checks.check_settings_names(), key=lambda m: m.msg)

    assert ids(messages) == ["oscar_loyalty.W005", "oscar_loyalty.W005"]
    frobnicate, hold_day = messages
    assert hold_day.msg == "OSCAR_LOYALTY_HOLD_DAY is not a setting this app reads: it has no effect."
    assert hold_day.hint == "Did you mean OSCAR_LOYALTY_HOLD_DAYS?"
    assert frobnicate.msg.startswith("OSCAR_LOYALTY_FROBNICATE is not a setting")
    assert "docs/settings.rst" in frobnicate.hint


@override_settings(ERP_SYNC_EXCHANGE_USERNAM="exchange", ERP_SYNC_SOAP_URL="http://erp.example.com/ws")
def test_a_misspelt_erp_setting_gets_a_suggestion():
    messages = erp_checks.check_settings_names()

    assert ids(messages) == ["erp_sync.W001"]
    assert messages[0].hint == "Did you mean ERP_SYNC_EXCHANGE_USERNAME?"


@override_settings(ERP_SYNC_BEAT_SCHEDULE={}, ERP_SYNC_DASHBOARD_ENTRY={}, ERP_SYNC_WEB_PROCESSES=1)
def test_the_names_the_readme_imports_into_settings_are_no_typos():
    assert erp_checks.check_settings_names() == []


# --- oscar_loyalty.W006, erp_sync.W003: the beat schedule ----------------------------------


def _without(task):
    return {key: entry for key, entry in current_app.conf.beat_schedule.items() if entry["task"] != task}


def test_a_beat_schedule_without_the_tasks_is_named(celery_beat):
    schedule = _without("oscar_loyalty.expire_lots")
    schedule = {key: entry for key, entry in schedule.items() if not entry["task"].startswith("erp_sync.")}
    celery_beat.beat_schedule = schedule

    with override_settings(CELERY_BEAT_SCHEDULE=schedule):
        loyalty, erp = checks.check_beat_schedule(), erp_checks.check_beat_schedule()

    assert ids(loyalty) == ["oscar_loyalty.W006"]
    assert "lacks these periodic tasks: oscar_loyalty.expire_lots." in loyalty[0].msg
    assert "oscar_loyalty.tasks.BEAT_SCHEDULE" in loyalty[0].hint
    assert ids(erp) == ["erp_sync.W003"]
    assert "erp_sync.pull_erp_changes, erp_sync.sweep_outbox." in erp[0].msg
    assert "erp_sync.tasks.BEAT_SCHEDULE" in erp[0].hint


def test_tasks_scheduled_on_the_celery_app_alone_count(celery_beat):
    with override_settings(CELERY_BEAT_SCHEDULE={}):
        assert checks.check_beat_schedule() == []
        assert erp_checks.check_beat_schedule() == []


def test_tasks_in_the_settings_alone_count(celery_beat):
    celery_beat.beat_schedule = {}
    assert checks.check_beat_schedule() == []
    assert erp_checks.check_beat_schedule() == []


# --- erp_sync.W004: the exchange user and its permission (a database check) --------------------


def _exchange_permission():
    return Permission.objects.get(codename="exchange_orders", content_type__app_label="erp_sync")


def exchange_user_check():
    return erp_checks.check_exchange_user(databases=["default"])


@pytest.mark.django_db
def test_a_fresh_database_has_no_one_to_check_yet():
    assert exchange_user_check() == []


@pytest.mark.django_db
@override_settings(ERP_SYNC_EXCHANGE_USERNAME="exchange")
def test_the_named_exchange_user_must_exist():
    UserFactory(username="manager")

    messages = exchange_user_check()

    assert ids(messages) == ["erp_sync.W004"]
    assert "ERP_SYNC_EXCHANGE_USERNAME names 'exchange', but there is no such user." in messages[0].msg
    assert messages[0].hint.startswith("Create the user, then: Grant the permission erp_sync.exchange_orders")


@pytest.mark.django_db
@override_settings(ERP_SYNC_EXCHANGE_USERNAME="exchange")
def test_the_named_exchange_user_needs_the_permission_even_as_a_superuser():
    UserFactory(username="exchange", is_superuser=True, is_staff=True)

    messages = exchange_user_check()

    assert ids(messages) == ["erp_sync.W004"]
    assert "The exchange user 'exchange' lacks the permission erp_sync.exchange_orders." in messages[0].msg
    assert "a superuser is not let in without it" in messages[0].hint


@pytest.mark.django_db
@override_settings(ERP_SYNC_EXCHANGE_USERNAME="exchange")
def test_the_named_exchange_user_must_be_active():
    user = UserFactory(username="exchange", is_active=False)
    user.user_permissions.add(_exchange_permission())

    assert "is not active" in exchange_user_check()[0].msg


@pytest.mark.django_db
@override_settings(ERP_SYNC_EXCHANGE_USERNAME="exchange")
def test_the_named_exchange_user_with_the_permission_passes():
    UserFactory(username="exchange").user_permissions.add(_exchange_permission())

    assert exchange_user_check() == []


@pytest.mark.django_db
def test_without_a_named_user_someone_active_must_hold_the_permission():
    UserFactory(is_active=False).user_permissions.add(_exchange_permission())

    messages = exchange_user_check()

    assert ids(messages) == ["erp_sync.W004"]
    assert "No active user holds the permission erp_sync.exchange_orders." in messages[0].msg


@pytest.mark.django_db
def test_without_a_named_user_a_group_member_with_the_permission_passes():
    group = Group.objects.create(name="Accounting system")
    group.permissions.add(_exchange_permission())
    UserFactory().groups.add(group)

    assert exchange_user_check() == []


@pytest.mark.django_db
def test_a_plain_check_does_not_read_the_database():
    UserFactory(username="manager")

    assert erp_checks.check_exchange_user(databases=None) == []
    assert "erp_sync.W004" not in ids(run_checks())


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="tests.test_checks")
def test_without_the_exchange_mounted_no_one_needs_the_permission():
    UserFactory(username="manager")

    assert exchange_user_check() == []


# --- erp_sync.W005: the exchange folder with several web processes ------------------------------


@override_settings(ERP_SYNC_WEB_PROCESSES=4)
def test_several_processes_with_the_default_temporary_folder_are_warned():
    messages = erp_checks.check_exchange_dir()

    assert ids(messages) == ["erp_sync.W005"]
    assert "ERP_SYNC_EXCHANGE_DIR is not set" in messages[0].msg
    assert "4 web processes" in messages[0].msg
    assert "every web process shares" in messages[0].hint


def test_a_folder_under_the_temporary_directory_is_warned(tmp_path):
    with override_settings(ERP_SYNC_WEB_PROCESSES=2, ERP_SYNC_EXCHANGE_DIR=str(tmp_path / "exchange")):
        messages = erp_checks.check_exchange_dir()

    assert ids(messages) == ["erp_sync.W005"]
    assert "is in the system's temporary directory" in messages[0].msg


@override_settings(ERP_SYNC_WEB_PROCESSES=2, ERP_SYNC_EXCHANGE_DIR="var/exchange")
def test_a_relative_folder_is_warned():
    assert "is a relative path" in erp_checks.check_exchange_dir()[0].msg


def test_web_concurrency_counts_the_processes(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")

    assert ids(erp_checks.check_exchange_dir()) == ["erp_sync.W005"]


def test_a_shared_absolute_folder_passes():
    # Outside the temporary directory wherever the checkout is (CI clones into one).
    shared = "/srv/shop/erp-exchange"
    with override_settings(ERP_SYNC_WEB_PROCESSES=4, ERP_SYNC_EXCHANGE_DIR=shared):
        assert erp_checks.check_exchange_dir() == []


def test_one_process_may_use_the_temporary_folder(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)

    assert erp_checks.check_exchange_dir() == []


@override_settings(ERP_SYNC_WEB_PROCESSES=4, ROOT_URLCONF="tests.test_checks")
def test_without_the_exchange_mounted_the_folder_does_not_matter():
    assert erp_checks.check_exchange_dir() == []


# --- oscar_loyalty.W007: the point codes' own key (check --deploy) ------------------------------


def test_deploy_checks_ask_for_a_point_code_key_of_its_own():
    with override_settings(OSCAR_LOYALTY_POINT_CODE_HASH_KEY=None):
        assert "oscar_loyalty.W007" not in {m.id for m in run_checks()}
        deploy = [m for m in run_checks(include_deployment_checks=True) if m.id == "oscar_loyalty.W007"]
    assert len(deploy) == 1
    assert "SECRET_KEY" in deploy[0].msg and "OSCAR_LOYALTY_POINT_CODE_HASH_KEY" in deploy[0].hint

    with override_settings(OSCAR_LOYALTY_POINT_CODE_HASH_KEY="a key of its own"):
        assert "oscar_loyalty.W007" not in {m.id for m in run_checks(include_deployment_checks=True)}
