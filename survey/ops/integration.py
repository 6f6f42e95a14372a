"""A wave's QR, verified and field samples read from the database, for the integration tables.

The tables themselves are computed by :func:`analysis.integration_tables.integration_tables`;
:func:`survey.ops.compute.compute_and_store` adds them to the stored result.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis import WaveResult
from analysis.integration_tables import headline_scores, integration_tables
from survey.model import Response, Wave
from survey.ops import field, frames, receipts


def field_response_ids(session: Session, wave: Wave) -> set[int]:
    """Ids of the wave's field interviews (kept out of the QR-based headline indices)."""
    return set(session.scalars(select(Response.id).where(
        Response.wave_id == wave.id, Response.source == "field")))


def wave_tables(session: Session, wave: Wave, result: WaveResult) -> dict[str, pd.DataFrame]:
    """The integration tables of a wave, scored with the result's item weights."""
    responses = frames.responses_frame(session, wave)
    if responses.empty:
        return {}
    sectors = frames.sectors_frame(session)
    sectors = sectors[sectors["sector"].isin(set(responses["sector"]))]
    models = frames.models_frame(responses, sectors)
    weights = result.tables.get("item_weights", pd.DataFrame())
    scores = headline_scores(responses, models, weights)
    flags = pd.DataFrame(session.execute(
        select(Response.id, Response.source, Response.verified)
        .where(Response.wave_id == wave.id)).all(), columns=["response_id", "source", "verified"])
    r = responses.merge(flags, on="response_id")
    r = r[(r["source"] == "qr") & ~r["quarantined"].astype(bool)]
    qr = pd.DataFrame({"enterprise_id": r["enterprise_id"], "sector": r["sector"],
                       "score": r["response_id"].map(scores).to_numpy(),
                       "verified": r["verified"].astype(bool)})
    enterprises, _hours = field.plan_frame(session)
    # The field sample covers service enterprises only (field.plan_frame): the other
    # families' QR answers have no field counterpart to be integrated with.
    qr = qr[qr["enterprise_id"].isin(set(enterprises["enterprise_id"]))]
    batches, used = receipts.rates_frame(session, wave)
    return integration_tables(qr.reset_index(drop=True), field.field_frame(session, wave, scores),
                              enterprises, batches, used)
