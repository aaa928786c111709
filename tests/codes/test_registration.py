"""A buyer registers a code on "My bonuses": points through the ledger, one clear message per refusal."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.codes import batches, exceptions, services
from oscar_loyalty.codes import format as code_format
from tests.codes import customer_request, make_batch, make_program
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PointCode = get_model("oscar_loyalty", "PointCode")
PointCodeAttempt = get_model("oscar_loyalty", "PointCodeAttempt")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")
VolumeBonus = get_model("oscar_loyalty", "VolumeBonus")


def outcomes():
    return list(PointCodeAttempt.objects.order_by("pk").values_list("outcome", flat=True))


def test_a_registered_code_credits_the_batch_points_with_the_batch_as_reason():
    buyer = UserFactory()
    batch, codes = make_batch(points=150, name="Winter 2026", label="Hakka R5")

    registration = services.register(customer_request(buyer), codes[0])

    assert registration.points == 150
    assert ledger.get_balance(buyer).available == 150
    entry = JournalEntry.objects.get(account__user=buyer)
    assert entry.key == f"point-code:{code_format.digest(code_format.normalise(codes[0]))}"
    assert "Winter 2026" in entry.reason and "Nordic tyres" in entry.reason
    point_code = registration.point_code
    assert point_code.customer == buyer and point_code.points == 150 and point_code.registered_at is not None
    assert outcomes() == [PointCodeAttempt.REGISTERED]
    attempt = PointCodeAttempt.objects.get()
    assert attempt.code == point_code and attempt.user == buyer and attempt.ip_address == "192.0.2.10"


def test_the_code_is_read_back_whatever_its_case_and_separators():
    buyer = UserFactory()
    _batch, codes = make_batch()

    services.register(customer_request(buyer), " " + codes[1].lower().replace("-", " ") + " ")

    assert ledger.get_balance(buyer).available == 100


def test_only_hashes_are_stored():
    _batch, codes = make_batch(size=5)
    stored = " ".join(PointCode.objects.values_list("code_hash", flat=True))
    for code in codes:
        assert code_format.normalise(code) not in stored


@pytest.mark.parametrize(
    ("mangle", "error", "outcome", "words"),
    [
        (lambda code: "", exceptions.InvalidCode, PointCodeAttempt.INVALID, "enter the code"),
        (lambda code: code[:-3], exceptions.InvalidCode, PointCodeAttempt.INVALID, "16 letters and digits"),
        (
            lambda code: code[:-1] + ("2" if code[-1] != "2" else "3"),
            exceptions.MistypedCode,
            PointCodeAttempt.MISTYPED,
            "mistyped",
        ),
        (lambda code: code[:-1] + "0", exceptions.InvalidCode, PointCodeAttempt.INVALID, "no 0, O, 1 or I"),
    ],
)
def test_what_is_not_a_code_is_refused_with_its_own_message(mangle, error, outcome, words):
    buyer = UserFactory()
    _batch, codes = make_batch()

    with pytest.raises(error) as caught:
        services.register(customer_request(buyer), mangle(codes[0]))

    assert words in str(caught.value)
    assert outcomes() == [outcome]
    assert ledger.get_balance(buyer).available == 0


def test_a_well_formed_code_nobody_printed_is_unknown():
    buyer = UserFactory()
    make_batch()

    with pytest.raises(exceptions.UnknownCode, match="No code matches"):
        services.register(customer_request(buyer), code_format.display(code_format.generate()))

    assert outcomes() == [PointCodeAttempt.NOT_FOUND]


def test_a_used_code_says_so_and_tells_its_owner_when():
    first, second = UserFactory(), UserFactory()
    _batch, codes = make_batch()
    services.register(customer_request(first), codes[0])

    with pytest.raises(exceptions.CodeAlreadyRegistered, match="already been registered"):
        services.register(customer_request(second), codes[0])
    with pytest.raises(exceptions.CodeAlreadyRegistered, match="You registered this code on"):
        services.register(customer_request(first), codes[0])

    assert ledger.get_balance(first).available == 100
    assert ledger.get_balance(second).available == 0
    assert outcomes() == [PointCodeAttempt.REGISTERED] + [PointCodeAttempt.ALREADY_REGISTERED] * 2


def test_an_expired_code_says_when_it_expired():
    now = timezone.now()
    buyer = UserFactory()
    _batch, codes = make_batch(valid_from=now - timedelta(days=10), valid_until=now + timedelta(days=1), now=now)

    with pytest.raises(exceptions.CodeExpired, match="expired on"):
        services.register(customer_request(buyer), codes[0], now=now + timedelta(days=2))

    assert outcomes() == [PointCodeAttempt.EXPIRED]


def test_a_code_before_its_window_says_from_when():
    now = timezone.now()
    buyer = UserFactory()
    _batch, codes = make_batch(valid_from=now + timedelta(days=3), valid_until=now + timedelta(days=30), now=now)

    with pytest.raises(exceptions.CodeNotYetValid, match="can be registered from"):
        services.register(customer_request(buyer), codes[0], now=now)


def test_revoked_batches_and_codes_are_refused():
    buyer = UserFactory()
    batch, codes = make_batch()
    other_batch, other_codes = make_batch(name="Batch 2")
    batches.revoke_batch(batch, actor="Staff")
    batches.revoke_code(batches.find_code(other_codes[0]), actor="Staff")

    for code in (codes[0], other_codes[0]):
        with pytest.raises(exceptions.CodeRevoked, match="withdrawn"):
            services.register(customer_request(buyer), code)
    services.register(customer_request(buyer), other_codes[1])

    assert ledger.get_balance(buyer).available == 100
    assert outcomes() == [PointCodeAttempt.REVOKED, PointCodeAttempt.REVOKED, PointCodeAttempt.REGISTERED]


def test_a_blocked_account_refuses_and_the_code_stays_usable():
    buyer = UserFactory()
    _batch, codes = make_batch()
    ledger.set_blocked(buyer, True)

    with pytest.raises(exceptions.RegistrationRefused):
        services.register(customer_request(buyer), codes[0])

    assert PointCode.objects.filter(registered_at__isnull=False).count() == 0
    ledger.set_blocked(buyer, False)
    services.register(customer_request(buyer), codes[0])
    assert ledger.get_balance(buyer).available == 100


# --- The throttle ----------------------------------------------------------------


@override_settings(OSCAR_LOYALTY_POINT_CODE_ATTEMPTS_PER_USER=3, OSCAR_LOYALTY_POINT_CODE_ATTEMPTS_PER_IP=100)
def test_brute_forcing_codes_is_throttled_per_customer_and_every_attempt_is_logged():
    guesser = UserFactory()
    _batch, codes = make_batch()
    guesses = [code_format.display(code_format.generate()) for _ in range(6)]

    for guess in guesses[:3]:
        with pytest.raises(exceptions.UnknownCode):
            services.register(customer_request(guesser), guess)
    for guess in guesses[3:]:
        with pytest.raises(exceptions.TooManyAttempts, match="Too many attempts"):
            services.register(customer_request(guesser), guess)
    # Even the right code waits for the window to end.
    with pytest.raises(exceptions.TooManyAttempts):
        services.register(customer_request(guesser), codes[0])

    assert outcomes() == [PointCodeAttempt.NOT_FOUND] * 3 + [PointCodeAttempt.THROTTLED]
    assert ledger.get_balance(guesser).available == 0
    # Another customer from elsewhere is not held back.
    services.register(customer_request(UserFactory(), ip="198.51.100.7"), codes[0])


@override_settings(OSCAR_LOYALTY_POINT_CODE_ATTEMPTS_PER_USER=100, OSCAR_LOYALTY_POINT_CODE_ATTEMPTS_PER_IP=4)
def test_many_accounts_guessing_from_one_address_are_throttled_by_the_address():
    make_batch()
    for i in range(4):
        with pytest.raises(exceptions.MistypedCode):
            services.register(customer_request(UserFactory()), "ABCD-EFGH-JKLM-NPQ" + ("R" if i % 2 else "S"))

    with pytest.raises(exceptions.TooManyAttempts):
        services.register(customer_request(UserFactory()), code_format.display(code_format.generate()))


@override_settings(OSCAR_LOYALTY_POINT_CODE_ATTEMPTS_PER_USER=2)
def test_refusals_of_real_codes_do_not_count_as_guesses():
    buyer = UserFactory()
    _batch, codes = make_batch()
    services.register(customer_request(buyer), codes[0])
    for _ in range(5):
        with pytest.raises(exceptions.CodeAlreadyRegistered):
            services.register(customer_request(buyer), codes[0])

    services.register(customer_request(buyer), codes[1])


@override_settings(OSCAR_LOYALTY_POINT_CODE_ATTEMPTS_PER_USER=1, OSCAR_LOYALTY_SECRET_CODE_ATTEMPTS_PER_USER=1)
def test_point_codes_and_secret_codes_count_separately():
    from oscar_loyalty.checkout.promotions import throttle

    buyer = UserFactory()
    make_batch()
    with pytest.raises(exceptions.UnknownCode):
        services.register(customer_request(buyer), code_format.display(code_format.generate()))

    assert not throttle.take(buyer.pk, "192.0.2.10").blocked


# --- The volume bonus ---------------------------------------------------------------


def test_every_third_code_of_the_program_earns_the_extra_points_once():
    buyer = UserFactory()
    program = make_program(bonus_every=3, bonus_points=500)
    _batch, codes = make_batch(program, size=7)
    _other, more = make_batch(program, size=2, name="Batch 2")

    results = [services.register(customer_request(buyer), code) for code in codes[:4] + more]

    assert [bool(result.bonus) for result in results] == [False, False, True, False, False, True]
    assert ledger.get_balance(buyer).available == 6 * 100 + 2 * 500
    assert list(VolumeBonus.objects.order_by("threshold").values_list("threshold", "codes")) == [(1, 3), (2, 6)]


def test_a_batch_with_its_own_rule_counts_its_own_codes():
    buyer = UserFactory()
    program = make_program(bonus_every=2, bonus_points=50)
    own, own_codes = make_batch(program, size=4, bonus_every=4, bonus_points=1000, name="Own rule")
    _plain, plain_codes = make_batch(program, size=2, name="Program rule")

    for code in own_codes[:3] + plain_codes[:1]:
        services.register(customer_request(buyer), code)
    assert VolumeBonus.objects.count() == 0  # 3 of 4 in the batch, 1 of 2 in the program

    services.register(customer_request(buyer), plain_codes[1])
    services.register(customer_request(buyer), own_codes[3])

    assert sorted(VolumeBonus.objects.values_list("scope", "points")) == [
        (f"batch:{own.pk}", 1000),
        (f"program:{program.pk}", 50),
    ]


def test_a_threshold_reached_again_after_a_reversal_does_not_pay_twice():
    buyer, staff = UserFactory(), UserFactory(is_staff=True)
    program = make_program(bonus_every=2, bonus_points=300)
    _batch, codes = make_batch(program, size=3)
    services.register(customer_request(buyer), codes[0])
    second = services.register(customer_request(buyer), codes[1])
    assert second.bonus is not None

    batches.reverse_code(second.point_code, actor=staff, reason="Registered by mistake")
    again = services.register(customer_request(buyer), codes[2])

    assert again.bonus is None
    assert VolumeBonus.objects.count() == 1
    assert ledger.get_balance(buyer).available == 100 + 100 + 300


# --- Revoking and reversing (staff) ---------------------------------------------------


def test_reversing_a_code_takes_its_points_back_through_the_ledger():
    buyer, staff = UserFactory(), UserFactory(is_staff=True, first_name="Olga", last_name="Staff")
    _batch, codes = make_batch(points=120)
    registration = services.register(customer_request(buyer), codes[0])

    batches.reverse_code(registration.point_code, actor=staff, reason="Dealer's mistake")

    assert ledger.get_balance(buyer).available == 0
    reversal = JournalEntry.objects.get(account__user=buyer, points=-120)
    assert reversal.kind == JournalEntry.ADJUSTMENT and "Olga Staff" in reversal.actor_name
    assert "Dealer's mistake" in reversal.reason
    point_code = PointCode.objects.get(pk=registration.point_code.pk)
    assert point_code.reversed_at is not None and point_code.reversal_reason == "Dealer's mistake"
    with pytest.raises(exceptions.CodeRevoked, match="cancelled"):
        services.register(customer_request(buyer), codes[0])
    with pytest.raises(exceptions.CannotReverse, match="already been reversed"):
        batches.reverse_code(point_code, actor=staff, reason="Again")


def test_points_already_spent_are_not_taken_back_silently():
    buyer, staff = UserFactory(), UserFactory(is_staff=True)
    _batch, codes = make_batch(points=120)
    registration = services.register(customer_request(buyer), codes[0])
    ledger.redeem(buyer, 100, key="spend", order_number="100200")

    with pytest.raises(exceptions.CannotReverse, match="only 20 points available"):
        batches.reverse_code(registration.point_code, actor=staff, reason="Mistake")

    assert ledger.get_balance(buyer).available == 20
    assert PointCode.objects.get(pk=registration.point_code.pk).reversed_at is None


def test_an_unregistered_code_is_revoked_not_reversed_and_the_other_way_round():
    buyer, staff = UserFactory(), UserFactory(is_staff=True)
    _batch, codes = make_batch()
    registered = services.register(customer_request(buyer), codes[0]).point_code
    unregistered = batches.find_code(codes[1])

    with pytest.raises(exceptions.CannotReverse, match="not been registered"):
        batches.reverse_code(unregistered, actor=staff, reason="Mistake")
    with pytest.raises(exceptions.CannotRevoke, match="reverse it"):
        batches.revoke_code(registered, actor=staff)
    batches.revoke_code(unregistered, actor=staff)
    with pytest.raises(exceptions.CannotRevoke, match="already been revoked"):
        batches.revoke_code(unregistered, actor=staff)


def test_a_reversal_needs_a_reason():
    buyer, staff = UserFactory(), UserFactory(is_staff=True)
    _batch, codes = make_batch()
    registered = services.register(customer_request(buyer), codes[0]).point_code

    with pytest.raises(exceptions.CannotReverse, match="why"):
        batches.reverse_code(registered, actor=staff, reason="  ")


def test_a_code_typed_in_for_the_customer_records_who_typed_it():
    buyer, staff = UserFactory(), UserFactory(is_staff=True, first_name="Call", last_name="Centre")
    _batch, codes = make_batch()

    services.register_for(buyer, codes[0], acting_staff=staff)

    attempt = PointCodeAttempt.objects.get()
    assert attempt.user == buyer and attempt.ip_address is None
    assert attempt.acting_staff_name.startswith("Call Centre")
    assert ledger.get_balance(buyer).available == 100


def test_the_messages_are_in_russian_too():
    from django.utils import translation

    buyer = UserFactory()
    _batch, codes = make_batch()
    with translation.override("ru"):
        with pytest.raises(exceptions.MistypedCode, match="В коде опечатка"):
            services.register(customer_request(buyer), codes[0][:-1] + ("2" if codes[0][-1] != "2" else "3"))
        services.register(customer_request(buyer), codes[0])
        with pytest.raises(exceptions.CodeAlreadyRegistered, match="Вы уже зарегистрировали этот код"):
            services.register(customer_request(buyer), codes[0])
