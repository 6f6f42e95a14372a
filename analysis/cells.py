"""(PSU, domain) cell sums of a design: the one pass over the rows of a linearised mean.

A cell is a (PSU, domain) pair; :mod:`analysis.design` works on cells from then on.
Three routes give the same sums: one-row PSUs (each row its own cell), rows already
grouped by cell (runs summed with ``np.add.reduceat``) and the general bincount.
"""

from __future__ import annotations

import numpy as np

from analysis.coding import compact


def cell_sums(design, w, y, domain, ok, n_dom):
    """PSU, domain, ``sum w``, ``sum w y``, ``sum w^2`` and row count of each non-empty cell.

    A cell is a (PSU, domain) pair with at least one row in a domain and with ``y``;
    cells come in PSU-major order. Every later step of the variance works on cells.
    """
    all_ok = bool(ok.all())
    if design.singleton_psu:
        # one row per PSU: row i is cell i and its sums are its own values
        c = np.arange(len(w)) if all_ok else np.flatnonzero(ok)
        wc = w[c]
        return c, domain[c], wc, wc * y[c], wc * wc, np.ones(len(c), np.int64)
    # rows outside every domain (or with missing y) get weight 0 and no count
    w0, y0, gkey = w, y, domain
    if not all_ok:  # multiplications and masked stores are far cheaper than np.where
        w0, y0 = w * ok, y.copy()
        y0[~ok] = 0.0
        if domain.min() < 0:  # rows outside every domain: park them in domain 0
            gkey = np.maximum(domain, 0)
    key, space = design.psu * n_dom + gkey, design.n_psu * n_dom
    runs = _cell_runs(key)
    if runs is not None:  # each cell's rows adjacent (a frame sorted by PSU)
        return _run_sums(key, runs, w0, y0, ok, all_ok, n_dom)
    if space <= len(key):  # no more cells than rows: the keys themselves index the bins
        cell, cells = key, np.arange(space)
    else:
        cell, cells = compact(key, space)
    n_cells = len(cells)
    # rows of a PSU are usually adjacent: spreading them over four lanes per
    # cell avoids bincount's store-to-load stalls on runs of one bin (~2x faster)
    lane = cell * 4 + (np.arange(len(cell)) & 3)
    cnt = np.bincount(lane, minlength=4 * n_cells).reshape(-1, 4).sum(1)
    if not all_ok:
        cnt = cnt - np.bincount(cell[~ok], minlength=n_cells)
    keep = cnt > 0

    def cell_sum(v):
        return np.bincount(lane, weights=v, minlength=4 * n_cells).reshape(-1, 4).sum(1)[keep]

    sw, swy, sw2 = cell_sum(w0), cell_sum(w0 * y0), cell_sum(w0 * w0)
    cells = cells[keep]
    return cells // n_dom, cells % n_dom, sw, swy, sw2, cnt[keep]


def _cell_runs(key: np.ndarray) -> np.ndarray | None:
    """Start of each run of equal keys, when every key forms one run (else None)."""
    if len(key) < 2:
        return None
    change = np.flatnonzero(key[1:] != key[:-1]) + 1
    if len(change) > len(key) // 4:  # short runs: the bincount route is as fast
        return None
    starts = np.concatenate(([0], change))
    run_key = key[starts]
    if len(np.unique(run_key)) < len(run_key):  # a cell's rows are split
        return None
    return starts


def _run_sums(key, starts, w0, y0, ok, all_ok, n_dom):
    """:func:`cell_sums` when the rows of each cell are adjacent: one sum per run.

    ``np.add.reduceat`` over the runs needs no scatter; the cells are then put in key
    (PSU-major) order, so the result equals the bincount route up to the order of the
    additions within a cell.
    """
    cnt = np.diff(np.append(starts, len(key)))
    if not all_ok:
        cnt = cnt - np.add.reduceat((~ok).astype(np.int64), starts)
    order = np.argsort(key[starts])
    order = order[cnt[order] > 0]

    def run_sum(v):
        return np.add.reduceat(v, starts)[order]

    cells = key[starts][order]
    return (cells // n_dom, cells % n_dom, run_sum(w0), run_sum(w0 * y0), run_sum(w0 * w0),
            cnt[order])
