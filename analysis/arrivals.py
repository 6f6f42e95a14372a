"""Expected arrival rates of survey responses: per enterprise and UTC hour of a wave.

The model (every part estimated from earlier waves, with defaults when there are none):

``lambda_e(h) = L * theta_e * shape[dow(h), hour(h)] * open_e(h) * ramp[day(h)]``

- ``shape``: the district's relative rate per open enterprise-hour by local day of week and
  hour of day (168 cells, shrunk to 1 by five pseudo-responses per cell);
- ``open_e``: 1 inside the enterprise's opening hours plus a grace, ``CLOSED_FLOOR`` outside;
- ``ramp``: the first ``RAMP_DAYS`` days of a wave against the rest (posters going up);
- ``theta_e``: the enterprise's level, Gamma-Poisson (empirical Bayes): a prior from its sector
  peers ``m_e = exp(alpha_s) v_e^beta`` (``v_e`` the declared customer volume) with shape ``a``
  (method of moments over the peers), updated by its own counts ``Y_e`` over the shape-exposure
  ``X_e`` of earlier waves: ``theta_e = (a + Y_e) / (a / m_e + X_e)``. A new enterprise keeps
  its peer prior; its larger uncertainty ``1/a`` widens its tests;
- ``L``: the current wave's district level against the model, ``(N + 50) / (E + 50)`` over the
  responses so far (shrunk to 1), so that a wave's first days lean on history and peers.

Counts are over-dispersed: ``cv2_level`` (the posterior ``1/(a + Y_e)`` plus a wave-to-wave
drift), ``cv2_day`` and ``cv2_hour`` (promotions, rush hours; method of moments on the history)
make a window's count negative binomial (see :mod:`analysis.surge`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.quality import outside_hours

CLOSED_FLOOR = 0.03  # relative rate outside opening hours + grace (late answers do happen)
RAMP_DAYS = 7
SHAPE_PRIOR = 5.0  # pseudo-responses per day-of-week x hour cell
RAMP_PRIOR = 20.0  # pseudo-responses per first-day factor
LEVEL_PRIOR = 50.0  # pseudo-responses of the current district level
DEFAULT_BETA = 0.5  # volume elasticity of the response rate when it cannot be estimated
DEFAULT_CV2 = {"peer": 0.5, "day": 0.3, "hour": 0.5}  # without history to estimate them
HOUR = pd.Timedelta(hours=1)


@dataclass(frozen=True)
class ArrivalModel:
    """Expected responses per UTC hour (rows) of each enterprise (columns), with dispersion."""

    rates: pd.DataFrame
    cv2_level: pd.Series
    cv2_day: float
    cv2_hour: float

    def window_cv2(self, enterprise, hours: float) -> float:
        """Squared CV of the count in a window of ``hours``: level + day/d + hour/h parts."""
        return float(self.cv2_level[enterprise] + self.cv2_day * min(1.0, 24.0 / hours)
                     + self.cv2_hour * min(1.0, 1.0 / hours))


def hour_grid(start, end) -> pd.DatetimeIndex:
    """UTC hour starts of every hour meeting ``[start, end)``; both must be tz-aware."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if start.tzinfo is None or end.tzinfo is None or not start < end:
        raise ValueError("start and end must be tz-aware with start < end")
    return pd.date_range(start.tz_convert("UTC").floor("h"), end.tz_convert("UTC") - HOUR * 1e-9,
                         freq="h")


def open_mask(enterprises: pd.DataFrame, hours: pd.DatetimeIndex, tz: str,
              grace: int = 120) -> np.ndarray:
    """Hours x enterprises: 1 when the hour's middle is within opening hours + ``grace``
    minutes (``opens_minute``/``closes_minute``, NaN = unknown = open), else CLOSED_FLOOR."""
    local = (hours + HOUR / 2).tz_convert(tz)
    minute = np.repeat(local.hour * 60 + local.minute, len(enterprises))
    opens = np.tile(_col(enterprises, "opens_minute"), len(hours))
    closes = np.tile(_col(enterprises, "closes_minute"), len(hours))
    out = outside_hours(pd.Series(minute), pd.Series(opens), pd.Series(closes), grace)
    return np.where(out.to_numpy().reshape(len(hours), -1), CLOSED_FLOOR, 1.0)


def _col(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    return frame[name].to_numpy(dtype="float64", na_value=np.nan)


def _cell(hours: pd.DatetimeIndex, tz: str) -> np.ndarray:
    local = hours.tz_convert(tz)
    return np.asarray(local.day_of_week * 24 + local.hour)


def _hour_counts(times: pd.Series, ents: pd.Series, hours: pd.DatetimeIndex,
                 ids: pd.Index) -> np.ndarray:
    """Responses per hour (rows) and enterprise (columns)."""
    t = pd.to_datetime(times, utc=True)
    row = np.asarray((t - hours[0]) // HOUR, dtype=np.int64)
    col = ids.get_indexer(ents)
    keep = (row >= 0) & (row < len(hours)) & (col >= 0)
    out = np.zeros((len(hours), len(ids)))
    np.add.at(out, (row[keep], col[keep]), 1.0)
    return out


def _waves(history, waves, enterprises, tz, grace):
    """Per earlier wave: its hour grid, counts, opening mask and wave-day of each hour."""
    ids = pd.Index(enterprises["enterprise_id"])
    out = []
    for _, w in waves.iterrows():
        hours = hour_grid(w["start"], w["end"])
        part = history[history["wave"] == w["wave"]]
        counts = _hour_counts(part["submitted_at"], part["enterprise_id"], hours, ids)
        day = np.asarray((hours - hours[0]) // pd.Timedelta(days=1))
        out.append((hours, counts, open_mask(enterprises, hours, tz, grace), day))
    return out


def _shape(past, tz) -> np.ndarray:
    counts, exposure = np.zeros(168), np.zeros(168)
    for hours, y, mask, _ in past:
        cell = _cell(hours, tz)
        np.add.at(counts, cell, y.sum(axis=1))
        np.add.at(exposure, cell, mask.sum(axis=1))
    if counts.sum() == 0:
        return np.ones(168)
    rate = counts.sum() / exposure.sum()
    return (counts + SHAPE_PRIOR) / (exposure * rate + SHAPE_PRIOR)


def _ramp(past, shape, tz) -> np.ndarray:
    obs, exp = np.zeros(RAMP_DAYS), np.zeros(RAMP_DAYS)
    for hours, y, mask, day in past:
        x = (shape[_cell(hours, tz)][:, None] * mask).sum(axis=1)
        first = day < RAMP_DAYS
        np.add.at(obs, day[first], y.sum(axis=1)[first])
        np.add.at(exp, day[first], y.sum() * x[first] / x.sum())
    return (obs + RAMP_PRIOR) / (exp + RAMP_PRIOR)


def _exposure(hours, mask, day, shape, ramp, tz) -> np.ndarray:
    """Hours x enterprises shape-exposure ``shape * open * ramp``."""
    r = np.where(day < RAMP_DAYS, ramp[np.minimum(day, RAMP_DAYS - 1)], 1.0)
    return shape[_cell(hours, tz)][:, None] * mask * r[:, None]


def _mom_cv2(y: np.ndarray, mu: np.ndarray, default: float) -> float:
    """Method-of-moments ``1/size`` of a negative binomial: ``sum((y-mu)^2 - mu) / sum mu^2``."""
    if mu.sum() <= 0:
        return default
    return float(np.clip(np.sum((y - mu) ** 2 - mu) / np.sum(mu ** 2), 0.02, 3.0))


def _dispersion(past, xs, tz) -> tuple[float, float]:
    """Day and hour over-dispersion of the earlier waves, each around its parent's count."""
    ys_d, mu_d, ys_h, mu_h = [], [], [], []
    for (hours, y, _, _), x in zip(past, xs, strict=True):
        local_day = hours.tz_convert(tz).normalize()
        d = np.asarray((local_day - local_day[0]) // pd.Timedelta(days=1))
        yd, xd = (np.stack([np.bincount(d, c, d.max() + 1) for c in m.T], 1) for m in (y, x))
        scale = y.sum(0) / np.where(x.sum(0) > 0, x.sum(0), 1)
        ys_d.append(yd.ravel())
        mu_d.append((xd * scale).ravel())
        ys_h.append(y.ravel())
        mu_h.append((x * (yd / np.where(xd > 0, xd, 1))[d]).ravel())
    if not ys_d:
        return DEFAULT_CV2["day"], DEFAULT_CV2["hour"]
    return (_mom_cv2(np.concatenate(ys_d), np.concatenate(mu_d), DEFAULT_CV2["day"]),
            _mom_cv2(np.concatenate(ys_h), np.concatenate(mu_h), DEFAULT_CV2["hour"]))


def peer_levels(counts: np.ndarray, exposure: np.ndarray, sector: np.ndarray,
                volume: np.ndarray, drift_cv: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Gamma-Poisson levels ``theta_e`` and their squared CV, shrunk to sector peers.

    ``counts``/``exposure`` are each enterprise's earlier responses ``Y_e`` and shape-exposure
    ``X_e`` (0 for a new enterprise). Peer prior ``m_e = exp(alpha_s) v_e^beta``: ``beta`` the
    within-sector least-squares slope of ``log((Y+0.5)/X)`` on ``log v`` (clipped to [0, 1.5];
    0.5 with fewer than five enterprises), ``alpha_s = log(sum_s Y / sum_s X v^beta)``; prior
    shape ``a`` by moments, ``1/a = sum((Y - mu)^2 - Y) / sum mu^2`` with ``mu = m X``.
    Posterior ``theta = (a + Y)/(a/m + X)``, ``cv2 = 1/(a + Y) + drift_cv^2``
    (Clayton & Kaldor 1987, Biometrics 43:671, empirical Bayes for Poisson rates).
    """
    y, x = np.asarray(counts, float), np.asarray(exposure, float)
    if np.any(y < 0) or np.any(x < 0) or not np.any(x > 0):
        raise ValueError("counts and exposure must be >= 0, some exposure > 0")
    v = _volumes(volume, sector)
    seen = x > 0
    lr, lv = np.log((y[seen] + 0.5) / x[seen]), np.log(v[seen])
    beta = DEFAULT_BETA
    if seen.sum() >= 5:
        g = pd.Series(sector[seen])
        dr = lr - pd.Series(lr).groupby(g).transform("mean").to_numpy()
        dv = lv - pd.Series(lv).groupby(g).transform("mean").to_numpy()
        beta = float(np.clip((dr @ dv) / (dv @ dv), 0.0, 1.5)) if dv @ dv > 0 else DEFAULT_BETA
    xv = x * v ** beta
    s = pd.Series(sector)
    alpha = np.log(y.sum() / xv.sum())
    num, den = pd.Series(y).groupby(s).sum(), pd.Series(xv).groupby(s).sum()
    sec = np.log((num + 1.0) / (den + 1.0 / np.exp(alpha)))  # a sector without history: district
    m = np.exp(s.map(sec).to_numpy()) * v ** beta
    inv_a = _mom_cv2(y[seen], (m * x)[seen], DEFAULT_CV2["peer"])
    a = 1.0 / inv_a
    return (a + y) / (a / m + x), 1.0 / (a + y) + drift_cv ** 2


def expected_arrivals(enterprises: pd.DataFrame, start, end, *, tz: str,
                      history: pd.DataFrame | None = None, waves: pd.DataFrame | None = None,
                      current: pd.DataFrame | None = None, now=None, grace: int = 120,
                      volume: str = "volume", drift_cv: float = 0.3) -> ArrivalModel:
    """Expected responses per UTC hour of each enterprise over ``[start, end)``.

    Parameters
    ----------
    enterprises : enterprise_id, sector, ``volume`` (declared customer volume, NaN allowed),
        opens_minute, closes_minute (local minutes of day, NaN = unknown).
    history : earlier waves' responses: enterprise_id, wave, submitted_at (aware UTC).
    waves : the earlier waves: wave, start, end (aware).
    current : this wave's responses so far (enterprise_id, submitted_at), for the level ``L``.
    now : end of the observed part of this wave (default: ``end``).

    Returns
    -------
    ArrivalModel with ``rates[h, e] = L theta_e shape open_e ramp`` (module docstring).
    """
    for name in ("enterprise_id", "sector"):
        if name not in enterprises.columns:
            raise ValueError(f"enterprises lacks column {name!r}")
    hours = hour_grid(start, end)
    have_history = history is not None and waves is not None and len(history) > 0
    past = _waves(history, waves, enterprises, tz, grace) if have_history else []
    shape = _shape(past, tz)
    ramp = _ramp(past, shape, tz) if past else np.ones(RAMP_DAYS)
    xs = [_exposure(h, m, d, shape, ramp, tz) for h, _, m, d in past]
    day = np.asarray((hours - hours[0]) // pd.Timedelta(days=1))
    x_now = _exposure(hours, open_mask(enterprises, hours, tz, grace), day, shape, ramp, tz)
    sector = enterprises["sector"].to_numpy(dtype=object)
    vol = _volumes(_col(enterprises, volume), sector)
    if past:
        y = sum(p[1].sum(0) for p in past)
        theta, cv2 = peer_levels(y, sum(x.sum(0) for x in xs), sector, vol, drift_cv)
        cv2_day, cv2_hour = _dispersion(past, xs, tz)
    else:  # no history: relative volumes only, the current wave sets the scale (L)
        theta = vol ** DEFAULT_BETA / np.mean(vol ** DEFAULT_BETA)
        cv2 = np.full(len(sector), DEFAULT_CV2["peer"] + drift_cv ** 2)
        cv2_day, cv2_hour = DEFAULT_CV2["day"], DEFAULT_CV2["hour"]
    rates = x_now * theta[None, :]
    rates *= _level(current, enterprises, hours, rates, now or end, past)
    ids = pd.Index(enterprises["enterprise_id"])
    return ArrivalModel(pd.DataFrame(rates, index=hours, columns=ids),
                        pd.Series(cv2, index=ids), cv2_day, cv2_hour)


def _volumes(volume: np.ndarray, sector: np.ndarray) -> np.ndarray:
    """Declared volumes; a missing one takes its sector's median, else the district's, else 1."""
    v = pd.Series(np.asarray(volume, float))
    v = v.where(v > 0)
    v = v.fillna(v.groupby(sector).transform("median")).fillna(v.median()).fillna(1.0)
    return v.to_numpy()


def _level(current, enterprises, hours, rates, now, past) -> float:
    """District level ``L = (N + c) / (E + c)`` of the current wave so far (c = 50 responses;
    without history the data alone set the scale)."""
    if current is None or not len(current):
        if not past:
            raise ValueError("without history the current wave's responses set the scale")
        return 1.0
    seen = hours < pd.Timestamp(now).tz_convert("UTC")
    n = _hour_counts(current["submitted_at"], current["enterprise_id"], hours,
                     pd.Index(enterprises["enterprise_id"]))[seen].sum()
    e = rates[seen].sum()
    prior = LEVEL_PRIOR if past else 0.0
    if e <= 0:
        return 1.0
    return float((n + prior) / (e + prior)) if n + prior > 0 else 1.0
