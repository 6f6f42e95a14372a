"""统一社会信用代码 validation against published codes and the GB 32100-2015 rules."""

import pytest

from survey.ops.uscc import check_character, is_valid, make_code, normalise, problem

# Codes printed on the public business licences of well-known companies.
PUBLISHED = [
    "91350100M000100Y43",  # the worked example in GB 32100-2015 explanatory material
    "9144030071526726XG",  # Shenzhen Tencent Computer Systems Co., Ltd.
    "91330100799655058B",  # Alibaba (China) Co., Ltd.
    "91110000100010433L",
    "91110108551385082Q",
]


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code):
    assert problem(code) is None


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91350100M000100Y4", "18 characters"),
        ("91350100M000100Y433", "18 characters"),
        ("91350100M000100Y44", "check character"),
        ("91350100M000100Y4I", "outside the GB 32100 set"),
        ("9135010OM000100Y43", "outside the GB 32100 set"),
        ("91350100M000100Z43", "outside the GB 32100 set"),
        ("H1350100M000100Y43", "malformed"),
        ("913501X0M000100Y43", "malformed"),
        ("91350100M000100Y53", "GB 11714"),
        ("", "18 characters"),
    ],
)
def test_invalid_codes_say_why(code, reason):
    assert reason in problem(code)


def test_every_single_character_change_is_caught():
    code = "91350100M000100Y43"
    for pos in range(18):
        for ch in "0123456789ABCDEFGHJKLMNPQRTUWXY":
            if ch != code[pos]:
                assert not is_valid(code[:pos] + ch + code[pos + 1:])


def test_check_character_of_31_is_zero():
    # Find a body whose weighted sum is a multiple of 31: its check character is '0'.
    for n in range(10_000):
        body = f"91210213MA{n:06d}"
        org = make_code("210213", f"MA{n:06d}")[8:17]
        first17 = body[:8] + org
        if check_character(first17) == "0":
            assert is_valid(first17 + "0")
            return
    pytest.fail("no body with check character 0 found")


def test_normalise_strips_blanks_and_uppercases():
    assert normalise(" 9144 0300 7152 6726xg ") == "9144030071526726XG"
