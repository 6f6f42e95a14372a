"""The wave result's integration tables: QR, verified, field and combined side by side.

Wraps :mod:`analysis.integration` for one wave: respondent scores on the headline
construct, then per sector and per enterprise the QR-only index, the verified
(receipt-code) index, the field index, the combined GREG index (Kim & Tam 2021;
Elliott & Valliant 2017) and the QR-field gap with its CI and flag; plus receipt-code
use per batch and the selective-solicitation screen. A table is left out when its
sample is too small to estimate; ``notes`` says why.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import integration as ig
from analysis.index import respondent_scores

HEADLINE = "satisfaction"
MIN_FIELD = 2  # field responses in a unit before its field index is shown


def headline_scores(responses: pd.DataFrame, models: dict, item_weights: pd.DataFrame
                    ) -> pd.Series:
    """Each response's 0-100 headline (satisfaction) score, indexed by response_id.

    ``score = sum_k w_k s_k / sum_k w_k`` over the answered satisfaction items with the
    wave's index weights ``w_k`` (:func:`analysis.index.respondent_scores`); equal
    weights where the result has none for a sector.
    """
    out = pd.Series(np.nan, index=responses["response_id"].to_numpy(), name="score")
    for sector, rows in responses.groupby("sector"):
        model = models.get(sector)
        if model is None or HEADLINE not in model["blocks"]:
            continue
        items = list(model["blocks"][HEADLINE])
        w = item_weights[(item_weights["sector"] == sector)
                         & (item_weights["construct"] == HEADLINE)] \
            if len(item_weights) else item_weights
        weights = (w.set_index("item")["index_weight"].reindex(items).fillna(1.0)
                   if len(w) else pd.Series(1.0, index=items))
        data = rows.reindex(columns=items)
        s = respondent_scores(data, {HEADLINE: items}, weights,
                              {i: model["scales"][i] for i in items},
                              reverse=[i for i in model.get("reverse", ()) if i in items])
        out.loc[rows["response_id"].to_numpy()] = s[HEADLINE].to_numpy()
    return out


def _side(est: pd.DataFrame | None, name: str) -> pd.DataFrame:
    if est is None or not len(est):
        return pd.DataFrame(columns=[name, f"{name}_se", f"{name}_n"])
    n = est["n"] if "n" in est.columns else np.nan
    return pd.DataFrame({name: est["estimate"], f"{name}_se": est["se"], f"{name}_n": n},
                        index=est.index)


def _try(notes: list, label: str, fn, *args, **kw):
    try:
        return fn(*args, **kw)
    except (ValueError, KeyError, ZeroDivisionError) as exc:
        notes.append(f"{label}: {exc}")
        return None


def _gap(qr, field, notes, label):
    if qr is None or field is None:
        return None
    keep = field[field["n"] >= MIN_FIELD] if "n" in field.columns else field
    return _try(notes, label, ig.qr_field_gap, qr, keep)


def integration_tables(qr: pd.DataFrame, field: pd.DataFrame, enterprises: pd.DataFrame,
                       batches: pd.DataFrame | None = None, used: pd.DataFrame | None = None,
                       *, min_verified: int = 5, ci: float = 0.95) -> dict[str, pd.DataFrame]:
    """``integration_sectors``, ``integration_enterprises``, ``receipt_rates`` and
    ``solicitation`` tables, each with a ``unit`` column (module docstring).

    ``qr``: enterprise_id, sector, score, verified; ``field``: enterprise_id, sector, slot,
    weight, score; ``enterprises``: enterprise_id, sector, volume.
    """
    notes: list[str] = []
    qr = qr[qr["score"].notna()]
    ver = qr[qr["verified"].astype(bool)]
    has_field = len(field) > 0
    out = {}
    for level in ig.LEVELS:
        q = _try(notes, f"qr {level}", ig.qr_index, qr, enterprises, level=level, ci=ci) \
            if len(qr) else None
        v = _try(notes, f"verified {level}", ig.qr_index, ver, enterprises, level=level,
                 ci=ci) if len(ver) else None
        f = _try(notes, f"field {level}", ig.field_index, field, level=level, ci=ci) \
            if has_field else None
        parts = [_side(q, "qr"), _side(v, "verified"), _side(f, "field")]
        if has_field and len(qr):
            comb = (_try(notes, "combined sectors", ig.combined_index, field, qr, enterprises,
                         min_verified=min_verified, ci=ci) if level == "sector" else
                    _try(notes, "combined enterprises", ig.combined_enterprises, field, qr,
                         enterprises, min_verified=min_verified, ci=ci))
            if comb is not None:
                se = comb["se"] if "se" in comb.columns else comb["rmse"]
                parts.append(pd.DataFrame({"combined": comb["estimate"], "combined_se": se}))
        table = pd.concat(parts, axis=1)
        gap = _gap(q, f, notes, f"gap {level}")
        if gap is not None:
            table = table.join(gap[["gap", "ci_low", "ci_high", "flag"]].rename(columns={
                "ci_low": "gap_low", "ci_high": "gap_high"}))
        table = table.dropna(how="all", subset=[c for c in ("qr", "verified", "field")
                                                 if c in table.columns])
        out[f"integration_{level}s"] = table.rename_axis("unit").reset_index()
    if batches is not None and len(batches):
        rates = _try(notes, "receipt rates", ig.receipt_rates, batches,
                     used if used is not None else pd.DataFrame(columns=["batch_id"]))
        if rates is not None:
            out["receipt_rates"] = rates
            sol = _try(notes, "solicitation", ig.solicitation_report, rates, ver, enterprises)
            if sol is not None:
                out["solicitation"] = sol.rename_axis("unit").reset_index()
    out["integration_notes"] = pd.DataFrame({"note": notes})
    return out
