"""Calibration residuals for linearised variances (Deville & Saerndal 1992).

After raking or post-stratification the linearised variable ``z`` is replaced
by ``e = z - x'B``, ``B = (sum d x x')^+ sum d x z`` within each calibration
group, ``d`` the weights before calibration and ``x`` the dummy-coded margins,
as R's ``survey::svyrecvar`` does for ``calibrate()`` designs. The stratum sums
of the residual PSU totals are assembled from small cross-products, so the
residuals never materialise per PSU and unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from analysis.coding import codes, compact, require_codes

RCOND = 1e-10  # relative eigenvalue cutoff of the calibration cross-product


@dataclass
class Calibration:
    """Dummy-coded calibration variables, one block per calibration group."""

    cell: np.ndarray  # (n, m) level codes per calibration column, offset into K (F order)
    group: np.ndarray  # (n,) calibration group code
    n_groups: int
    k: int  # number of dummy columns
    base_weight: np.ndarray  # (n,) weights before calibration
    minv: np.ndarray  # (S, K, K) pseudo-inverses of sum d x x'


def make_calibration(
    data: pd.DataFrame,
    columns: Sequence[str],
    base_weight: np.ndarray,
    group: np.ndarray | None = None,
) -> Calibration:
    """Dummy-code calibration columns (missing is its own level) per group."""
    n = len(data)
    g = np.zeros(n, np.int64) if group is None else require_codes(group, "calibration group")
    cells, offset = [], 0
    for col in columns:
        code, levels = codes(data[col])
        code = np.where(code < 0, len(levels), code)  # missing: own cell
        cells.append(code + offset)
        offset += len(levels) + 1
    # (n, m) in column-major order: the code reads one calibration column at a time
    cell = np.stack(cells).T if cells else np.zeros((n, 0), np.int64)
    n_groups, k = int(g.max()) + 1, offset
    m = np.zeros((n_groups * k * k,))
    for a in range(cell.shape[1]):
        for b in range(cell.shape[1]):
            key = (g * k + cell[:, a]) * k + cell[:, b]
            m += np.bincount(key, weights=base_weight, minlength=n_groups * k * k)
    # The dummies of each margin sum to one another (exact collinearity): eigenvalues at
    # rounding level must be cut, or noise of order eps * condition number enters the
    # residuals. RCOND sits far below any real cell (a cell's share of its group's weight).
    minv = np.linalg.pinv(m.reshape(n_groups, k, k), rcond=RCOND, hermitian=True)
    return Calibration(cell, g, n_groups, k, np.asarray(base_weight, float), minv)


def attach(d, cal: Calibration) -> None:
    """Index (stratum, calibration group) pairs and precompute weighted cross-products."""
    psu_group = np.empty(d.n_psu, np.int64)
    psu_group[d.psu] = cal.group  # the last row's group; all rows must agree
    if np.any(psu_group[d.psu] != cal.group):
        raise ValueError("each PSU must lie within one calibration group")
    hs_uniq, hs = np.unique(d.psu_stratum * cal.n_groups + psu_group, return_inverse=True)
    d.cal, d.hs, d.psu_group = cal, hs, psu_group
    d.hs_stratum, d.hs_group = hs_uniq // cal.n_groups, hs_uniq % cal.n_groups
    d.psu_x, d.q_hs, d.s_hs = weight_parts(d, d.weight)


def weight_parts(d, w: np.ndarray):
    """PSU sums of ``w x`` and their (stratum, group) cross-products and sums.

    With one respondent per PSU, ``X_c X_c' = w^2 x x'`` is built from the
    dummy cells directly and the (n x K) PSU matrix is not stored (None).
    """
    cal, k, n_hs = d.cal, d.cal.k, len(d.hs_stratum)
    cell = cal.cell
    if d.singleton_psu:
        q = np.zeros(n_hs * k * k)
        s = np.zeros(n_hs * k)
        for a in range(cell.shape[1]):
            s += np.bincount(d.hs * k + cell[:, a], weights=w, minlength=n_hs * k)
            for b in range(cell.shape[1]):
                q += np.bincount((d.hs * k + cell[:, a]) * k + cell[:, b], weights=w * w,
                                 minlength=n_hs * k * k)
        return None, q.reshape(n_hs, k, k), s.reshape(n_hs, k)
    x = np.zeros(d.n_psu * k)
    for j in range(cell.shape[1]):
        x += np.bincount(d.psu * k + cell[:, j], weights=w, minlength=d.n_psu * k)
    x = x.reshape(d.n_psu, k)
    q = np.empty((n_hs, k, k))
    for a in range(k):
        for b in range(a, k):
            q[:, a, b] = q[:, b, a] = np.bincount(d.hs, weights=x[:, a] * x[:, b],
                                                  minlength=n_hs)
    s = np.stack([np.bincount(d.hs, weights=x[:, a], minlength=n_hs) for a in range(k)], axis=1)
    return x, q, s


def pair_x(design, parts, w, pair, n_pairs, a_cell, cell_c):
    """(pairs x K) sums of ``a_cell * X_c`` over the cells of each (hs, domain) pair."""
    cal, k = design.cal, design.cal.k
    if design.singleton_psu:
        m = np.zeros(n_pairs * k)
        aw, base = a_cell * w[cell_c], pair * k
        for j in range(cal.cell.shape[1]):
            m += np.bincount(base + cal.cell[:, j][cell_c], weights=aw, minlength=n_pairs * k)
        return m.reshape(n_pairs, k)
    x = parts[0]
    return np.stack([np.bincount(pair, weights=a_cell * x[cell_c, a], minlength=n_pairs)
                     for a in range(k)], axis=1)


def residual_coefficients(design, z, domain, coef, n_dom):
    """``B`` of the calibration residual per unit and group, shape (U, S, K).

    ``B_ds = M_s^+ sum_{i in d, s} d_i x_i z_i`` per domain ``d`` and group ``s``, then
    ``B_u = sum_d coef[u, d] B_d``. ``z`` covers every row (0 outside every domain or
    where ``y`` is missing, so those rows add nothing) and ``domain`` is >= 0.
    """
    cal = design.cal
    k, s_n = cal.k, cal.n_groups
    dz = cal.base_weight * z
    base = (domain * s_n + cal.group) * k
    r = np.zeros(n_dom * s_n * k)
    for j in range(cal.cell.shape[1]):
        r += np.bincount(base + cal.cell[:, j], weights=dz, minlength=n_dom * s_n * k)
    b_dom = np.einsum("skl,dsl->dsk", cal.minv, r.reshape(n_dom, s_n, k))
    return (coef @ b_dom.reshape(n_dom, s_n * k)).reshape(-1, s_n, k)


def calibrate_sums(design, parts, w, b_unit, coef, a_cell, cell_c, cell_d, sum_t2, sum_t):
    """Stratum sums of the residual totals ``T_cu = A_cu - X_c' B_u`` and their squares.

    ``sum T^2 = sum A^2 - 2 B'(sum A X) + B' Q B`` and ``sum T = sum A - B' S``
    per (stratum, group) pair, so the residuals never materialise per PSU.
    """
    _, q_hs, s_hs = parts
    hs_h, hs_s = design.hs_stratum, design.hs_group
    n_hs, n_units = len(hs_h), coef.shape[0]
    cross, quad, lin = (np.zeros((n_hs, n_units)) for _ in range(3))
    # cross term over (hs, domain) pairs, expanded to the units using each domain
    n_dom = coef.shape[1]
    pair, pairs = compact(design.hs[cell_c] * n_dom + cell_d, n_hs * n_dom)
    m = pair_x(design, parts, w, pair, len(pairs), a_cell, cell_c)
    p_hs, p_d = pairs // n_dom, pairs % n_dom
    by_dom = sparse.csc_array(coef)
    counts = np.diff(by_dom.indptr)[p_d]
    rep = np.repeat(np.arange(len(pairs)), counts)
    starts = by_dom.indptr[p_d]
    offs = np.arange(len(rep)) - np.repeat(np.cumsum(counts) - counts, counts)
    units = by_dom.indices[np.repeat(starts, counts) + offs]
    vals = by_dom.data[np.repeat(starts, counts) + offs]
    contrib = vals * np.einsum("pk,pk->p", m[rep], b_unit[units, hs_s[p_hs[rep]], :])
    np.add.at(cross, (p_hs[rep], units), contrib)
    for s in np.unique(hs_s):
        hs_in = np.flatnonzero(hs_s == s)
        u_in = np.flatnonzero(np.any(b_unit[:, s, :] != 0, axis=1))
        if not len(u_in):
            continue
        bs = b_unit[u_in, s, :]
        quad[np.ix_(hs_in, u_in)] = np.einsum("uk,hkl,ul->hu", bs, q_hs[hs_in], bs)
        lin[np.ix_(hs_in, u_in)] = s_hs[hs_in] @ bs.T
    if n_hs == design.n_strata and np.array_equal(hs_h, np.arange(n_hs)):
        # one calibration group per stratum: the (stratum, group) pairs are the strata
        return sum_t2 - 2 * cross + quad, sum_t - lin
    to_h = sparse.csr_array((np.ones(n_hs), (hs_h, np.arange(n_hs))),
                            shape=(design.n_strata, n_hs))
    return sum_t2 - 2 * (to_h @ cross) + to_h @ quad, sum_t - to_h @ lin


def one_group_per_stratum(design) -> bool:
    """Whether each stratum lies in one calibration group (its pairs are the strata)."""
    hs_h = design.hs_stratum
    return len(hs_h) == design.n_strata and np.array_equal(hs_h, np.arange(len(hs_h)))


def group_gram(design, parts) -> np.ndarray:
    """``G_s = sum_{h in s} lam_h (Q_h - S_h S_h' / n_h)`` per calibration group, (S, K, K).

    Needs one group per stratum (:func:`one_group_per_stratum`): ``Q_h``, ``S_h`` are then
    the stratum's cross-product and sum of the PSU totals ``X_c``.
    """
    _, q, s = parts
    h, k = design.hs_stratum, design.cal.k
    with np.errstate(invalid="ignore", divide="ignore"):
        lam_n = np.where(design.n_h > 0, design.lam / design.n_h, 0.0)[h]
    per_h = design.lam[h][:, None, None] * q - lam_n[:, None, None] * (s[:, :, None]
                                                                      * s[:, None, :])
    to_group = sparse.csr_array((np.ones(len(h)), (design.hs_group, np.arange(len(h)))),
                                shape=(design.cal.n_groups, len(h)))
    return (to_group @ per_h.reshape(len(h), k * k)).reshape(-1, k, k)


def pair_adjustment(design, parts, w, b_unit, a_cell, cell_c, pair, p_h, p_d, a_p, lam_n,
                    n_dom):
    """Calibration terms of the domain variances, one calibration group per stratum.

    With residual totals ``T = A - X'B_d`` (``B_d`` of the stratum's group ``s``)::

        V_d = sum_p lam_h (A2_p - A_p^2 / n_h)
              - 2 sum_p lam_h (M_p - A_p S_h / n_h)' B_ds + sum_s B_ds' G_s B_ds

    over the (stratum, domain) pairs ``p`` with cells (``M_p = sum_c A_c X_c``) and the
    groups' :func:`group_gram`; this returns the last two terms per domain.
    """
    m = pair_x(design, parts, w, pair, len(p_h), a_cell, cell_c)
    b = b_unit[p_d, design.hs_group[p_h], :]
    lin = design.lam[p_h][:, None] * m - (lam_n[p_h] * a_p)[:, None] * parts[2][p_h]
    cross = np.bincount(p_d, weights=np.einsum("pk,pk->p", lin, b), minlength=n_dom)
    gb = np.matmul(b_unit.transpose(1, 0, 2), group_gram(design, parts))  # (S, D, K)
    quad = np.einsum("sdk,dsk->d", gb, b_unit)
    return quad - 2 * cross


def psu_totals(design, parts, w, b_unit, coef, a_cell, cell_c, cell_d):
    """Dense (PSUs x units) linearised totals (calibration residuals if calibrated)."""
    a_cd = sparse.csr_array((a_cell, (cell_c, cell_d)), shape=(design.n_psu, coef.shape[1]))
    t = (a_cd @ coef.T).toarray()
    if design.cal is None:
        return t
    if not design.singleton_psu:
        return t - np.einsum("ck,uck->cu", parts[0], b_unit[:, design.psu_group, :])
    for j in range(design.cal.cell.shape[1]):
        t -= w[:, None] * b_unit[:, design.psu_group, design.cal.cell[:, j]].T
    return t
