"""Number, date and label formatting for the bulletin (Chinese conventions)."""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re

CONSTRUCTS_ZH = {"image": "企业形象", "expectation": "顾客预期", "quality": "感知质量",
                 "value": "感知价值", "satisfaction": "顾客满意", "complaint": "顾客抱怨",
                 "loyalty": "顾客忠诚"}
VERDICT_KEYS = ("met", "not_met", "not_different")
INSUFFICIENT = "样本不足"
DASH = "—"


def is_number(value) -> bool:
    """True for a finite real number, numpy scalars included (None, NaN, pd.NA are not)."""
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and math.isfinite(value))


def num(value, digits: int = 1) -> str:
    """``value`` with ``digits`` decimals, or a dash when missing.

    >>> num(82.5947), num(float("nan")), num(3, 0)
    ('82.6', '—', '3')
    """
    return f"{value:.{digits}f}" if is_number(value) else DASH


def signed(value, digits: int = 1) -> str:
    """A change with its sign: +1.2, -0.4, 0.0.

    >>> signed(1.23), signed(-0.44), signed(None)
    ('+1.2', '-0.4', '—')
    """
    if not is_number(value):
        return DASH
    text = f"{value:+.{digits}f}"
    return text[1:] if float(text) == 0 else text


def interval(low, high, digits: int = 1) -> str:
    """A confidence interval as ``low–high``.

    >>> interval(81.62, 83.57)
    '81.6–83.6'
    """
    if not (is_number(low) and is_number(high)):
        return DASH
    return f"{low:.{digits}f}–{high:.{digits}f}"


def count(value) -> str:
    """An integer count with thousands separators.

    >>> count(3154.0)
    '3,154'
    """
    return f"{int(value):,}" if is_number(value) else DASH


def issue_label(issue_no, date: dt.date) -> str:
    """Issue number as printed: 2026年第4期 (a string is kept as given).

    >>> issue_label(4, dt.date(2026, 11, 30))
    '2026年第4期'
    """
    if isinstance(issue_no, str):
        return issue_no
    if not isinstance(issue_no, int) or issue_no < 1:
        raise ValueError("issue_no must be a positive integer or a string")
    return f"{date.year}年第{issue_no}期"


def date_label(date: dt.date) -> str:
    """A date as 2026年11月30日.

    >>> date_label(dt.date(2026, 1, 5))
    '2026年1月5日'
    """
    return f"{date.year}年{date.month}月{date.day}日"


def wave_label(code: str) -> str:
    """A quarterly wave code as 2026年第3季度; other codes are kept.

    >>> wave_label("2026Q3"), wave_label("2026H1")
    ('2026年第3季度', '2026H1')
    """
    m = re.fullmatch(r"(\d{4})Q([1-4])", code or "")
    return f"{m[1]}年第{m[2]}季度" if m else code


def percent(value, digits: int = 0) -> str:
    """A share as a percentage.

    >>> percent(0.95)
    '95%'
    """
    return f"{100 * value:.{digits}f}%" if is_number(value) else DASH
