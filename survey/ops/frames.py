"""Database → pandas: the plain DataFrames that `analysis` takes for a wave."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import instruments
from survey.model import Answer, Category, Enterprise, Response, Sector, Wave

PROFILE = ("age_band", "sex", "residence", "frequency")


def responses_frame(session: Session, wave: Wave, enterprise_id: int | None = None
                    ) -> pd.DataFrame:
    """One row per response of `wave`, one float column per item (NaN = missing).

    Columns: response_id, enterprise_id, sector, instrument, the profile columns,
    wants_complaint, quarantined, submitted_at, then the item codes. With `enterprise_id`
    only that enterprise's responses.
    """
    only = (Response.enterprise_id == enterprise_id,) if enterprise_id is not None else ()
    head = pd.DataFrame(
        session.execute(
            select(
                Response.id.label("response_id"),
                Response.enterprise_id,
                Sector.code.label("sector"),
                Response.instrument_code,
                Response.instrument_version,
                *(getattr(Response, c) for c in PROFILE),
                Response.wants_complaint,
                Response.quarantined,
                Response.submitted_at,
            )
            .join(Enterprise, Response.enterprise_id == Enterprise.id)
            .join(Sector, Enterprise.sector_id == Sector.id)
            .where(Response.wave_id == wave.id, *only)
            .order_by(Response.id)
        ).all()
    )
    if head.empty:
        return head
    answers = pd.DataFrame(
        session.execute(
            select(Answer.response_id, Answer.item_code, Answer.value)
            .join(Response, Answer.response_id == Response.id)
            .where(Response.wave_id == wave.id, *only)
        ).all(),
        columns=["response_id", "item_code", "value"],
    )
    wide = answers.pivot(index="response_id", columns="item_code", values="value")
    wide = wide.astype("float64").reindex(head["response_id"])
    wide.columns.name = None
    for column in PROFILE:
        head[column] = head[column].astype("string")
    return pd.concat([head.reset_index(drop=True), wide.reset_index(drop=True)], axis=1)


def comments_frame(session: Session, wave: Wave, enterprise_id: int | None = None
                   ) -> pd.DataFrame:
    """The comment of each response of `wave` (empty string when none), or of one enterprise."""
    only = (Response.enterprise_id == enterprise_id,) if enterprise_id is not None else ()
    rows = session.execute(
        select(Response.id, Response.comment).where(Response.wave_id == wave.id, *only)
    ).all()
    return pd.DataFrame(rows, columns=["response_id", "comment"])


def enterprises_frame(session: Session) -> pd.DataFrame:
    """Enterprises with their sector and weighting size (customer volume, else revenue)."""
    rows = session.execute(
        select(
            Enterprise.id,
            Enterprise.name,
            Sector.code,
            Enterprise.street,
            Enterprise.customer_volume,
            Enterprise.revenue,
        )
        .join(Sector, Enterprise.sector_id == Sector.id)
        .where(Enterprise.active.is_(True))
        .order_by(Enterprise.id)
    ).all()
    frame = pd.DataFrame(
        rows, columns=["enterprise_id", "name", "sector", "street", "customer_volume", "revenue"]
    )
    frame["weight"] = (
        frame["customer_volume"].astype("float64").fillna(frame["revenue"].astype("float64"))
    )
    return frame


def sectors_frame(session: Session) -> pd.DataFrame:
    """Sectors with their category, aggregation weight and its source."""
    rows = session.execute(
        select(
            Sector.code,
            Category.code,
            Sector.weight,
            Sector.weight_source,
            Sector.name_zh,
            Sector.name_en,
            Sector.instrument_code,
        )
        .join(Category, Sector.category_id == Category.id)
        .order_by(Sector.id)
    ).all()
    return pd.DataFrame(
        rows,
        columns=[
            "sector",
            "category",
            "weight",
            "weight_source",
            "name_zh",
            "name_en",
            "instrument",
        ],
    )


def categories_frame(session: Session) -> pd.DataFrame:
    """Categories with their family, target (and its kind) and district weight."""
    rows = session.execute(
        select(
            Category.code,
            Category.target,
            Category.weight,
            Category.weight_source,
            Category.name_zh,
            Category.name_en,
            Category.family,
            Category.target_kind,
        ).order_by(Category.id)
    ).all()
    return pd.DataFrame(rows, columns=["category", "target", "weight", "weight_source",
                                       "name_zh", "name_en", "family", "target_kind"])


def model_of(instrument: instruments.Instrument) -> dict:
    """The plain-dict construct model of an instrument, as `analysis` reads it."""
    blocks = instrument.blocks()
    extra: dict[str, list[str]] = {}
    for item in instrument.items:
        if not item.in_model:
            extra.setdefault(item.construct, []).append(item.code)
    return {
        "blocks": blocks,
        "paths": [list(p) for p in instrument.paths],
        "scales": {code: list(bounds) for code, bounds in instrument.scales().items()},
        "reverse": instrument.reverse_items(),
        "extra_items": extra,
    }


def models_frame(responses: pd.DataFrame, sectors: pd.DataFrame) -> dict[str, dict]:
    """Sector → construct model of the instrument version most of its responses used."""
    models = {}
    for row in sectors.itertuples():
        used = responses.loc[responses["sector"] == row.sector, "instrument_version"]
        version = int(used.mode().iloc[0]) if len(used) else None
        models[row.sector] = model_of(instruments.get(row.instrument, version))
    return models


def item_columns(frame: pd.DataFrame) -> list[str]:
    """The item columns of a responses frame (everything after the fixed columns)."""
    fixed = {
        "response_id",
        "enterprise_id",
        "sector",
        "instrument_code",
        "instrument_version",
        "wants_complaint",
        "quarantined",
        "submitted_at",
        *PROFILE,
    }
    return [c for c in frame.columns if c not in fixed and frame[c].dtype == np.float64]
