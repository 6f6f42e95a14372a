"""Masking personal data in customers' comments before an enterprise sees them (pure).

Recognised: Chinese mobile numbers (with +86/0086, spaces or dashes), landlines with an
area code, 18-digit resident ID numbers (final X), e-mail addresses, vehicle plates
(including the 8-character new-energy plates) and bank-card numbers of 16 to 19 digits.
Each match becomes a bracketed label naming what was removed. Numbers are matched only
as whole runs of digits, so prices, times and counts in ordinary text stay as written.
"""

from __future__ import annotations

import re

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
SEP = r"[\s\-]?"
PLATE_LETTER = "A-HJ-NP-Za-hj-np-z"

PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    ("email", re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")),
    # ID numbers before card numbers: an 18-digit ID is also a plausible card length.
    ("id", re.compile(rf"(?<![0-9A-Za-z])\d{{6}}{SEP}\d{{8}}{SEP}\d{{3}}[0-9Xx](?![0-9A-Za-z])")),
    ("card", re.compile(r"(?<!\d)\d{4}(?:[\s\-]?\d{4}){3}(?:[\s\-]?\d{1,3})?(?!\d)")),
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


def mask(text: str | None) -> str:
    """`text` with every recognised piece of personal data replaced by its label."""
    if not text:
        return ""
    for kind, pattern in PATTERNS:
        text = pattern.sub(LABELS[kind], text)
    return text


def findings(text: str) -> list[str]:
    """The kinds of personal data found in `text`, in pattern order (for tests and audits)."""
    return [kind for kind, pattern in PATTERNS if pattern.search(text or "")]
