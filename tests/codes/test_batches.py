"""Staff create batches and export their codes once; dealers ask for codes."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty.codes import batches, exceptions, services
from oscar_loyalty.codes import format as code_format
from tests.codes import make_batch, make_dealer, make_program
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PointCode = get_model("oscar_loyalty", "PointCode")
BatchRequest = get_model("oscar_loyalty", "BatchRequest")


def test_codes_are_made_on_export_unique_and_shown_once():
    batch, codes = make_batch(size=50, export=False)
    assert PointCode.objects.count() == 0

    codes = batches.export_codes(batch, actor="Olga")

    assert len(set(codes)) == 50
    assert all(code_format.normalise(code) for code in codes)
    assert PointCode.objects.filter(batch=batch).count() == 50
    batch.refresh_from_db()
    assert batch.exported_at is not None and batch.exported_by_name == "Olga"
    with pytest.raises(exceptions.CannotExport, match="shown only once"):
        batches.export_codes(batch, actor="Olga")
    assert PointCode.objects.count() == 50


def test_a_revoked_batch_is_not_exported():
    batch, _codes = make_batch(export=False)
    batches.revoke_batch(batch, actor="Olga")

    with pytest.raises(exceptions.CannotExport, match="revoked"):
        batches.export_codes(batch)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"name": " "}, "needs a name"),
        ({"points": 0}, "positive whole numbers"),
        ({"size": -1}, "positive whole numbers"),
        ({"size": 10_001}, "at most 10000"),
        ({"valid_until": "start"}, "after its start"),
        ({"valid_until": "past"}, "in the past"),
        ({"bonus_every": 5}, "both"),
    ],
)
def test_a_batch_that_makes_no_sense_is_refused(changes, words):
    now = timezone.now()
    program = make_program()
    fields = dict(
        name="Batch", points=100, size=10, valid_from=now - timedelta(days=10), valid_until=now + timedelta(days=10)
    )
    fields.update(changes)
    if fields["valid_until"] == "start":
        fields["valid_until"] = fields["valid_from"]
    if fields["valid_until"] == "past":
        fields["valid_until"] = now - timedelta(days=1)

    with pytest.raises(exceptions.CannotCreateBatch, match=words):
        batches.create_batch(program, now=now, **fields)


@override_settings(OSCAR_LOYALTY_POINT_CODE_MAX_BATCH_SIZE=20)
def test_the_largest_batch_is_a_setting():
    with pytest.raises(exceptions.CannotCreateBatch, match="at most 20"):
        make_batch(size=21)


def test_a_dealer_request_is_answered_with_a_batch_once():
    dealer = make_dealer(UserFactory())
    program = make_program()
    request = services.request_batch(dealer, program, size=200, comment="Spring season")
    now = timezone.now()

    batch = batches.create_batch(
        program,
        name="For Wheels & Co",
        points=100,
        size=request.size,
        valid_from=now,
        valid_until=now + timedelta(days=90),
        request=request,
        actor="Olga",
    )

    request.refresh_from_db()
    assert request.status == BatchRequest.FULFILLED and request.batch == batch
    assert batch.dealer == dealer and batch.assigned_at is not None
    with pytest.raises(exceptions.CannotCreateBatch, match="already been answered"):
        batches.create_batch(
            program,
            name="Again",
            points=1,
            size=1,
            valid_from=now,
            valid_until=now + timedelta(days=1),
            request=request,
        )
    assert services.decline(request) is False


def test_a_dealer_cannot_ask_for_an_absurd_number_of_codes():
    dealer = make_dealer()
    with pytest.raises(exceptions.CannotRequest):
        services.request_batch(dealer, make_program(), size=0)


def test_only_dealers_logins_are_dealers():
    login, stranger = UserFactory(), UserFactory()
    dealer = make_dealer(login)
    make_dealer(login, name="Closed", is_active=False)

    assert list(services.dealers_of(login)) == [dealer]
    assert list(services.dealers_of(stranger)) == []
