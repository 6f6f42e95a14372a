"""Shifted surges: windows of days with both more responses than expected and shifted answers.

A patient attacker spreads fakes over days, so no window's count alone is improbable enough
for :mod:`analysis.surge`; but fakes are all high (or all low), so the window's answers also
differ from the enterprise's other responses. Two tests per window of local days
``[d, d + L)`` (``L`` in :data:`DAY_LENGTHS`, every start day; ``None`` is the whole wave):

- **count**: ``p_c = P(N >= k)``, ``N`` negative binomial of the window's expected count
  (:class:`analysis.arrivals.ArrivalModel` rates) and squared CV ``cv2(24 L h)``
  (:func:`analysis.surge.nb_tail`);
- **answers**: the Mann-Whitney rank-sum test of the window's respondent scores against the
  enterprise's other responses (the rest of this wave and the previous wave), two-sided,
  normal approximation with the tie correction (Hollander, Wolfe & Chicken 2014,
  *Nonparametric Statistical Methods*, §4.1). A median split (Fisher's exact test) was
  tried too: it loses its footing when the fakes are a large share of a small enterprise's
  responses, since they move the median.

Under the null (arrival times independent of answers, answers exchangeable within the
enterprise) the rank test is conditionally uniform given the window's members, whatever
their number, so the two p-values are independent and Fisher's method combines them:
``X = -2 ln(p_c p_a)`` is chi-square with 4 df, whose tail has the closed form
``P = q (1 - ln q)``, ``q = p_c p_a`` (Fisher 1932, *Statistical Methods for Research
Workers*, §21.1). A window is a shifted surge when ``m P <= alpha`` with ``m`` =
enterprises x windows (Bonferroni, family-wise ``alpha`` per wave, like the surge scan), it
holds at least ``min_count`` responses and its mean score differs by at least
``min_difference`` points in the test's direction.

Fisher's method tests the global null (neither a surplus nor a shift), and one tiny p-value
carries it: a genuine change of an enterprise's answers since the previous wave, or a bad
week after an incident, has a tiny answers p with an ordinary count, and an honest surplus
the reverse. So each p must also be at most ``gate / m_e`` (``m_e`` windows per
enterprise): an enterprise with only one of the two (an intersection-union null, Berger
1982, *Technometrics* 24:295) is held with chance at most ``gate`` per wave.

Per enterprise the most significant such window is kept and its responses on the shifted
side of the median of the enterprise's other responses are held (reason ``shifted_surge``):
an honest respondent inside the window is held only when their answer leans the fakes' way,
and an analyst can release them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.arrivals import ArrivalModel
from analysis.surge import ALPHA, MIN_COUNT, nb_tail

DAY_LENGTHS = (1, 3, 7, 14, None)  # None: the whole wave; like the surge scan, ~x2-3 apart
MIN_DIFFERENCE = 5.0  # points of mean score between the window and the reference
GATE = 0.05  # per enterprise and wave: held with only a surplus, or only a shift
COLUMNS = ["enterprise_id", "start", "end", "days", "observed", "expected", "p_count",
           "difference", "p_answers", "p_combined", "p_scan", "held"]


@dataclass(frozen=True)
class ShiftedSurgeResult:
    """Per-response held flag (indexed like the responses) and the windows found."""

    held: pd.Series
    windows: pd.DataFrame  # COLUMNS
    tests: int


def fisher_combined(p1, p2) -> np.ndarray:
    """Fisher's combined p-value of two independent p-values: ``q (1 - ln q)``, ``q = p1 p2``
    (the chi-square(4) tail at ``-2 ln q``)."""
    p1, p2 = np.asarray(p1, float), np.asarray(p2, float)
    if np.any((p1 < 0) | (p1 > 1) | (p2 < 0) | (p2 > 1)):
        raise ValueError("p-values must be in [0, 1]")
    q = p1 * p2
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(q > 0, np.minimum(1.0, q * (1.0 - np.log(q))), 0.0)


def rank_sum_p(rank_sum, n1, n, tie_term) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided normal-approximation p of the Mann-Whitney test, and its z.

    ``rank_sum`` of ``n1`` members among ``n`` pooled values (midranks); ``tie_term`` is
    ``sum(t^3 - t)`` over the pooled ties. ``U = R - n1(n1+1)/2``, ``E U = n1 n2 / 2``,
    ``Var U = n1 n2 / 12 ((n + 1) - tie_term / (n (n - 1)))``, no continuity correction.
    """
    r, n1, n = (np.asarray(a, float) for a in (rank_sum, n1, n))
    n2 = n - n1
    u = r - n1 * (n1 + 1) / 2
    var = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1)))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var > 0, (u - n1 * n2 / 2) / np.sqrt(np.where(var > 0, var, 1.0)), 0.0)
    return 2 * stats.norm.sf(np.abs(z)), z


def day_windows(days: int, lengths=DAY_LENGTHS) -> list[tuple[int, int]]:
    """Every (start day, length) of the scan over a wave of ``days`` local days."""
    sizes = sorted({days if d is None else d for d in lengths if d is None or d <= days})
    return [(s, d) for d in sizes for s in range(days - d + 1)]


def detect_shifted_surges(responses: pd.DataFrame, model: ArrivalModel,
                          previous: pd.DataFrame | None = None, *, lengths=DAY_LENGTHS,
                          alpha: float = ALPHA, min_count: int = MIN_COUNT,
                          min_difference: float = MIN_DIFFERENCE,
                          gate: float = GATE) -> ShiftedSurgeResult:
    """Hold the shifted side of windows of days with surplus arrivals and shifted answers.

    Parameters
    ----------
    responses : response_id, enterprise_id, submitted_at (aware), score (0-100, NaN allowed);
        responses already held or quarantined should be left out by the caller.
    model : expected hourly counts (:func:`analysis.arrivals.expected_arrivals`); its grid
        starts at the wave's first local midnight, so 24 rows make a local day.
    previous : enterprise_id and score of the previous wave's counted responses.
    """
    for name in ("response_id", "enterprise_id", "submitted_at", "score"):
        if name not in responses.columns:
            raise ValueError(f"responses lack column {name!r}")
    if not 0 < alpha < 1 or not 0 < gate <= 1 or min_count < 1:
        raise ValueError("alpha and gate must be in (0, 1] and min_count >= 1")
    grid = model.rates.index
    n_days = max(1, int(np.ceil(len(grid) / 24)))
    windows = day_windows(n_days, lengths)
    ents = pd.unique(responses["enterprise_id"])
    m = max(1, len(ents) * len(windows))
    t = ((pd.to_datetime(responses["submitted_at"], utc=True) - grid[0])
         / pd.Timedelta(hours=1)).to_numpy(float)
    day = np.clip(np.floor(t / 24).astype(int), 0, n_days - 1)
    held = np.zeros(len(responses), bool)
    rows = []
    for e in ents:
        pos = np.flatnonzero(responses["enterprise_id"].to_numpy() == e)
        ref = _previous(previous, e)
        found = _best_window(day[pos], responses["score"].to_numpy(float)[pos], ref,
                             _daily(model, e, n_days), model, e, windows, m, alpha,
                             min_count, min_difference, gate / len(windows))
        if found is None:
            continue
        row, members = found
        held[pos[members]] = True
        start = grid[0] + pd.Timedelta(days=row["start"])
        rows.append(row | {"enterprise_id": e, "start": start,
                           "end": start + pd.Timedelta(days=row["days"]),
                           "held": int(members.sum())})
    return ShiftedSurgeResult(pd.Series(held, index=responses.index, name="shifted_surge"),
                              pd.DataFrame(rows, columns=COLUMNS), m)


def _previous(previous, e) -> np.ndarray:
    if previous is None or previous.empty:
        return np.array([])
    s = previous.loc[previous["enterprise_id"] == e, "score"].to_numpy(float)
    return s[~np.isnan(s)]


def _daily(model: ArrivalModel, e, n_days: int) -> np.ndarray:
    """Expected count of each local day of the wave."""
    rates = model.rates[e].to_numpy(float)
    return np.pad(rates, (0, n_days * 24 - len(rates))).reshape(n_days, 24).sum(1)


def _best_window(day, score, ref, expected, model, e, windows, m, alpha, min_count,
                 min_difference, gate):
    """The most significant shifted surge of one enterprise and its held members, or None."""
    scored = ~np.isnan(score)
    pooled = np.r_[score[scored], ref]
    if len(pooled) < 4:
        return None
    ranks = stats.rankdata(pooled)
    _, ties = np.unique(pooled, return_counts=True)
    tie_term = float((ties ** 3 - ties).sum())
    n_days = len(expected)
    on = day[scored]
    count = np.bincount(day, minlength=n_days)
    n1 = np.bincount(on, minlength=n_days)
    rsum = np.bincount(on, weights=ranks[:len(on)], minlength=n_days)
    ssum = np.bincount(on, weights=score[scored], minlength=n_days)
    c = [np.r_[0.0, np.cumsum(x)] for x in (count, n1, rsum, ssum, expected)]
    s = np.array([w[0] for w in windows])
    d = np.array([w[1] for w in windows])
    k, k1, r, sm, mu = (x[s + d] - x[s] for x in c)
    n, total = len(pooled), pooled.sum()
    cv2 = np.array([model.window_cv2(e, 24.0 * x) for x in d])
    p_count = nb_tail(k, mu, cv2)
    p_ans, z = rank_sum_p(r, k1, n, tie_term)
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = sm / k1 - (total - sm) / (n - k1)
    ok = ((k >= min_count) & (k1 >= 2) & (n - k1 >= 2) & (np.sign(diff) == np.sign(z))
          & (np.abs(diff) >= min_difference) & (p_count <= gate) & (p_ans <= gate))
    combined = np.where(ok, fisher_combined(p_count, np.where(ok, p_ans, 1.0)), 1.0)
    best = int(np.argmin(combined))
    if not ok[best] or m * combined[best] > alpha:
        return None
    inside = (day >= s[best]) & (day < s[best] + d[best])
    centre = np.median(np.r_[score[scored & ~inside], ref])
    side = score > centre if diff[best] > 0 else score < centre
    row = {"start": int(s[best]), "days": int(d[best]), "observed": int(k[best]),
           "expected": float(mu[best]), "p_count": float(p_count[best]),
           "difference": float(diff[best]), "p_answers": float(p_ans[best]),
           "p_combined": float(combined[best]), "p_scan": min(1.0, m * float(combined[best]))}
    return row, inside & side & scored


def proxy_scores(responses: pd.DataFrame, model: dict) -> pd.Series:
    """A 0-100 proxy of each respondent's satisfaction from a wide frame: the mean of the
    rescaled satisfaction items (``model['blocks']['satisfaction']``, reverse items flipped),
    like :func:`survey.ops.integrity.respondent_scores` over stored answers."""
    blocks = model["blocks"]
    items = blocks.get("satisfaction") or sum(blocks.values(), [])
    parts = []
    for item in items:
        lo, hi = model["scales"][item]
        score = (responses[item].astype(float) - lo) / (hi - lo) * 100
        parts.append(100 - score if item in model.get("reverse", []) else score)
    return pd.concat(parts, axis=1).mean(axis=1)
