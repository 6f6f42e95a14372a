"""Design-based means and composites of a DataFrame column: the public face of
:mod:`analysis.design` (weights, strata, PSUs, fpc, domains and calibration by name).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from analysis import calibration as cal_mod
from analysis.coding import codes
from analysis.design import domain_composites, prepare_design


def survey_mean(
    data: pd.DataFrame,
    column: str,
    *,
    weight: str | None = None,
    strata: str | None = None,
    psu: str | None = None,
    fpc: str | None = None,
    by: str | Sequence[str] | None = None,
    calibrate: Sequence[str] | None = None,
    base_weight: str | None = None,
    calibration_group: str | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Design-based (Hajek) mean with a linearised standard error.

    ``ybar = sum_i w_i y_i / sum_i w_i``; its variance is the stratified
    ultimate-cluster variance of ``z_i = (y_i - ybar) / sum w`` (see the module
    docstring; Lumley 2010, section 2.4 and 3.2). ``by`` groups are domains
    estimated over the whole design, as R's ``svyby``. ``fpc`` gives population
    PSU counts per stratum (or sampling fractions). With ``calibrate`` (columns
    the weights were raked or post-stratified on, within ``calibration_group``
    from ``base_weight``) the SE uses the calibration residuals
    (Deville & Saerndal 1992). The CI uses a t quantile on ``df`` = PSUs minus
    strata touched by the domain. ``n_eff`` is Kish's ``(sum w)^2 / sum w^2``.

    Examples
    --------
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0]})
    >>> survey_mean(df, "y").round(4)
       estimate     se   df  ci_low  ci_high    n  n_eff
    0       2.5  0.6455  3.0  0.4457   4.5543  4.0    4.0
    """
    design, dom, levels, y, by_cols = _frame_design(
        data, column, weight, strata, psu, fpc, by, calibrate, base_weight, calibration_group)
    out = domain_composites(design, y, dom, level=level)
    if by_cols:
        idx = (pd.MultiIndex.from_tuples(list(levels), names=by_cols) if len(by_cols) > 1
               else pd.Index(levels, name=by_cols[0]))
        out.index = idx
    return out


def _frame_design(data, column, weight, strata, psu, fpc, by, calibrate, base_weight,
                  calibration_group):
    """Prepared design, domain codes and outcome from DataFrame columns."""
    need = [column] + [c for c in (weight, strata, psu, fpc, base_weight, calibration_group)
                       if c is not None]
    by_cols = [by] if isinstance(by, str) else list(by or [])
    absent = [c for c in need + by_cols + list(calibrate or []) if c not in data.columns]
    if absent:
        raise ValueError(f"columns not in data: {', '.join(absent)}")
    if len(data) == 0:
        raise ValueError("no rows")
    memo = {}

    def coded(col):
        if col not in memo:
            memo[col] = codes(data[col])
        return memo[col]

    w = np.ones(len(data)) if weight is None else data[weight].to_numpy(float, na_value=np.nan)
    cal = None
    if calibrate:
        d0 = w if base_weight is None else data[base_weight].to_numpy(float, na_value=np.nan)
        grp = None if calibration_group is None else data[calibration_group]
        cal = cal_mod.make_calibration(data, list(calibrate), d0, grp)
    design = prepare_design(
        w,
        None if strata is None else _checked(coded(strata)[0], "strata"),
        None if psu is None else _checked(coded(psu)[0], "psu"),
        None if fpc is None else data[fpc].to_numpy(float),
        cal,
    )
    if len(by_cols) > 1:
        dom, levels = codes(data[by_cols].astype(object).apply(tuple, axis=1))
    elif by_cols:
        dom, levels = coded(by_cols[0])
    else:
        dom, levels = np.zeros(len(data), np.int64), pd.Index([None])
    return design, dom, levels, data[column].to_numpy(float, na_value=np.nan), by_cols


def _checked(code: np.ndarray, name: str) -> np.ndarray:
    if np.any(code < 0):
        raise ValueError(f"{name} has missing values")
    return code


def survey_composite(
    data: pd.DataFrame,
    column: str,
    coefficients: pd.DataFrame,
    *,
    by: str,
    weight: str | None = None,
    strata: str | None = None,
    psu: str | None = None,
    fpc: str | None = None,
    calibrate: Sequence[str] | None = None,
    base_weight: str | None = None,
    calibration_group: str | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Fixed-weight composites ``sum_d a_ud ybar_d`` of domain means, with linearised SEs.

    ``coefficients`` has one row per composite and one column per ``by``
    level (missing columns count as 0). The SE comes from the combined
    linearised variable ``sum_d a_ud z_di``, so the covariances of the domain
    means are included (as R's ``svycontrast`` on ``svyby(..., covmat=TRUE)``).

    Examples
    --------
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 5.0], "g": ["a", "a", "b", "b"]})
    >>> survey_composite(df, "y", pd.DataFrame({"a": [0.5], "b": [0.5]}), by="g")[
    ...     ["estimate", "se"]].round(4)
       estimate      se
    0      2.75  0.4564
    """
    design, dom, levels, y, _ = _frame_design(
        data, column, weight, strata, psu, fpc, by, calibrate, base_weight, calibration_group)
    unknown = set(coefficients.columns) - set(levels)
    if unknown:
        raise ValueError(f"coefficients name unknown {by} levels: {sorted(map(str, unknown))}")
    coef = coefficients.reindex(columns=levels, fill_value=0.0).to_numpy(float)
    out = domain_composites(design, y, dom, sparse.csr_array(coef), level=level)
    out.index = coefficients.index
    return out
