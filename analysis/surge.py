"""Surges: time windows whose response count is improbable under the expected arrival rate.

Every enterprise, and every link of an enterprise with several, is scanned with windows of
5 and 15 minutes, 1 and 3 hours, 1, 3 and 7 days and the whole wave, each anchored at a
response (``[t_i, t_i + w)`` holds ``k_i`` responses, ``t_i``'s own included).

Null distribution. Within a window the count is Poisson given a Gamma multiplier ``G`` of
the expected rate (mean 1, squared CV ``cv2(w)`` from :class:`analysis.arrivals.ArrivalModel`),
i.e. negative binomial. The scan p-value, the chance that *some* anchored window of length
``w`` holds ``>= k``, is bounded by the expected number of such anchors (Markov), which the
Mecke (Slivnyak) formula gives in closed form: the anchor is a point of the process, the
window holds ``>= k - 1`` others, and size-biasing the Gamma multiplier adds one to its shape:

``P(S_w >= k) <= B_w(k) = sum_h lambda_h * P(NB(s + 1, mean Lambda_h (s + 1)/s) >= k - 1)``

with ``s = 1/cv2(w)``, ``lambda_h`` the expected count of hour ``h`` and ``Lambda_h`` the
largest expected count of a window starting in that hour (exact maximum of the piecewise
linear cumulative rate), so the bound holds for every position, not only a grid (Daley &
Vere-Jones 2008, *An Introduction to the Theory of Point Processes* II, §13.1; cf. Naus's
scan statistic, Glaz, Naus & Wallenstein 2001, *Scan Statistics*). Windows of several
lengths, enterprises and links are then held to a Bonferroni bound: a window is a surge when
``m B_w(k) <= alpha`` with ``m`` = units x lengths (family-wise error ``alpha`` per wave under
the model; the many overlapping positions cost nothing more). A surge also needs at least
``min_count`` responses, so that friends answering together never make one.

Lengths are tested from the shortest up, each on the responses not yet held, so that a burst
of minutes holds only its minutes and a longer window is held only for what remains
surprising once the burst is set aside. Held responses are kept, reason ``surge``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import betainc, gammainc

from analysis.arrivals import ArrivalModel

WINDOW_HOURS = (5 / 60, 0.25, 1.0, 3.0, 24.0, 72.0, 168.0, None)  # None: the whole wave
ALPHA = 0.01
MIN_COUNT = 8


@dataclass(frozen=True)
class SurgeResult:
    """Per-response held flag (indexed like the responses) and the surge windows found."""

    held: pd.Series
    windows: pd.DataFrame  # unit, enterprise_id, link_id, window_hours, start, end,
    # observed, expected, p_local, p_scan (Bonferroni-adjusted bound)
    tests: int
    shifted: object = None  # analysis.shifted_surge.ShiftedSurgeResult, when it was run


def poisson_tail(k, mu) -> np.ndarray:
    """``P(N >= k)`` for ``N ~ Poisson(mu)``: the regularised lower incomplete gamma
    ``P(k, mu)`` for ``k >= 1``, 1 for ``k <= 0`` (Johnson, Kemp & Kotz 2005, eq. 4.14)."""
    k, mu = np.asarray(k, float), np.asarray(mu, float)
    if np.any(mu < 0):
        raise ValueError("mu must be >= 0")
    return np.where(k <= 0, 1.0, gammainc(np.maximum(k, 1.0), mu))


def nb_tail(k, mu, cv2) -> np.ndarray:
    """``P(N >= k)`` for a negative binomial of mean ``mu`` and size ``r = 1/cv2`` (Poisson
    with a Gamma(r, 1/r) multiplier): ``I_{mu/(mu+r)}(k, r)``, 1 for ``k <= 0``
    (Johnson, Kemp & Kotz 2005, eq. 5.31)."""
    k, mu, cv2 = (np.asarray(a, float) for a in (k, mu, cv2))
    if np.any(mu < 0) or np.any(cv2 <= 0):
        raise ValueError("mu must be >= 0 and cv2 > 0")
    r = 1.0 / cv2
    return np.where(k <= 0, 1.0, betainc(np.maximum(k, 1.0), r, mu / (mu + r)))


def _cumulative(rates: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Expected count from the grid start to ``x`` hours (piecewise-constant hourly rates)."""
    c = np.r_[0.0, np.cumsum(rates)]
    x = np.clip(x, 0.0, len(rates))
    i = np.minimum(np.floor(x).astype(int), len(rates) - 1)
    return c[i] + (x - i) * rates[i]


def window_maxima(rates: np.ndarray, hours: float) -> np.ndarray:
    """Largest expected count of a window of ``hours`` starting anywhere in each hour."""
    h = np.arange(len(rates), dtype=float)
    frac = hours - np.floor(hours)
    starts = [h, h + 1.0] + ([h + 1.0 - frac] if frac > 0 else [])
    return np.max([_cumulative(rates, s + hours) - _cumulative(rates, s) for s in starts], 0)


def scan_bound(k, rates, hours: float, cv2: float) -> np.ndarray:
    """Upper bound ``B_w(k)`` on the scan p-value ``P(S_w >= k)`` (module docstring).

    ``rates`` are the expected counts per hour of one unit, ``hours`` the window length,
    ``cv2`` the squared CV of the window's Gamma multiplier.
    """
    rates = np.asarray(rates, float)
    if hours <= 0 or cv2 <= 0 or np.any(rates < 0):
        raise ValueError("hours and cv2 must be > 0, rates >= 0")
    s = 1.0 / cv2
    lam = window_maxima(rates, hours) * (s + 1.0) / s
    k = np.atleast_1d(np.asarray(k, float))[:, None]
    return (rates[None, :] * nb_tail(k - 1.0, lam[None, :], 1.0 / (s + 1.0))).sum(1)


def _units(r: pd.DataFrame, model: ArrivalModel, links: bool):
    """(kind, enterprise, link, row positions, hourly rates) of every scanned unit."""
    ent = r["enterprise_id"].to_numpy()
    out = []
    for e in pd.unique(ent):
        pos = np.flatnonzero(ent == e)
        rates = model.rates[e].to_numpy(float)
        out.append(("enterprise", e, None, pos, rates))
        if not links or "link_id" not in r.columns:
            continue
        lk = r["link_id"].to_numpy()[pos]
        kinds = pd.unique(lk)
        for link in kinds if len(kinds) > 1 else []:
            mine = pos[lk == link]
            share = (len(mine) + 1.0) / (len(pos) + len(kinds))  # shrunk current split
            out.append(("link", e, link, mine, rates * share))
    return out


def detect_surges(responses: pd.DataFrame, model: ArrivalModel, *,
                  window_hours=WINDOW_HOURS, alpha: float = ALPHA,
                  min_count: int = MIN_COUNT, links: bool = True) -> SurgeResult:
    """Hold the responses inside improbable windows (module docstring for the test).

    Parameters
    ----------
    responses : response_id, enterprise_id, submitted_at (aware), optional link_id; rows
        already quarantined for other reasons should be left out by the caller.
    model : expected hourly counts from :func:`analysis.arrivals.expected_arrivals`.

    Returns
    -------
    SurgeResult: ``held`` (bool per response) and ``windows`` with observed and expected
    counts of each surge for the timeline.
    """
    for name in ("response_id", "enterprise_id", "submitted_at"):
        if name not in responses.columns:
            raise ValueError(f"responses lack column {name!r}")
    if not 0 < alpha < 1 or min_count < 1:
        raise ValueError("alpha must be in (0, 1) and min_count >= 1")
    unknown = set(pd.unique(responses["enterprise_id"])) - set(model.rates.columns)
    if unknown:
        raise ValueError(f"no expected rates for enterprises {sorted(unknown)[:5]}")
    grid = model.rates.index
    t = ((pd.to_datetime(responses["submitted_at"], utc=True) - grid[0])
         / pd.Timedelta(hours=1)).to_numpy(float)
    units = _units(responses, model, links)
    m = len(units) * len(window_hours)
    held = np.zeros(len(responses), bool)
    rows = []
    span = float(len(grid))
    for w in sorted(window_hours, key=lambda x: span if x is None else x):
        hours = span if w is None else float(w)
        for kind, e, link, pos, rates in units:
            cv2 = model.window_cv2(e, hours)
            found = _scan(t, pos[~held[pos]], rates, hours, cv2, alpha / m, min_count)
            for members, start, end, bound in found:
                held[members] = True
                obs = len(members)
                exp = float(_cumulative(rates, np.array([end]))[0]
                            - _cumulative(rates, np.array([start]))[0])
                rows.append({"unit": kind, "enterprise_id": e, "link_id": link,
                             "window_hours": hours, "start": grid[0] + pd.Timedelta(hours=start),
                             "end": grid[0] + pd.Timedelta(hours=end), "observed": obs,
                             "expected": exp,
                             "p_local": float(nb_tail(obs, exp, model.window_cv2(e, end - start))),
                             "p_scan": min(1.0, m * bound)})
    columns = ["unit", "enterprise_id", "link_id", "window_hours", "start", "end", "observed",
               "expected", "p_local", "p_scan"]
    return SurgeResult(pd.Series(held, index=responses.index, name="surge"),
                       pd.DataFrame(rows, columns=columns), m)


def _scan(t, pos, rates, hours, cv2, level, min_count):
    """Surge intervals of one unit and length: (member positions, start, end, least bound)."""
    if len(pos) < min_count:
        return []
    order = np.argsort(t[pos], kind="stable")
    pos, times = pos[order], t[pos][order]
    ends = np.searchsorted(times, times + hours, side="left")
    k = ends - np.arange(len(times))
    if k.max() < min_count or scan_bound(k.max(), rates, hours, cv2)[0] > level:
        return []
    ks = np.unique(k[k >= min_count])
    bounds = scan_bound(ks, rates, hours, cv2)
    k_star = ks[bounds <= level].min()
    flagged = np.flatnonzero(k >= k_star)
    out, i = [], 0
    while i < len(flagged):  # merge overlapping flagged windows into one interval
        first, last_end, j = flagged[i], ends[flagged[i]], i
        while j + 1 < len(flagged) and flagged[j + 1] < last_end:
            j += 1
            last_end = max(last_end, ends[flagged[j]])
        best = bounds[np.searchsorted(ks, k[flagged[i:j + 1]].max())]
        end_time = min(times[flagged[j]] + hours, float(len(rates)))
        out.append((pos[first:last_end], times[first], end_time, float(best)))
        i = j + 1
    return out
