"""Masking personal data in customers' comments before an enterprise sees them (pure).

Recognised: Chinese mobile numbers (with +86/0086, spaces or dashes), landlines with an
area code, 18-digit resident ID numbers (final X), e-mail addresses, vehicle plates
(including the 8-character new-energy plates) and bank-card numbers of 16 to 19 digits.
Each match becomes a bracketed label naming what was removed. Numbers are matched only
as whole runs of digits, so prices, times and counts in ordinary text stay as written.

Matching reads a normalised view of the text — NFKC (full-width １３８ and ＠ become 138
and @), zero-width characters and soft hyphens dropped — and numbers may be separated by
spaces, dashes, dots, slashes or middle dots; the labels replace the matching span of the
text as written, so the rest keeps its full-width punctuation.
"""

from __future__ import annotations

import re
import unicodedata

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
SEP = r"[\s\-./·•_]?"
# Invisible characters a writer may slip between digits to dodge the patterns.
INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u2061\u2062\u2063")
PLATE_LETTER = "A-HJ-NP-Za-hj-np-z"

PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    ("email", re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")),
    # ID numbers before card numbers: an 18-digit ID is also a plausible card length.
    ("id", re.compile(rf"(?<![0-9A-Za-z])\d{{6}}{SEP}\d{{8}}{SEP}\d{{3}}[0-9Xx](?![0-9A-Za-z])")),
    ("card", re.compile(rf"(?<!\d)\d{{4}}(?:{SEP}\d{{4}}){{3}}(?:{SEP}\d{{1,3}})?(?!\d)")),
    ("mobile", re.compile(
        rf"(?<![\d+])(?:(?:\+|00)86{SEP})?1[3-9]\d(?:{SEP}\d){{8}}(?!\d)")),
    ("landline", re.compile(
        rf"(?<![\d+])(?:(?:\+|00)86{SEP})?(?:\(0?\d{{2,3}}\)|（0?\d{{2,3}}）|0\d{{2,3}})"
        rf"{SEP}\d{{3,4}}{SEP}\d{{4}}(?!\d)")),
    ("plate", re.compile(
        rf"[{PROVINCES}][{PLATE_LETTER}][\s·•\-]?"
        rf"(?:[DFdf][{PLATE_LETTER}0-9]\d{{4}}|\d{{5}}[DFdf]|[{PLATE_LETTER}0-9]{{4}}"
        rf"[{PLATE_LETTER}0-9挂学警港澳])(?![A-Za-z0-9])")),
)
LABELS = {"email": "〔邮箱已隐藏〕", "id": "〔证件号已隐藏〕", "card": "〔卡号已隐藏〕",
          "mobile": "〔电话已隐藏〕", "landline": "〔电话已隐藏〕", "plate": "〔车牌已隐藏〕"}


def normalised(text: str) -> tuple[str, list[int]]:
    """The text matching reads (NFKC, invisible characters dropped) and, for each of its
    characters, the index of the character of `text` it came from."""
    chars: list[str] = []
    origin: list[int] = []
    for i, c in enumerate(text):
        if c in INVISIBLE:
            continue
        n = unicodedata.normalize("NFKC", c) if ord(c) > 0x7F else c
        chars.extend(n)
        origin.extend([i] * len(n))
    return "".join(chars), origin


def _spans(text: str) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, kind) spans of `text` to mask, in pattern order."""
    view, origin = normalised(text)
    taken: list[tuple[int, int, str]] = []
    for kind, pattern in PATTERNS:
        for m in pattern.finditer(view):
            if m.end() == m.start():
                continue
            start, end = origin[m.start()], origin[m.end() - 1] + 1
            if all(end <= a or start >= b for a, b, _k in taken):
                taken.append((start, end, kind))
    return sorted(taken)


def mask(text: str | None) -> str:
    """`text` with every recognised piece of personal data replaced by its label."""
    if not text:
        return ""
    out, at = [], 0
    for start, end, kind in _spans(text):
        out += [text[at:start], LABELS[kind]]
        at = end
    out.append(text[at:])
    return "".join(out)


def findings(text: str) -> list[str]:
    """The kinds of personal data found in `text`, in pattern order (for tests and audits)."""
    view = normalised(text or "")[0]
    return [kind for kind, pattern in PATTERNS if pattern.search(view)]
