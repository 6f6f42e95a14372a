"""Spreadsheet cells that cannot run as formulas: used by every CSV and XLSX export."""

from __future__ import annotations

import pandas as pd

# Excel and LibreOffice read a cell starting with one of these as a formula (CSV/formula
# injection, OWASP); a leading tab or carriage return is stripped by some of them first.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """The value, or for text that a spreadsheet would run as a formula, the text after a '."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells are all neutralised (numeric columns untouched)."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].astype(object).map(neutralise)
    return out
