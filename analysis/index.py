"""Items to 0-100, respondent construct scores and construct indices.

The scoring follows the ACSI/CCSI convention (Fornell et al. 1996, "The American
Customer Satisfaction Index: nature, purpose and findings", J. Marketing 60(4)):
each item is rescaled to 0-100 with its *declared* scale, and a construct index
is a weighted mean of its items with the PLS index weights.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

MIN_ANSWERED_SHARE = 2.0 / 3.0


def rescale_items(
    data: pd.DataFrame,
    scales: Mapping[str, Iterable[float]],
    *,
    reverse: Iterable[str] = (),
) -> pd.DataFrame:
    """Rescale item columns to 0-100 with their declared scales.

    ``score = 100 * (x - lo) / (hi - lo)``, after recoding reverse-keyed items
    as ``lo + hi - x``. ``lo`` and ``hi`` come from the instrument, never from
    the data; missing ("not applicable") stays missing, never 0.

    Parameters
    ----------
    data : DataFrame
        One row per response, one column per item (raw scale values).
    scales : mapping
        Item code -> ``(lo, hi)``; only these items are returned.
    reverse : iterable of str
        Reverse-keyed item codes.

    Returns
    -------
    DataFrame
        Float columns in 0-100, same index as ``data``.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1.0, 10.0, None], "b": [0.0, 1.0, 1.0]})
    >>> rescale_items(df, {"a": (1, 10), "b": (0, 1)}, reverse=["b"])
           a      b
    0    0.0  100.0
    1  100.0    0.0
    2    NaN    0.0
    """
    # the array is new: the frame takes it without a copy
    return pd.DataFrame(_rescaled(data, scales, reverse), index=data.index,
                        columns=list(scales), copy=False)


def _rescaled(data: pd.DataFrame, scales: Mapping[str, Iterable[float]],
              reverse: Iterable[str] = ()) -> np.ndarray:
    """The (rows x items) float array of :func:`rescale_items`, items in ``scales`` order.

    One array for all items, read from the frame once (no DataFrame per item).
    """
    reverse = set(reverse)
    missing = [item for item in scales if item not in data.columns]
    if missing:
        raise ValueError(f"items not in data: {', '.join(missing)}")
    unknown = reverse - set(scales)
    if unknown:
        raise ValueError(f"reverse-keyed items without a scale: {', '.join(sorted(unknown))}")
    x = data[list(scales)].to_numpy(dtype=float, na_value=np.nan)
    out = np.empty(x.shape, order="F")  # column-major, as pandas holds a float block
    for j, (item, bounds) in enumerate(scales.items()):
        lo, hi = (float(v) for v in bounds)
        if not hi > lo:
            raise ValueError(f"scale of {item!r} must have hi > lo, got ({lo}, {hi})")
        col = x[:, j]
        if np.any((col < lo) | (col > hi)):
            raise ValueError(f"values of {item!r} outside its declared scale [{lo}, {hi}]")
        if item in reverse:
            col = lo + hi - col
        out[:, j] = 100.0 * (col - lo) / (hi - lo)
    return out


def respondent_scores(
    data: pd.DataFrame,
    blocks: Mapping[str, Iterable[str]],
    index_weights: Mapping[str, float] | pd.Series,
    scales: Mapping[str, Iterable[float]],
    *,
    reverse: Iterable[str] = (),
    min_share: float = MIN_ANSWERED_SHARE,
) -> pd.DataFrame:
    """Score each respondent on each construct, 0-100.

    ``score_j = sum_k w_k s_k / sum_k w_k`` over the *answered* items ``k`` of
    construct ``j`` (weights renormalised over the answered items), where ``s_k``
    is the 0-100 item score. The score is missing when fewer than ``min_share``
    (default two-thirds) of the construct's items were answered.

    Examples
    --------
    >>> df = pd.DataFrame({"x": [10.0, 1.0, None], "y": [1.0, None, None]})
    >>> respondent_scores(df, {"sat": ["x", "y"]}, {"x": 0.75, "y": 0.25},
    ...                   {"x": (1, 10), "y": (1, 10)}, min_share=0.5)
         sat
    0   75.0
    1    0.0
    2    NaN
    """
    if not 0.0 < min_share <= 1.0:
        raise ValueError(f"min_share must be in (0, 1], got {min_share}")
    weights = pd.Series(index_weights, dtype=float)
    items = [item for block in blocks.values() for item in block]
    absent = [item for item in items if item not in weights.index]
    if absent:
        raise ValueError(f"no index weight for items: {', '.join(absent)}")
    scored = _rescaled(data, {item: scales[item] for item in items}, reverse=reverse)
    column = {item: j for j, item in enumerate(items)}
    weight_of = weights.to_dict()
    out = {}
    for construct, block in blocks.items():
        block = list(block)
        if not block:
            raise ValueError(f"construct {construct!r} has no items")
        s = scored[:, [column[i] for i in block]]
        w = np.array([weight_of[i] for i in block], dtype=float)
        answered = ~np.isnan(s)
        wsum = answered @ w
        total = np.where(answered, s, 0.0) @ w
        with np.errstate(invalid="ignore", divide="ignore"):
            score = total / wsum
        enough = answered.sum(axis=1) >= min_share * len(block) - 1e-12
        out[construct] = np.where(enough & (wsum > 0), score, np.nan)
    return pd.DataFrame(out, index=data.index)


def construct_indices(
    data: pd.DataFrame,
    blocks: Mapping[str, Iterable[str]],
    index_weights: Mapping[str, float] | pd.Series,
    scales: Mapping[str, Iterable[float]],
    *,
    weight: str | None = None,
    reverse: Iterable[str] = (),
) -> pd.Series:
    """Construct indices (0-100) over the rows given.

    The index of construct ``j`` is the weighted (Hajek) mean of the respondent
    scores: ``I_j = sum_i v_i score_ij / sum_i v_i`` over respondents with a
    score, ``v_i`` the respondent weights (1 when ``weight`` is None).

    Examples
    --------
    >>> df = pd.DataFrame({"x": [10.0, 1.0], "y": [10.0, 4.0]})
    >>> construct_indices(df, {"sat": ["x", "y"]}, {"x": 0.5, "y": 0.5},
    ...                   {"x": (1, 10), "y": (1, 10)})
    sat    58.333333
    dtype: float64
    """
    scores = respondent_scores(data, blocks, index_weights, scales, reverse=reverse)
    v = np.ones(len(data)) if weight is None else data[weight].to_numpy(dtype=float)
    out = {}
    for construct in scores.columns:
        s = scores[construct].to_numpy()
        ok = ~np.isnan(s)
        out[construct] = float(v[ok] @ s[ok] / v[ok].sum()) if ok.any() else np.nan
    return pd.Series(out, dtype=float)
