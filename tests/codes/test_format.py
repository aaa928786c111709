"""What a point code looks like: randomness, the check character, typing it back."""

import math

import pytest
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from oscar_loyalty.codes import format as code_format

symbols = st.sampled_from(code_format.ALPHABET)
payloads = st.text(alphabet=code_format.ALPHABET, min_size=15, max_size=15)


def test_a_code_carries_at_least_sixty_random_bits_in_a_readable_alphabet():
    assert len(set(code_format.ALPHABET)) == 32
    assert not set("0O1I") & set(code_format.ALPHABET)
    assert code_format.RANDOM_LENGTH * math.log2(len(code_format.ALPHABET)) >= 60


def test_a_generated_code_passes_its_own_check_and_reads_back():
    for _ in range(200):
        code = code_format.generate()
        assert code_format.normalise(code_format.display(code)) == code
        assert code_format.normalise(code_format.display(code).lower()) == code


@given(payloads, st.integers(0, 14), symbols)
def test_any_single_wrong_character_is_told_apart_as_a_typo(payload, position, symbol):
    code = payload + code_format.check_character(payload)
    typo = code[:position] + symbol + code[position + 1 :]
    if typo == code:
        return
    with pytest.raises(code_format.CodeFormatError) as caught:
        code_format.normalise(typo)
    assert caught.value.reason == "check"


def test_a_wrong_check_character_is_a_typo():
    code = code_format.generate()
    wrong = next(symbol for symbol in code_format.ALPHABET if symbol != code[-1])
    with pytest.raises(code_format.CodeFormatError) as caught:
        code_format.normalise(code[:-1] + wrong)
    assert caught.value.reason == "check"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("X" * 65, "too_long"),
        ("ABCD-EFGH", "format"),
        ("ABCD-EFGH-JKLM-NPQ!", "format"),
        ("ABCD-EFGH-JKLM-NPQ0", "look_alike"),
        ("OBCD-EFGH-JKLM-NPQR", "look_alike"),
    ],
)
def test_what_cannot_be_a_code_says_why(typed, reason):
    with pytest.raises(code_format.CodeFormatError) as caught:
        code_format.normalise(typed)
    assert caught.value.reason == reason


def test_separators_and_spaces_are_ignored():
    code = code_format.generate()
    spaced = " ".join(code[i : i + 4] for i in range(0, 16, 4))
    assert code_format.normalise(f"  {spaced.lower()}  ") == code
    assert code_format.normalise(code_format.display(code).replace("-", "_")) == code


def test_the_stored_hash_is_keyed():
    code = code_format.generate()
    plain_digest = code_format.digest(code)
    assert len(plain_digest) == 64
    assert code not in plain_digest
    with override_settings(OSCAR_LOYALTY_POINT_CODE_HASH_KEY="another key"):
        assert code_format.digest(code) != plain_digest
    with override_settings(SECRET_KEY="rotated"):
        assert code_format.digest(code) != plain_digest
    with override_settings(SECRET_KEY="rotated", OSCAR_LOYALTY_POINT_CODE_HASH_KEY="fixed"):
        fixed = code_format.digest(code)
    with override_settings(OSCAR_LOYALTY_POINT_CODE_HASH_KEY="fixed"):
        assert code_format.digest(code) == fixed
