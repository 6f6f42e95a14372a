"""Respondent weights of a wave: enterprise shares and raking within each sector."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.influence import day_cap_factors
from analysis.weighting import coded_margins, kish_neff, rake_trim_rows

ENTERPRISE_MARGIN = "enterprise_id"


def enterprise_shares(enterprises: pd.DataFrame, present: pd.Index) -> pd.Series:
    """Configured enterprise weights, normalised within sector over ``present``.

    A missing weight takes the mean of its sector's known weights; a sector
    with none known weights its enterprises equally.
    """
    e = enterprises.set_index("enterprise_id").loc[present]
    w = e["weight"].astype(float)
    sector_mean = w.groupby(e["sector"]).transform("mean")
    w = w.fillna(sector_mean).fillna(1.0)
    if np.any(w <= 0):
        raise ValueError("enterprise weights must be positive")
    return w / w.groupby(e["sector"]).transform("sum")


def wave_weights(
    responses: pd.DataFrame,
    shares: pd.Series | None,
    margins: dict | None,
    settings,
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame, list]:
    """Final and base respondent weights, a per-sector report and the sector plans.

    Within each sector, the base weights (1) are raked to the sector's
    population margins (given as totals or shares; only proportions matter)
    and, with ``aggregation="enterprise_weights"``, to enterprise totals
    proportional to the configured enterprise weights, so that each
    enterprise's respondents carry its configured share. Missing or
    ``undisclosed`` profile answers are matched in proportion. Weights are
    then trimmed (their adjustment factors over the base weights, to
    ``settings.trim_bounds`` times the mean factor) and re-raked. The plans
    (:class:`SectorPlan`) let the bootstrap re-rake its replicates.
    """
    plans = weight_plans(responses, shares, margins, settings)
    w, base = np.ones(len(responses)), np.ones(len(responses))
    rows = []
    for plan in plans:
        idx = plan.idx
        base[idx] = plan.base
        wts, ok, converged = plan.weights(np.ones((1, len(idx))), settings)
        if not converged[0]:
            raise ValueError(f"raking of sector {plan.sector!r} did not converge to "
                             f"{settings.rake_tol:g}")
        w[idx] = wts[0]
        rows.append({"sector": plan.sector, "n": len(idx), "n_eff": kish_neff(w[idx]),
                     "deff": len(idx) / kish_neff(w[idx]),
                     "margins": ",".join(plan.columns), "within_trim_bounds": bool(ok[0])})
    return w, base, pd.DataFrame(rows), plans


@dataclass(frozen=True)
class SectorPlan:
    """What raking one sector needs: its rows, base weights and coded margins."""

    sector: str
    idx: np.ndarray
    base: np.ndarray
    coded: list  # weighting.coded_margins output; empty: base weights are final
    columns: tuple  # population margins raked (besides the enterprise margin)

    def weights(self, freq: np.ndarray, settings, *, resampled_enterprises: bool = False):
        """Raked weights of each row of copy counts ``freq`` (replicates x rows).

        With ``resampled_enterprises`` ``freq`` is constant within an
        enterprise (its Rao-Wu multiplier ``m_e``) and the enterprise margin's
        targets become ``t_e m_e``, rescaled to the same total, so a drawn
        enterprise keeps its share times its multiplicity and an enterprise not
        drawn has none. Returns the weights and, per row, whether the trimming
        bounds hold and whether raking converged.
        """
        start = self.base * freq
        if not self.columns:
            ones = np.ones(len(freq), bool)
            return start, ones, ones
        coded = self.coded
        if resampled_enterprises and len(coded) > len(self.columns):
            code, target = coded[-1]  # the enterprise margin comes last (weight_plans)
            first = np.unique(code, return_index=True)[1]
            scaled = target * freq[:, first]
            scaled = scaled * (target.sum() / scaled.sum(axis=1, keepdims=True))
            coded = [*coded[:-1], (code, scaled)]
        return rake_trim_rows(start, coded, freq=freq, bounds=settings.trim_bounds,
                              tol=settings.rake_tol)


def weight_plans(responses, shares, margins, settings) -> list[SectorPlan]:
    """Per sector: base weights (each enterprise its share) and the coded margins."""
    columns = [ENTERPRISE_MARGIN] + sorted({c for m in (margins or {}).values()
                                            for c in (m or {})} & set(responses.columns))
    # text columns factorised once: each sector's slice is then a take of integer codes
    frame = responses[columns].astype({c: "category" for c in columns[1:]
                                       if not pd.api.types.is_numeric_dtype(responses[c])})
    cap = influence_factors(responses, settings)
    sec_code, sec_levels = pd.factorize(responses["sector"])  # in order of appearance
    order = np.argsort(sec_code, kind="stable")
    bounds = np.searchsorted(sec_code[order], np.arange(len(sec_levels) + 1))
    plans = []
    for j, code in enumerate(sec_levels):
        idx = order[bounds[j]:bounds[j + 1]]
        part = frame.iloc[idx]
        m = _sector_margins(part, code, shares, margins if settings.raking else None)
        base = cap[idx]  # mean 1 within each enterprise: enterprise totals are kept
        if ENTERPRISE_MARGIN in m:
            # base weights give each enterprise its share; raking keeps them
            e = part[ENTERPRISE_MARGIN]
            base = base * e.map(m[ENTERPRISE_MARGIN]).to_numpy(float) / e.map(
                e.value_counts()).to_numpy(float)
        raked = tuple(c for c in m if c != ENTERPRISE_MARGIN)
        coded = coded_margins(part, m, "share") if raked else []
        plans.append(SectorPlan(str(code), idx, base, coded, raked))
    return plans


def influence_factors(responses: pd.DataFrame, settings) -> np.ndarray:
    """Day-cap factors of :mod:`analysis.influence` (1 when off or without submitted_at)."""
    if settings.influence_cap is None or "submitted_at" not in responses.columns:
        return np.ones(len(responses))
    return day_cap_factors(responses[ENTERPRISE_MARGIN], responses["submitted_at"],
                           tz=settings.time_zone, cap=settings.influence_cap,
                           floor=settings.influence_floor, alpha=settings.influence_alpha,
                           day_cv2=settings.influence_day_cv2)


def _sector_margins(part: pd.DataFrame, code, shares, margins) -> dict:
    """Targets for one sector, all scaled to the sector's respondent count."""
    n = len(part)
    out = {}
    for column, levels in ((margins or {}).get(code) or {}).items():
        total = sum(float(v) for v in levels.values())
        out[column] = {lv: n * float(v) / total for lv, v in levels.items()}
    if shares is not None:
        ids = pd.unique(part[ENTERPRISE_MARGIN])
        s = shares.loc[ids]
        total = s.sum()
        out[ENTERPRISE_MARGIN] = {k: n * v / total for k, v in s.items()}
    return out
