"""统一社会信用代码 (unified social credit code) validation, GB 32100-2015.

Layout of the 18 characters: registration authority (1), organisation type (1),
administrative division (6 digits), organisation code (9, GB 11714 with its own check
character) and the check character (1).

>>> is_valid("91350100M000100Y43")
True
>>> is_valid("91350100M000100Y44")
False
"""

from __future__ import annotations

import re

# The 31 characters allowed by GB 32100-2015 (no I, O, S, V, Z).
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# Position weights 3^(i-1) mod 31 for i = 1..17.
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
# GB 11714 organisation-code weights for its first eight characters.
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_SHAPE = re.compile(r"^[1-9A-GY][1-9A-Z][0-9]{6}[0-9A-Z]{9}[0-9A-Z]$")


def check_character(first17: str) -> str:
    """The GB 32100 check character: C18 = 31 − (Σ Cᵢ·Wᵢ mod 31), 31 → 0.

    >>> check_character("91350100M000100Y4")
    '3'
    """
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def org_check_character(first8: str) -> str:
    """The GB 11714 check character of an organisation code: 11 − (Σ cᵢ·wᵢ mod 11).

    Letters count as A=10 … Z=35; a result of 10 is written X and 11 is written 0.

    >>> org_check_character("M000100Y")
    '4'
    """
    total = sum(int(ch, 36) * w for ch, w in zip(first8, ORG_WEIGHTS, strict=True))
    c = 11 - total % 11
    return {10: "X", 11: "0"}.get(c, str(c))


def problem(code: str) -> str | None:
    """Why `code` is not a valid unified social credit code, or None when it is."""
    if len(code) != 18:
        return "must be 18 characters"
    if any(ch not in _VALUE for ch in code):
        return "contains a character outside the GB 32100 set (I, O, S, V, Z are never used)"
    if not _SHAPE.match(code):
        return "registration authority, organisation type or division code is malformed"
    if org_check_character(code[8:16]) != code[16]:
        return "organisation code (characters 9–17) fails its GB 11714 check"
    if check_character(code[:17]) != code[17]:
        return "check character (18th) does not match"
    return None


def is_valid(code: str) -> bool:
    """True when `code` is a well-formed unified social credit code."""
    return problem(code) is None


def normalise(code: str) -> str:
    """Strip blanks and upper-case, as codes are often typed."""
    return re.sub(r"\s+", "", code or "").upper()


def make_code(division: str, org8: str, *, authority: str = "9", org_type: str = "1") -> str:
    """Build a valid code from its parts (used by the demo and tests).

    >>> is_valid(make_code("210213", "MA0ABC12"))
    True
    """
    first16 = authority + org_type + division + org8
    if len(first16) != 16 or any(ch not in _VALUE for ch in first16):
        raise ValueError(f"cannot build a credit code from {first16!r}")
    org = org8 + org_check_character(org8)
    first17 = authority + org_type + division + org
    return first17 + check_character(first17)
