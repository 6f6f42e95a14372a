"""Bounded influence of a day: no local day may carry much more than a typical day's share.

The rule (``Settings.influence_cap``): within an enterprise with ``n`` responses over the
wave's ``D`` local days, with daily counts ``c_d`` and ``m`` their 10%-trimmed mean (zero days
included, so a few packed days do not raise it), every day's share of the enterprise's base
weight is capped at ``K / n`` with ``K = max(influence_cap * m, influence_floor)``: a day
counts for at most ``K`` average responses. The capped shares are ``min(c_d, t) / sum_d
min(c_d, t)`` with the largest ``t`` for which no share exceeds ``K / n`` (water-filling,
as in weight trimming; Potter 1990, Proc. Survey Research Methods Section, ASA, 225-230);
when fewer than ``n / K`` days have answers the days are weighted equally. Each response's
factor is ``min(c_d, t) / c_d`` rescaled to mean 1 within the enterprise, so enterprise totals
(and their configured shares) are unchanged.

Why this rule. Honest answers arrive spread over the days (Poisson days with a typical count
``m``: a day above ``5m`` or 10 answers is rare), so on honest waves the factors are almost all 1
and an index changes by hundredths of a point (``bench/integrity.py``). A burst of ``F`` fakes
packed into one day that escapes :mod:`analysis.surge` counts as at most ``K`` responses, so it
moves an enterprise index by at most ``K / (n_honest + K)`` of the fakes' distance from it,
instead of ``F / (n_honest + F)``. Attacks spread evenly over many days are not bounded by
this rule; they must be caught by the arrival-rate test against history and peers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TRIM = 0.1


def capped_counts(counts, cap_count: float) -> np.ndarray:
    """Day weights ``min(c_d, t)`` scaled to total ``n`` with no share above ``K/n``.

    ``K = cap_count``. Water-filling: with the top ``j`` days capped, the largest admissible
    level is ``t = S_j / (n/K - j)`` (``S_j`` sums the other days); the smallest ``j`` whose
    ``t`` lies between the ``(j+1)``-th and ``j``-th largest counts is the solution. With
    fewer than ``n/K`` active days no level works and the active days are weighted equally.
    """
    c = np.asarray(counts, float)
    if np.any(c < 0) or cap_count <= 0:
        raise ValueError("counts must be >= 0 and cap_count > 0")
    n = c.sum()
    if n == 0 or c.max() <= cap_count:
        return c.copy()
    ratio = n / cap_count
    desc = np.sort(c)[::-1]
    for j in range(1, int((desc > 0).sum())):
        if ratio - j <= 0:
            break
        t = desc[j:].sum() / (ratio - j)
        if desc[j] <= t <= desc[j - 1]:
            v = np.minimum(c, t)
            return v * n / v.sum()
    active = c > 0
    return np.where(active, n / active.sum(), 0.0)


def typical_day(counts: np.ndarray) -> float:
    """10%-trimmed mean of the daily counts (zero days included), as scipy's ``trim_mean``."""
    c = np.sort(np.asarray(counts, float))
    cut = int(TRIM * len(c))
    return float(c[cut:len(c) - cut].mean())


def day_cap_factors(enterprise: pd.Series, submitted_at: pd.Series, *, tz: str,
                    cap: float = 5.0, floor: float = 10.0) -> np.ndarray:
    """Per-response weight factors (mean 1 within each enterprise) of the day cap.

    ``enterprise`` and ``submitted_at`` (aware) are aligned; days are local days of ``tz``
    between the first and last response of the frame (the wave's days so far).
    """
    if len(enterprise) != len(submitted_at):
        raise ValueError("enterprise and submitted_at must be aligned")
    if cap <= 0 or floor <= 0:
        raise ValueError("cap and floor must be > 0")
    times = pd.to_datetime(submitted_at, utc=True)
    if times.isna().any():
        raise ValueError("submitted_at has missing times")
    local = times.dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()
    day = ((local - local.min()) // pd.Timedelta(days=1)).to_numpy(np.int64)
    n_days = int(day.max()) + 1 if len(day) else 0
    ent_code, _ = pd.factorize(enterprise)
    out = np.ones(len(day))
    for e in range(ent_code.max() + 1 if len(ent_code) else 0):
        rows = np.flatnonzero(ent_code == e)
        c = np.bincount(day[rows], minlength=n_days).astype(float)
        k = max(cap * typical_day(c), floor)
        v = capped_counts(c, k)
        f = np.divide(v, c, out=np.ones_like(c), where=c > 0)[day[rows]]
        out[rows] = f / f.mean()
    return out
