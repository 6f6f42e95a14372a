"""Bounded influence of a day: no local day may carry much more than a typical day's share.

The rule (``Settings.influence_cap``): within an enterprise with ``n`` responses over the
wave's ``D`` local days, with daily counts ``c_d`` and ``m`` their 10%-trimmed mean (zero days
included, so a few packed days do not raise it), every day's share of the enterprise's base
weight is capped at ``K / n`` with

``K = max(influence_cap * m, q, influence_floor)``, ``q`` the ``1 - alpha / D`` quantile of
``NB(mean m, size 1 / day_cv2)``

(``influence_alpha = 0.01``, ``influence_day_cv2 = 3``): a day counts for at most ``K``
average responses, and ``K`` is a count an honest day reaches with chance below ``alpha`` per
enterprise and wave (Bonferroni over its days). The capped shares are ``min(c_d, t) / sum_d
min(c_d, t)`` with the largest ``t`` for which no share exceeds ``K / n`` (water-filling,
as in weight trimming; Potter 1990, Proc. Survey Research Methods Section, ASA, 225-230);
when fewer than ``n / K`` days have answers the days are weighted equally. Each response's
factor is ``min(c_d, t) / c_d`` rescaled to mean 1 within the enterprise, so enterprise totals
(and their configured shares) are unchanged.

Why this rule. Honest days are not Poisson around a typical day: a promotion triples a day,
weather moves it by a third and friends answer in groups, so an honest enterprise with
``m = 1.2`` answers a day had a day of 24 in the bench (``bench/integrity.py``). The former
fixed ``K = max(5 m, 10)`` capped such days and moved honest enterprise indices by up to 0.54
point. The day cap therefore binds only on days improbable under a heavy-tailed day effect
(squared CV 3, the smallest of the bench's grid 0.5-4 with no honest change above 0.1 on its
honest waves); the trade-off table of ``bench/integrity.py`` prints the worst honest change
and the shift of 30/90/300 fakes packed into one day (without the surge screen) for each
``day_cv2``. Packed fakes count as at most ``K`` responses, so they move an enterprise index
by at most ``K / (n_honest + K)`` of their distance from it instead of ``F / (n_honest + F)``;
small packed attacks that an honest promotion could explain are left to
:mod:`analysis.surge`. Attacks spread evenly over many days are not bounded by this rule; they
must be caught by the arrival-rate test against history and peers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

TRIM = 0.1
ALPHA = 0.01  # chance per enterprise and wave that the cap binds on an honest day
DAY_CV2 = 3.0  # squared CV of an honest day's rate around the typical day (promotions, weather)


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


def improbable_day(typical: float, n_days: int, *, alpha: float = ALPHA,
                   day_cv2: float = DAY_CV2) -> float:
    """Upper ``1 - alpha / n_days`` quantile of an honest day's count.

    The count is negative binomial with mean ``typical`` and size ``r = 1 / day_cv2``
    (Poisson with a Gamma day effect): the smallest ``k`` with ``P(N <= k) >= 1 - alpha / D``,
    so that over the ``D`` days of a wave an honest day exceeds it with chance at most
    ``alpha`` (Bonferroni).
    """
    if typical < 0 or n_days < 1 or not 0 < alpha < 1 or day_cv2 <= 0:
        raise ValueError("typical >= 0, n_days >= 1, 0 < alpha < 1 and day_cv2 > 0")
    if typical == 0:
        return 0.0
    r = 1.0 / day_cv2
    return float(stats.nbinom.ppf(1.0 - alpha / n_days, r, r / (r + typical)))


def day_cap_factors(enterprise: pd.Series, submitted_at: pd.Series, *, tz: str,
                    cap: float = 5.0, floor: float = 10.0, alpha: float = ALPHA,
                    day_cv2: float | None = DAY_CV2) -> np.ndarray:
    """Per-response weight factors (mean 1 within each enterprise) of the day cap.

    A day counts for at most ``K = max(cap m, q, floor)`` responses, ``m`` the typical day and
    ``q`` :func:`improbable_day`; ``day_cv2=None`` drops ``q`` (the former rule, kept to
    recompute results stored under it).

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
        m = typical_day(c)
        q = 0.0 if day_cv2 is None else improbable_day(m, n_days, alpha=alpha, day_cv2=day_cv2)
        k = max(cap * m, q, floor)
        v = capped_counts(c, k)
        f = np.divide(v, c, out=np.ones_like(c), where=c > 0)[day[rows]]
        out[rows] = f / f.mean()
    return out
