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
from survey.ops.compute import latest_result, parsed
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
