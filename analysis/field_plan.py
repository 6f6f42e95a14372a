"""The bureau's field sample: enterprises drawn PPS within sectors, then time slots.

Stage 1 draws ``n_h`` enterprises in sector ``h`` with probability proportional to
customer volume ``x`` (or equal probabilities): randomised systematic PPS (Goodman & Kish
1950; Hartley & Rao 1962), whose first-order inclusion probabilities are exactly
``pi_i = n' x_i / X'`` after certainty units (``n x_i / X >= 1``) are taken with
``pi_i = 1`` and removed, repeatedly (Saerndal, Swensson & Wretman 1992, section 3.6).
Stage 2 draws ``m`` one-hour slots without replacement from an enterprise's ``M`` opening
hours in the week (``pi_slot = m / M``); the interviewer then intercepts a target number
of customers in each slot. A field response's design weight is
``1 / (pi_i pi_slot) * N_slot / n_slot`` with ``N_slot`` the customers served in the slot
(counted, or ``x_i / M``) and ``n_slot`` the interviews achieved there.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PLAN_COLUMNS = ["sector", "enterprise_id", "pi_enterprise", "certainty", "slot", "weekday",
                "hour", "open_slots", "pi_slot", "pi", "weight", "target"]


def pps_probabilities(size, n: int) -> np.ndarray:
    """First-order inclusion probabilities of a PPS sample of ``n`` units without replacement.

    ``pi_i = n x_i / sum x``; units with ``pi_i >= 1`` get ``pi_i = 1`` and the rest are
    recomputed on the remaining ``n`` and total until none exceeds 1 (Saerndal et al.
    1992, section 3.6.2), so ``sum pi = n``.

    Examples
    --------
    >>> pps_probabilities([60, 20, 10, 10], 2).tolist()
    [1.0, 0.5, 0.25, 0.25]
    """
    x = np.asarray(size, dtype=float)
    if x.ndim != 1 or np.any(~np.isfinite(x)) or np.any(x <= 0):
        raise ValueError("sizes must be positive and finite")
    if not 0 <= n <= len(x) or int(n) != n:
        raise ValueError(f"n must be an integer in 0..{len(x)}, got {n}")
    pi = np.zeros(len(x))
    certain = np.zeros(len(x), bool)
    while n > certain.sum():
        rest = ~certain
        pi[rest] = (n - certain.sum()) * x[rest] / x[rest].sum()
        over = rest & (pi >= 1)
        if not over.any():
            break
        certain |= over
    pi[certain] = 1.0
    return pi


def systematic_pps(pi, rng: np.random.Generator) -> np.ndarray:
    """Selection indicator of a randomised systematic sample with inclusion probabilities ``pi``.

    Units are put in random order and unit ``j`` is selected when an integer lies in
    ``[C_{j-1} - u, C_j - u)`` (``C`` the cumulated ``pi``, ``u ~ U(0, 1)``), which happens
    with probability exactly ``pi_j``; ``sum pi`` must be an integer (Hartley & Rao 1962).
    """
    pi = np.asarray(pi, dtype=float)
    if np.any((pi < 0) | (pi > 1)):
        raise ValueError("inclusion probabilities must lie in [0, 1]")
    total = pi.sum()
    if abs(total - round(total)) > 1e-9:
        raise ValueError("inclusion probabilities must sum to an integer")
    selected = pi >= 1
    rest = np.flatnonzero(~selected)
    order = rest[rng.permutation(len(rest))]
    c = np.concatenate([[0.0], np.cumsum(pi[order])])
    u = rng.random()
    hits = np.diff(np.floor(c - u + 1e-12)) > 0
    selected[order[hits]] = True
    return selected


def draw_enterprises(frame: pd.DataFrame, n: int | Mapping, *, seed: int,
                     size: str | None = "volume", stratum: str = "sector") -> pd.DataFrame:
    """Enterprises drawn within strata, PPS on ``size`` (or equal probability if None).

    ``n`` is the sample size per stratum (one int or a mapping stratum -> n). Returns the
    selected rows with ``pi_enterprise`` (:func:`pps_probabilities`, or ``n_h / N_h``) and
    ``certainty``; the same ``seed`` and frame give the same sample.
    """
    need = ["enterprise_id", stratum] + ([size] if size else [])
    absent = [c for c in need if c not in frame.columns]
    if absent:
        raise ValueError(f"frame lacks columns: {', '.join(absent)}")
    if frame["enterprise_id"].duplicated().any():
        raise ValueError("enterprise_id must be unique in the frame")
    rng = np.random.default_rng(seed)
    parts = []
    for h, group in frame.sort_values([stratum, "enterprise_id"]).groupby(stratum, sort=True):
        n_h = n.get(h, 0) if isinstance(n, Mapping) else n
        x = group[size].to_numpy(float) if size else np.ones(len(group))
        pi = pps_probabilities(x, min(n_h, len(group)) if size is None else n_h)
        chosen = systematic_pps(pi, rng)
        parts.append(group[chosen].assign(pi_enterprise=pi[chosen], certainty=pi[chosen] >= 1))
    return pd.concat(parts, ignore_index=True).rename(columns={stratum: "sector"})


def opening_slots(hours: pd.DataFrame | Mapping, enterprise_id) -> list[tuple[int, int]]:
    """``(weekday, hour)`` one-hour slots of an enterprise's week (weekday 0 = Monday).

    ``hours`` is a mapping weekday -> (open, close) for every enterprise, or a DataFrame
    with ``enterprise_id, weekday, open, close`` rows (hours ``open <= h < close``).
    """
    if isinstance(hours, Mapping):
        spans = [(d, o, c) for d, (o, c) in hours.items()]
    else:
        rows = hours[hours["enterprise_id"] == enterprise_id]
        spans = list(rows[["weekday", "open", "close"]].itertuples(index=False, name=None))
    slots = sorted({(int(d), int(h)) for d, o, c in spans for h in range(int(o), int(c))})
    if any(not 0 <= d <= 6 or not 0 <= h <= 23 for d, h in slots):
        raise ValueError("weekday must be 0-6 and hours 0-24")
    return slots


def field_plan(frame: pd.DataFrame, n: int | Mapping, hours: pd.DataFrame | Mapping, *,
               seed: int, slots: int = 3, intercepts: int = 6, size: str | None = "volume",
               stratum: str = "sector") -> pd.DataFrame:
    """A wave's field assignments: PPS enterprises, ``slots`` hours each, target intercepts.

    One row per (enterprise, slot) with ``pi = pi_enterprise * pi_slot``,
    ``pi_slot = min(slots, M) / M`` over the ``M`` open hours, ``weight = 1 / pi`` and
    ``target`` interviews (module docstring). Seeded: ``seed`` fixes both stages.
    """
    if slots < 1 or intercepts < 1:
        raise ValueError("slots and intercepts must be at least 1")
    chosen = draw_enterprises(frame, n, seed=seed, size=size, stratum=stratum)
    rng = np.random.default_rng([seed, 1])
    rows = []
    for ent in chosen.itertuples(index=False):
        week = opening_slots(hours, ent.enterprise_id)
        if not week:
            raise ValueError(f"enterprise {ent.enterprise_id} has no opening hours")
        m = min(slots, len(week))
        for j in np.sort(rng.choice(len(week), m, replace=False)):
            d, h = week[j]
            pi = ent.pi_enterprise * m / len(week)
            rows.append((ent.sector, ent.enterprise_id, ent.pi_enterprise, ent.certainty,
                         f"{WEEKDAYS[d]} {h:02d}:00", d, h, len(week), m / len(week), pi,
                         1 / pi, intercepts))
    plan = pd.DataFrame(rows, columns=PLAN_COLUMNS)
    plan.attrs["seed"] = seed
    return plan


def field_weights(responses: pd.DataFrame, plan: pd.DataFrame, frame: pd.DataFrame, *,
                  size: str = "volume", counted: str | None = None) -> pd.Series:
    """Design weights ``N_slot / (pi_i pi_slot n_slot)`` of field responses.

    ``responses`` need ``enterprise_id`` and ``slot``; ``N_slot`` is the ``counted``
    column (customers the interviewer counted in the slot) or ``size / open_slots``
    (weekly volume spread over the open hours); ``n_slot`` counts the slot's responses.
    The Hajek mean with these weights estimates the customer-weighted sector mean.
    """
    keys = ["enterprise_id", "slot"]
    joined = responses[keys].merge(plan[keys + ["pi", "open_slots"]], on=keys, how="left")
    if joined["pi"].isna().any():
        raise ValueError("responses name slots that are not in the plan")
    n_slot = joined.groupby(keys)["pi"].transform("size")
    if counted is not None:
        traffic = responses[counted].to_numpy(float)
    else:
        vol = frame.set_index("enterprise_id")[size]
        traffic = joined["enterprise_id"].map(vol).to_numpy(float) / joined["open_slots"]
    return pd.Series(np.asarray(traffic) / (joined["pi"] * n_slot).to_numpy(),
                     index=responses.index, name="weight")
