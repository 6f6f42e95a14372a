"""Receipt codes: issue, verify, reuse, forgery rate and typing normalisation."""

import random

import pytest

from survey.ops import receipt_codes as rc

KEY = b"k" * 32
BATCHES = {7: ("E1", "2026Q3"), 8: ("E2", "2026Q3"), 9: ("E1", "2026Q4")}


def test_issued_codes_are_short_unambiguous_and_distinct():
    codes = rc.issue_codes(KEY, "E1", "2026Q3", 7, 500)
    assert len(set(codes)) == 500
    assert all(len(c) == 10 and not set(c) & set("ILOU") for c in codes)


def test_issued_codes_verify_for_their_enterprise_and_wave():
    for code in rc.issue_codes(KEY, "E1", "2026Q3", 7, 50, first_serial=100):
        v = rc.verify(KEY, code, "E1", "2026Q3", owner=BATCHES.get)
        assert v.ok and v.batch_id == 7 and 100 <= v.serial < 150


def test_issuing_is_deterministic_in_key_and_payload():
    a = rc.issue_codes(KEY, "E1", "2026Q3", 7, 5)
    assert a == rc.issue_codes(KEY, "E1", "2026Q3", 7, 5)
    assert a != rc.issue_codes(b"x" * 32, "E1", "2026Q3", 7, 5)


@pytest.mark.parametrize("typed", [
    "{c}", "{l}", "{c5}-{c5b}", " {c5} {c5b} ", "{l5}_{l5b}",
])
def test_typing_variants_normalise_to_the_code(typed):
    code = rc.issue_codes(KEY, "E1", "2026Q3", 7, 1)[0]
    text = typed.format(c=code, l=code.lower(), c5=code[:5], c5b=code[5:],
                        l5=code[:5].lower(), l5b=code[5:].lower())
    assert rc.normalise(text) == code
    assert rc.verify(KEY, text, "E1", "2026Q3").ok


@pytest.mark.parametrize(("typed", "canonical"), [
    ("O1IL0-ABCDE", "01110ABCDE"), ("oiL10 abcde", "01110ABCDE"),
])
def test_confusable_letters_map_to_digits(typed, canonical):
    assert rc.normalise(typed) == canonical


@pytest.mark.parametrize("typed", ["", "ABC", "ABCDEFGHJKM", "ABCDEFGHJU", "ABCDE#GHJK"])
def test_wrong_length_or_symbols_are_malformed(typed):
    v = rc.verify(KEY, typed, "E1", "2026Q3")
    assert v.status == "malformed"
    assert "10" in v.message("en") and "10" in v.message("zh_CN")


def test_code_of_another_enterprise_or_wave_is_foreign_with_its_owner():
    other = rc.issue_codes(KEY, "E2", "2026Q3", 8, 1)[0]
    later = rc.issue_codes(KEY, "E1", "2026Q4", 9, 1)[0]
    v = rc.verify(KEY, other, "E1", "2026Q3", owner=BATCHES.get)
    assert (v.status, v.enterprise_id, v.wave_id) == ("foreign", "E2", "2026Q3")
    assert rc.verify(KEY, later, "E1", "2026Q3", owner=BATCHES.get).status == "foreign"
    # without the batch lookup a foreign code cannot be told from a forged one
    assert rc.verify(KEY, other, "E1", "2026Q3").status == "forged"


def test_code_whose_tag_fits_no_owner_or_unknown_batch_is_forged():
    code = rc.issue_codes(KEY, "E1", "2026Q3", 7, 1)[0]
    assert rc.verify(KEY, code, "E1", "2026Q3", owner={}.get).status == "forged"
    misfiled = {7: ("E2", "2026Q3")}  # the tag was made for E1, not for the batch's owner
    assert rc.verify(KEY, code, "E1", "2026Q3", owner=misfiled.get).status == "forged"


def test_used_code_is_reported_and_hash_ignores_typing():
    code = rc.issue_codes(KEY, "E1", "2026Q3", 7, 2)[1]
    used = {rc.code_hash(KEY, rc.format_code(code).lower())}
    v = rc.verify(KEY, code, "E1", "2026Q3", is_used=used.__contains__)
    assert v.status == "used" and v.code_hash in used
    assert "已被使用" in v.message()
    fresh = rc.issue_codes(KEY, "E1", "2026Q3", 7, 1)[0]
    assert rc.verify(KEY, fresh, "E1", "2026Q3", is_used=used.__contains__).ok


def test_code_hash_is_stable_and_distinct():
    codes = rc.issue_codes(KEY, "E1", "2026Q3", 7, 300)
    hashes = {rc.code_hash(KEY, c) for c in codes}
    assert len(hashes) == 300
    assert rc.code_hash(KEY, codes[0]) == rc.code_hash(KEY, codes[0])
    assert len(rc.code_hash(KEY, codes[0])) == 32


def test_every_single_character_change_is_rejected():
    code = rc.issue_codes(KEY, "E1", "2026Q3", 7, 1)[0]
    for i in range(len(code)):
        for c in rc.ALPHABET:
            if c != code[i]:
                altered = code[:i] + c + code[i + 1:]
                assert not rc.verify(KEY, altered, "E1", "2026Q3", owner=BATCHES.get).ok


def test_random_codes_are_accepted_at_two_to_minus_tag_bits():
    """With an 8-bit tag the false-accept rate 1/256 is measurable: 60,000 guesses."""
    layout = rc.Layout(batch_bits=2, serial_bits=30, tag_bits=8)
    rng = random.Random(3)
    n = 60_000
    accepted = sum(rc.verify(KEY, "".join(rng.choices(rc.ALPHABET, k=layout.length)),
                             "E1", "W", layout=layout).ok for _ in range(n))
    p = 2 ** -8
    assert abs(accepted - n * p) < 4.5 * (n * p * (1 - p)) ** 0.5


def test_random_codes_under_the_default_layout_are_rejected():
    rng = random.Random(4)
    accepted = sum(rc.verify(KEY, "".join(rng.choices(rc.ALPHABET, k=10)), "E1",
                             "2026Q3").ok for _ in range(20_000))
    assert accepted <= 1  # expected 20,000 / 2**24 = 0.001


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"batch_id": -1}, "batch_id"), ({"batch_id": 2 ** 15}, "batch_id"),
    ({"count": 0}, "count"), ({"count": 2049}, "serials"), ({"first_serial": 2000}, "serials"),
])
def test_issue_rejects_out_of_range_batches_and_serials(kwargs, match):
    args = {"batch_id": 1, "count": 100} | kwargs
    with pytest.raises(ValueError, match=match):
        rc.issue_codes(KEY, "E1", "W", **args)


def test_short_key_and_bad_layout_are_refused():
    with pytest.raises(ValueError, match="16 bytes"):
        rc.issue_codes("short", "E1", "W", 1, 1)
    with pytest.raises(ValueError, match="multiple of 5"):
        rc.Layout(batch_bits=10, serial_bits=10, tag_bits=11)
    with pytest.raises(ValueError, match="malformed"):
        rc.code_hash(KEY, "nope")
