"""Design-based means and their linearised (Taylor) variances.

The variance estimator is the one-stage "ultimate cluster" formula used by R's
``survey`` package (Lumley 2004, J. Stat. Software 9(8); Lumley 2010, *Complex
Surveys*, ch. 2-3)::

    V(t) = sum_h (1 - f_h) n_h / (n_h - 1) sum_c (t_hc - tbar_h)^2

for a total ``t = sum_i w_i z_i`` with PSU totals ``t_hc`` in stratum ``h``
(``n_h`` PSUs, sampling fraction ``f_h``). A Hajek mean of domain ``d`` has the
linearised variable ``z_i = 1[i in d] (y_i - ybar_d) / N_d`` (Woodruff 1971),
and a fixed-weight composite ``sum_d a_d ybar_d`` the variable
``sum_d a_d z_di``, so covariances between domains are carried through. After
calibration (raking, post-stratification) ``z`` is replaced by its residual
``e = z - x'B``, ``B = (sum d x x')^-1 sum d x z`` over the base weights ``d``
of the calibration group (Deville & Saerndal 1992, JASA 87; R's
``svyrecvar`` with ``calibrate``). Strata with a single PSU add nothing (R's
``options(survey.lonely.psu = "certainty")``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse, stats

from analysis import calibration as cal_mod
from analysis import small_sample as small
from analysis.calibration import Calibration
from analysis.cells import cell_sums
from analysis.coding import compact, require_codes

ESTIMATE_COLUMNS = ["estimate", "se", "df", "ci_low", "ci_high", "n", "n_eff"]


@dataclass
class PreparedDesign:
    """Design quantities that do not depend on the outcome variable."""

    weight: np.ndarray
    psu: np.ndarray  # (n,) PSU code
    n_psu: int
    psu_stratum: np.ndarray  # (P,) stratum of each PSU
    n_strata: int
    n_h: np.ndarray  # PSUs per stratum
    lam: np.ndarray  # (1 - f_h) n_h / (n_h - 1); 0 for single-PSU strata
    singleton_psu: bool = False
    cal: Calibration | None = None
    psu_x: np.ndarray | None = None  # (P, K) sum of w x within PSU
    hs: np.ndarray | None = None  # (P,) (stratum, group) pair code of each PSU
    hs_stratum: np.ndarray | None = None
    hs_group: np.ndarray | None = None
    psu_group: np.ndarray | None = None
    q_hs: np.ndarray | None = None  # (HS, K, K)
    s_hs: np.ndarray | None = None  # (HS, K)


def _fpc_fraction(fpc: np.ndarray, stratum: np.ndarray, n_h: np.ndarray) -> np.ndarray:
    """Sampling fraction per stratum from population sizes or fractions."""
    h_fpc = np.full(len(n_h), np.nan)
    h_fpc[stratum] = fpc
    per = pd.Series(fpc).groupby(stratum).nunique()
    if (per > 1).any():
        raise ValueError("fpc must be constant within a stratum")
    if np.any(np.isnan(h_fpc)) or np.any(h_fpc <= 0):
        raise ValueError("fpc must be positive and present for every stratum")
    if np.all(h_fpc <= 1):
        return h_fpc
    if np.any(h_fpc < n_h):
        raise ValueError("fpc population size below the number of sampled PSUs")
    return n_h / h_fpc


def prepare_design(
    weight: np.ndarray,
    strata: np.ndarray | None = None,
    psu: np.ndarray | None = None,
    fpc: np.ndarray | None = None,
    calibration: Calibration | None = None,
) -> PreparedDesign:
    """Index PSUs and strata and precompute the calibration cross-products."""
    n = len(weight)
    weight = np.asarray(weight, dtype=float)
    if np.any(~np.isfinite(weight)) or np.any(weight < 0):
        raise ValueError("weights must be finite and non-negative")
    h = np.zeros(n, np.int64) if strata is None else require_codes(strata, "strata")
    n_strata = int(h.max()) + 1
    if psu is None:
        c, n_psu, psu_stratum = np.arange(n, dtype=np.int64), n, h
    else:
        c = require_codes(psu, "psu")
        # PSU identifiers may repeat across strata (R's nest=TRUE semantics).
        c, uniq = compact(h * (int(c.max()) + 1) + c, n_strata * (int(c.max()) + 1))
        n_psu = len(uniq)
        psu_stratum = np.empty(n_psu, np.int64)
        psu_stratum[c] = h
    n_h = np.bincount(psu_stratum, minlength=n_strata).astype(float)
    f = np.zeros(n_strata)
    if fpc is not None:
        fpc_psu = np.empty(n_psu)
        fpc_psu[c] = np.asarray(fpc, dtype=float)
        f = _fpc_fraction(fpc_psu, psu_stratum, n_h)
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = np.where(n_h > 1, (1 - f) * n_h / (n_h - 1), 0.0)
    d = PreparedDesign(weight, c, n_psu, psu_stratum, n_strata, n_h, lam,
                       singleton_psu=psu is None)
    if calibration is not None:
        cal_mod.attach(d, calibration)
    return d


def domain_composites(
    design: PreparedDesign,
    y: np.ndarray,
    domain: np.ndarray,
    coef: sparse.csr_array | None = None,
    *,
    level: float = 0.95,
    weight: np.ndarray | None = None,
    psu_totals: bool = False,
    n_domains: int | None = None,
    small_sample: bool = False,
    small_sample_seed: int = 0,
) -> pd.DataFrame:
    """Estimates, linearised SEs and CIs of fixed-weight domain-mean composites.

    ``domain`` codes each respondent's base domain (``-1``: in none), ``coef``
    is a (units x domains) matrix of composite weights (identity if None):
    unit ``u`` estimates ``sum_d coef[u, d] ybar_d``. Respondents with missing
    ``y`` are left out of every domain (R's ``na.rm = TRUE``). ``df`` is the
    number of PSUs minus strata touched by the unit; ``n_eff`` is Kish's
    ``(sum a_i)^2 / sum a_i^2`` on the implied weights ``a_i``. ``weight``
    overrides the design's weights for this call. With ``psu_totals`` the
    (PSUs x units) array of linearised PSU totals is attached as
    ``out.attrs["psu_totals"]`` (for between-wave covariances). ``n_domains``
    defaults to the largest domain code plus one. With ``small_sample`` the variance and
    the variance of units whose domains each lie in one stratum gets the bias-reduced
    linearisation of :mod:`analysis.small_sample`, single-domain units get the simulated
    critical value's degrees of freedom (seeded by ``small_sample_seed``) and the
    design's count of PSUs minus strata moves to ``df_design``.
    """
    y = np.asarray(y, dtype=float)
    w = design.weight if weight is None else np.asarray(weight, dtype=float)
    domain = np.asarray(domain, np.int64)
    n_dom = n_domains if n_domains is not None else (int(domain.max()) + 1 if len(domain) else 0)
    identity = coef is None
    coef = sparse.identity(n_dom, format="csr") if identity else sparse.csr_array(coef)
    if coef.shape[1] != n_dom:
        raise ValueError("coef must have one column per domain")
    ok = (domain >= 0) & ~np.isnan(y)
    cell_c, cell_d, sw, swy, sw2, cnt = cell_sums(design, w, y, domain, ok, n_dom)
    big_n = np.bincount(cell_d, weights=sw, minlength=n_dom)
    has = big_n > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        ybar = np.where(has, np.bincount(cell_d, weights=swy, minlength=n_dom) / big_n, 0.0)
        a_cell = (swy - ybar[cell_d] * sw) / big_n[cell_d]  # PSU-domain totals of w z
    empty_units = (abs(coef) @ (~has).astype(float)) > 0
    estimate = coef @ ybar
    h_cell = design.psu_stratum[cell_c]
    b_unit = parts = None
    if design.cal is not None:
        parts = (design.psu_x, design.q_hs, design.s_hs) if weight is None \
            else cal_mod.weight_parts(design, w)
        gi = np.maximum(domain, 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            z = (y - ybar[gi]) / big_n[gi]
        z[~ok] = 0.0  # rows outside every domain or without y add nothing to B
        b_unit = cal_mod.residual_coefficients(design, z, gi, coef, n_dom)
    if identity and (design.cal is None or cal_mod.one_group_per_stratum(design)):
        var, psus, strata = _pair_variance(design, parts, w, b_unit, a_cell, cell_c, cell_d,
                                           h_cell, n_dom)
    else:
        var = _grid_variance(design, parts, w, b_unit, coef, a_cell, cell_c, cell_d)
        psus, strata = _psus_and_strata(design, coef, cell_c, cell_d)
    df = (psus - strata).astype(float)
    k = None
    if small_sample:
        with np.errstate(invalid="ignore", divide="ignore"):
            share = sw / big_n[cell_d]
        parts_ss = small.domain_parts(share, cell_d, h_cell, design.n_h, n_dom)
        k = small.unit_factors(coef, parts_ss)
        var = var * k
        single = _single_domain(coef, parts_ss["ok"].to_numpy(bool))
        df_design = df
        df = small.effective_df(pd.DataFrame({"p": share, "d": cell_d}), single, df, level,
                                small_sample_seed)
    n = np.bincount(cell_d, weights=cnt, minlength=n_dom)
    w2 = np.bincount(cell_d, weights=sw2, minlength=n_dom)
    with np.errstate(invalid="ignore", divide="ignore"):
        sum_a2 = (coef.multiply(coef)) @ np.where(has, w2 / big_n**2, 0.0)
        n_eff = (coef @ has.astype(float)) ** 2 / sum_a2
    out = pd.DataFrame({
        "estimate": estimate,
        "se": np.sqrt(var),
        "df": df,
        "n": (abs(coef) > 0).astype(float) @ n,
        "n_eff": n_eff,
    })
    out.loc[empty_units, ["estimate", "se", "n_eff"]] = np.nan
    lo, hi = t_interval(out["estimate"], out["se"], out["df"], level)
    out["ci_low"], out["ci_high"] = lo, hi
    out = out[ESTIMATE_COLUMNS]
    if small_sample:
        out["df_design"] = df_design
    if psu_totals:
        totals = cal_mod.psu_totals(design, parts, w, b_unit, coef, a_cell, cell_c, cell_d)
        out.attrs["psu_totals"] = totals if k is None else totals * np.sqrt(k)[None, :]
    return out


def _single_domain(coef, ok: np.ndarray) -> np.ndarray:
    """The one correctable domain of each unit, or -1 for composites and others."""
    c = sparse.csr_array(coef)
    nnz = np.diff(c.indptr)
    out = np.full(c.shape[0], -1, np.int64)
    one = nnz == 1
    first = c.indices[c.indptr[:-1][one]]
    out[one] = np.where(ok[first], first, -1)
    return out


def _stratum_matrix(design) -> sparse.csr_array:
    """(strata x PSUs) indicator of each PSU's stratum."""
    return sparse.csr_array((np.ones(design.n_psu), (design.psu_stratum, np.arange(design.n_psu))),
                            shape=(design.n_strata, design.n_psu))


def _grid_variance(design, parts, w, b_unit, coef, a_cell, cell_c, cell_d):
    """``V_u = sum_h lam_h (sum_c T_hcu^2 - (sum_c T_hcu)^2 / n_h)`` on the (strata x units) grid.

    ``T_hcu = sum_d coef[u, d] A_hcd`` are the PSU totals of the composite's linearised
    variable (calibration residuals when calibrated, :func:`analysis.calibration.calibrate_sums`).
    """
    a_cd = sparse.csr_array((a_cell, (cell_c, cell_d)), shape=(design.n_psu, coef.shape[1]))
    a_cu = a_cd @ coef.T
    hmat = _stratum_matrix(design)
    sum_t2 = (hmat @ a_cu.multiply(a_cu)).toarray()
    sum_t = (hmat @ a_cu).toarray()
    if design.cal is not None:
        sum_t2, sum_t = cal_mod.calibrate_sums(design, parts, w, b_unit, coef, a_cell, cell_c,
                                               cell_d, sum_t2, sum_t)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_h = sum_t2 - np.where(design.n_h[:, None] > 0, sum_t**2 / design.n_h[:, None], 0)
    return np.maximum(design.lam @ per_h, 0.0)


def _pair_variance(design, parts, w, b_unit, a_cell, cell_c, cell_d, h_cell, n_dom):
    """Variance of each domain mean summed over its (stratum, domain) pairs only.

    ``V_d = sum_p lam_h (A2_p - A_p^2 / n_h)`` over the pairs ``p = (h, d)`` with cells
    (``A_p``, ``A2_p``: sum of the cell totals and of their squares), plus the calibration
    terms of :func:`analysis.calibration.pair_adjustment`. A stratum without cells of ``d``
    adds nothing before calibration, so the (strata x domains) grid is never formed. Also
    returns the PSUs and the strata with cells of each domain (for the degrees of freedom).
    """
    pair, pairs = compact(h_cell * n_dom + cell_d, design.n_strata * n_dom)
    p_h, p_d = pairs // n_dom, pairs % n_dom
    a_p = np.bincount(pair, weights=a_cell, minlength=len(pairs))
    a2_p = np.bincount(pair, weights=a_cell * a_cell, minlength=len(pairs))
    lam_n = _lam_over_n(design)
    var = np.bincount(p_d, weights=design.lam[p_h] * a2_p - lam_n[p_h] * a_p**2,
                      minlength=n_dom)
    if design.cal is not None:
        var += cal_mod.pair_adjustment(design, parts, w, b_unit, a_cell, cell_c, pair, p_h, p_d,
                                       a_p, lam_n, n_dom)
    psus = np.bincount(cell_d, minlength=n_dom)
    return np.maximum(var, 0.0), psus, np.bincount(p_d, minlength=n_dom)


def _lam_over_n(design) -> np.ndarray:
    """``lam_h / n_h`` per stratum (0 for strata without PSUs)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(design.n_h > 0, design.lam / design.n_h, 0.0)


def _psus_and_strata(design, coef, cell_c, cell_d):
    """PSUs and strata with members in each unit (for the degrees of freedom)."""
    ones = np.ones(len(cell_c))
    member = (sparse.csr_array((ones, (cell_c, cell_d)), shape=(design.n_psu, coef.shape[1]))
              @ abs(coef).T) > 0
    psus = np.asarray(member.sum(axis=0)).ravel()
    strata = np.asarray(((_stratum_matrix(design) @ member.astype(float)) > 0).sum(axis=0)).ravel()
    return psus, strata


def t_interval(estimate, se, df, level: float = 0.95):
    """Two-sided t interval ``estimate -/+ t_{df, (1+level)/2} se`` (NaN if df < 1)."""
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        q = np.where(df >= 1, stats.t.ppf((1 + level) / 2, np.maximum(df, 1)), np.nan)
    est, se = np.asarray(estimate, float), np.asarray(se, float)
    return est - q * se, est + q * se
