"""The effect of one response on its enterprise's satisfaction index (for appeal decisions).

The index is recomputed over the enterprise's counted responses of the wave with and
without the contested response, with the sector's stored item weights (equal weights
before the wave's first computation) and `analysis.survey_mean`.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import instruments
from analysis import respondent_scores, survey_mean
from survey.model import Answer, Enterprise, Response, Wave
from survey.ops.compute import analyse, latest_result, parsed, wave_inputs, wave_settings
from survey.ops.frames import model_of


def _weights(session: Session, wave: Wave, sector: str, blocks: dict) -> tuple[dict, str]:
    row = latest_result(session, wave)
    if row is not None:
        table = parsed(row.result_json).tables.get("item_weights")
        if table is not None and len(table):
            part = table[table["sector"].astype(str) == sector]
            found = dict(zip(part["item"].astype(str), part["index_weight"].astype(float),
                             strict=True))
            if all(i in found for items in blocks.values() for i in items):
                return found, "stored"
    return {i: 1.0 for items in blocks.values() for i in items}, "equal"


def exact_effect(session: Session, response: Response) -> dict:
    """The response's effect on every index it enters, by the full weighted recompute.

    The wave is computed twice through ``analysis.compute_wave`` with its stored settings —
    once with the response counted and once with it quarantined, everything else as stored
    (item weights refitted, respondent weights re-raked) — and the enterprise's, its
    sector's, category's and the district's satisfaction index are read from both.
    Returns ``{level: {"unit", "with", "without", "change"}}``.
    """
    wave = session.get(Wave, response.wave_id)
    enterprise = session.get(Enterprise, response.enterprise_id)
    settings = wave_settings(wave)
    inputs = wave_inputs(session, wave)
    frame = inputs["responses"]
    results = {}
    for name, quarantined in (("with", False), ("without", True)):
        part = frame.copy()
        part.loc[part["response_id"] == response.id, "quarantined"] = quarantined
        results[name] = analyse(inputs, settings, part)
    units = {"enterprises": enterprise.id, "sectors": enterprise.sector.code,
             "categories": enterprise.sector.category.code, "district": None}
    out = {}
    for level, unit in units.items():
        pair = [_estimate(results[n].tables[level], unit) for n in ("with", "without")]
        change = None if None in pair else round(pair[1] - pair[0], 4)
        out[level] = {"unit": None if unit is None else str(unit), "with": pair[0],
                      "without": pair[1], "change": change}
    return out


def _estimate(table: pd.DataFrame, unit) -> float | None:
    rows = table if unit is None else table[table["unit"].astype(str) == str(unit)]
    if rows.empty:
        return None
    value = float(rows["estimate"].iloc[0])
    return round(value, 4) if value == value else None


def index_effect(session: Session, response: Response) -> dict:
    """{"with", "without", "n_with", "n_without", "weights"} of the response's enterprise."""
    enterprise = session.get(Enterprise, response.enterprise_id)
    wave = session.get(Wave, response.wave_id)
    model = model_of(instruments.get(response.instrument_code, response.instrument_version))
    rows = session.execute(
        select(Response.id, Answer.item_code, Answer.value)
        .join(Answer, Answer.response_id == Response.id)
        .where(Response.enterprise_id == enterprise.id, Response.wave_id == wave.id,
               (Response.quarantined.is_(False)) | (Response.id == response.id))).all()
    frame = pd.DataFrame(rows, columns=["rid", "item", "value"])
    wide = frame.pivot_table(index="rid", columns="item", values="value", aggfunc="first")
    wide = wide.reindex(columns=[i for b in model["blocks"].values() for i in b]).astype(float)
    weights, source = _weights(session, wave, enterprise.sector.code, model["blocks"])
    blocks = {"satisfaction": model["blocks"]["satisfaction"]}
    scores = respondent_scores(wide, blocks, weights, model["scales"],
                               reverse=[i for i in model["reverse"] if i in blocks["satisfaction"]])
    scores = scores.dropna()
    out = {"weights": source}
    for name, part in (("with", scores), ("without", scores.drop(index=response.id,
                                                                   errors="ignore"))):
        est = survey_mean(part.reset_index(), "satisfaction") if len(part) else None
        out[name] = float(est["estimate"].iloc[0]) if est is not None else None
        out[f"n_{name}"] = int(len(part))
    return out
