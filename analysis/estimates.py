"""Linearised estimates of every unit of a wave, sharing two prepared designs.

Enterprises: strata = enterprises, PSUs = respondents. Sectors, categories and
the district: strata = sectors, PSUs = enterprises (``design="sample"``) or the
enterprise design (``design="census"``). Sector indices are Hajek means whose
respondent weights give each enterprise its configured share over the
respondents with a score (so a sector index is exactly the fixed-weight
combination of its enterprise indices); categories and the district are
fixed-weight composites of sectors with the combined linearised variable. The
district combines the service-family categories only; each family (when the
categories carry a ``family`` column) is the same composite over its categories.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from analysis import design as dsg
from analysis.calibration import make_calibration
from analysis.coding import codes
from analysis.item_weights import CONSTRUCTS
from analysis.weighting import MISSING_CODES

HEADLINE = "satisfaction"
CONSTRUCT_INDEX = {c: j for j, c in enumerate(CONSTRUCTS)}


def calibration_frame(r, margins, sector=None):
    """Calibration cells: a sector's margin levels, a constant cell where it has none.

    ``sector`` optionally gives the rows' sector codes and levels already computed
    (:func:`analysis.coding.codes` of ``r["sector"]``).
    """
    columns = sorted({c for m in (margins or {}).values() for c in (m or {})})
    frame = pd.DataFrame(index=r.index)
    sec_code, sec_levels = codes(r["sector"]) if sector is None else sector
    for col in columns:
        raked = np.array([col in ((margins or {}).get(s) or {}) for s in sec_levels])[sec_code]
        code, levels = codes(r[col])
        missing = np.isin(np.asarray(levels, dtype=object), MISSING_CODES)
        code = np.where((code < 0) | missing[np.maximum(code, 0)], len(levels), code)
        frame[col] = np.where(raked, code, len(levels) + 1)
    return frame, columns


class UnitEstimates:
    """Linearised estimates for every unit, sharing the prepared designs."""

    def __init__(self, r, w, base, cal_frame, cal_cols, shares, sectors, categories, settings,
                 *, sector=None):
        """Prepare the enterprise and aggregate designs of the rows ``r``.

        ``sector`` optionally gives ``codes(r["sector"])`` already computed.
        """
        self.r, self.w, self.settings, self.shares = r, w, settings, shares
        self.sector_codes = list(sectors["sector"])
        self.sectors, self.categories = sectors, categories
        self.ent_code, self.ent_levels = codes(r["enterprise_id"])
        # codes of the few distinct sectors, mapped to the sectors table's order
        code, levels = codes(r["sector"]) if sector is None else sector
        table_pos = pd.Index(self.sector_codes).get_indexer(levels.astype(object))
        self.sec_code = np.where(code >= 0, table_pos[np.maximum(code, 0)], -1)
        cal = None
        if cal_cols:
            cal = make_calibration(cal_frame, cal_cols, base, code)
        self.ent_design = dsg.prepare_design(w, strata=self.ent_code, calibration=cal)
        if settings.design == "sample":
            self.agg_design = dsg.prepare_design(w, strata=self.sec_code, psu=self.ent_code,
                                                 calibration=cal)
        else:
            self.agg_design = self.ent_design
        self.psu_table = pd.DataFrame()
        self.coefs = {}  # construct -> (composite coefficients, unit labels)
        self._ent_sector = self.sec_code[np.unique(self.ent_code, return_index=True)[1]]
        self._share = (None if shares is None
                       else shares.reindex(self.ent_levels).to_numpy(float))

    def indices(self, scores: pd.DataFrame, *, record: bool = True) -> pd.DataFrame:
        """Estimates of every unit for each score column (0-100), all levels stacked.

        With ``record`` (the constructs) the composite weights and PSU totals are kept
        for the bootstrap and between-wave change; other score columns (e.g. the
        satisfied-share indicator of :mod:`analysis.targets`) pass ``record=False``.
        """
        parts, psu_parts = [], []
        for construct in scores.columns:
            y = scores[construct].to_numpy(float)
            if np.all(np.isnan(y)):
                continue
            ent = dsg.domain_composites(self.ent_design, y, self.ent_code,
                                        level=self.settings.ci_level)
            ent.insert(0, "unit", self.ent_levels.astype(object))
            ent.insert(0, "level", "enterprise")
            agg, labels = self._aggregate(y)
            if record:
                self.coefs[construct] = (self._last_coef, labels)
            for frame in (ent, agg):
                frame.insert(2, "construct", construct)
            parts += [ent, agg]
            if record and "psu_totals" in agg.attrs:
                psu_parts.append(self._psu_rows(agg.attrs["psu_totals"], labels, construct))
        out = pd.concat(parts, ignore_index=True)
        if "df_design" in out.columns:
            out["df_design"] = out["df_design"].fillna(out["df"])
        for col in ("estimate", "ci_low", "ci_high"):
            out[col] = out[col].clip(0.0, 100.0)
        if psu_parts:
            self.psu_table = pd.concat(psu_parts, ignore_index=True)
        return out.dropna(subset=["estimate"]).reset_index(drop=True)

    def _aggregate(self, y):
        """Sector, category and district composites of one construct."""
        ok = ~np.isnan(y)
        w_star = self._star_weights(self.w, self.ent_code, ok)
        n_s = np.bincount(self.sec_code[ok], minlength=len(self.sector_codes))
        coef, labels = self._coefficients(n_s > 0)
        self._last_coef = coef
        out = dsg.domain_composites(self.agg_design, y, self.sec_code, coef,
                                    level=self.settings.ci_level, weight=w_star,
                                    n_domains=len(self.sector_codes),
                                    psu_totals=self.settings.design == "sample",
                                    small_sample=(self.settings.design == "sample"
                                                  and self.settings.small_sample),
                                    small_sample_seed=self.settings.seed)
        out.insert(0, "unit", [u for _, u in labels])
        out.insert(0, "level", [lv for lv, _ in labels])
        return out, labels

    def _star_weights(self, w, ent, ok):
        """Weights giving each enterprise its configured share over valid rows."""
        if self.shares is None:
            return w
        valid_w = np.bincount(ent[ok], weights=w[ok], minlength=len(self.ent_levels))
        share = self.shares.reindex(self.ent_levels).to_numpy(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = w * (share / valid_w)[ent]
        return np.where(np.isfinite(out), out, 0.0)

    @property
    def enterprise_sector(self) -> np.ndarray:
        """Sector code (stratum) of each enterprise, in enterprise-code order."""
        return self._ent_sector

    def replicate_keys(self) -> pd.DataFrame:
        """``level, unit, construct`` of the rows :meth:`replicate` returns."""
        frames = []
        ents = self.ent_levels.astype(object)
        for construct, (_, labels) in self.coefs.items():
            frames.append(pd.DataFrame({"level": "enterprise", "unit": ents,
                                        "construct": construct}))
            frames.append(pd.DataFrame({"level": [lv for lv, _ in labels],
                                        "unit": [u for _, u in labels], "construct": construct}))
        return pd.concat(frames, ignore_index=True)

    def replicate(self, scores: np.ndarray, w: np.ndarray,
                  multiplier: np.ndarray | None = None) -> np.ndarray:
        """Point estimates of every unit from replicate scores (rows x constructs) and weights.

        Hajek means per enterprise; a sector is ``sum_e a_e ybar_e / sum_e a_e``
        over its enterprises with data (configured shares ``a_e`` times the
        enterprise's Rao-Wu ``multiplier``, if given) or its pooled weighted
        mean; categories and the district apply the composite weights.
        """
        n_ent, n_sec = len(self.ent_levels), len(self.sector_codes)
        out = []
        for construct, (coef, _) in self.coefs.items():
            y = scores[:, CONSTRUCT_INDEX[construct]]
            ok = ~np.isnan(y) & (w > 0)
            wk = np.where(ok, w, 0.0)
            wy = np.where(ok, w * np.where(ok, y, 0.0), 0.0)
            den = np.bincount(self.ent_code, weights=wk, minlength=n_ent)
            with np.errstate(invalid="ignore", divide="ignore"):
                ent = np.bincount(self.ent_code, weights=wy, minlength=n_ent) / den
                if self._share is None:
                    sec = (np.bincount(self.sec_code, weights=wy, minlength=n_sec)
                           / np.bincount(self.sec_code, weights=wk, minlength=n_sec))
                else:
                    share = self._share if multiplier is None else self._share * multiplier
                    a = np.where(den > 0, share, 0.0)
                    sec = (np.bincount(self._ent_sector, weights=a * np.nan_to_num(ent),
                                       minlength=n_sec)
                           / np.bincount(self._ent_sector, weights=a, minlength=n_sec))
            out += [ent, coef @ np.nan_to_num(sec)]
        return np.concatenate(out)

    def _coefficients(self, has):
        """Composite weights: sectors (identity), categories, district, families.

        A category is ``sum_s b_s I_s`` over its sectors with data; the district is
        ``sum_c g_c I_c / sum_c g_c`` over the *service-family* categories with data
        (every category when the frame has no ``family`` column) and, when it has one,
        each family ``f`` gets the same composite over its own categories.
        """
        sec, cat = self.sectors, self.categories
        n = len(self.sector_codes)
        rows, labels = [], []
        for j, code in enumerate(self.sector_codes):
            if has[j]:
                rows.append(np.eye(n)[j])
                labels.append(("sector", code))
        cat_rows = {}
        for c in cat["category"]:
            mask = (sec["category"] == c).to_numpy() & has
            b = np.where(mask, sec["weight"].to_numpy(float), 0.0)
            if b.sum() > 0:
                cat_rows[c] = b / b.sum()
                rows.append(cat_rows[c])
                labels.append(("category", c))
        g = cat.set_index("category")["weight"].astype(float).reindex(list(cat_rows))
        family = (cat.set_index("category")["family"].reindex(list(cat_rows))
                  if "family" in cat.columns else pd.Series("service", index=g.index))
        groups = [("district", "district", family == "service")]
        if "family" in cat.columns:  # one composite per family, as the district is formed
            groups += [("family", f, family == f) for f in pd.unique(cat["family"])]
        for level, unit, member in groups:
            gm = g[member.to_numpy(bool)]
            if len(gm) and gm.sum() > 0:
                rows.append(sum(gm[c] / gm.sum() * cat_rows[c] for c in gm.index))
                labels.append((level, unit))
        return sparse.csr_array(np.array(rows)), labels

    def _psu_rows(self, totals, labels, construct):
        d = self.agg_design
        stratum = np.asarray(self.sector_codes, dtype=object)[d.psu_stratum]
        first = np.unique(d.psu, return_index=True)[1]
        psu_id = self.ent_levels.to_numpy(dtype=object)[self.ent_code[first]]
        frames = []
        for j, (level, unit) in enumerate(labels):
            nz = totals[:, j] != 0
            frames.append(pd.DataFrame({"level": level, "unit": unit, "construct": construct,
                                        "stratum": stratum[nz], "psu": psu_id[nz],
                                        "total": totals[nz, j]}))
        return pd.concat(frames, ignore_index=True)
