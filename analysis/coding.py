"""Integer coding of categorical columns, shared by the design and weighting code."""

from __future__ import annotations

import numpy as np
import pandas as pd


def codes(values) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (0..k-1 in sorted level order, -1 for missing) and the levels."""
    values = values if isinstance(values, pd.Series) else pd.Series(values)
    if pd.api.types.is_integer_dtype(values.dtype) and len(values):
        v = values.to_numpy(np.int64)
        lo, hi = v.min(), v.max()
        if hi - lo <= 8 * len(v) + (1 << 20):  # small range: O(n) without hashing
            code, levels = compact(v - lo, int(hi - lo) + 1)
            return code.astype(np.int64), pd.Index(levels + lo)
    code, levels = pd.factorize(values, sort=True, use_na_sentinel=True)
    return code.astype(np.int64), pd.Index(levels)


def compact(key: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """Dense codes of integer keys and the sorted distinct keys (O(n) when small)."""
    if space <= max(8 * len(key), 1 << 20):
        # a scatter store, not bincount: bincount stalls on runs of one key (sorted data)
        present = np.zeros(space, bool)
        present[key] = True
        lookup = np.cumsum(present) - 1
        return lookup[key], np.flatnonzero(present)
    uniq, inv = np.unique(key, return_inverse=True)
    return inv, uniq


def require_codes(values, name: str) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.dtype == np.int64 and values.min() >= 0:
        return values  # already codes
    code, _ = codes(values)
    if np.any(code < 0):
        raise ValueError(f"{name} has missing values")
    return code
