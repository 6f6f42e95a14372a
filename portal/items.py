"""The enterprise's own item scores in a wave, read from its responses (scoped)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import instruments
from analysis.index import rescale_items
from portal.scope import scoped
from survey.model import Answer, Response, Wave


def item_means(session: Session, wave: Wave) -> dict[str, dict]:
    """Item code → {"mean": 0-100 mean, "n": answers} over the enterprise's counted responses.

    Quarantined responses are left out, as the indices leave them out.
    """
    rows = session.execute(scoped(
        select(Response.id, Response.instrument_code, Response.instrument_version,
               Answer.item_code, Answer.value)
        .join(Answer, Answer.response_id == Response.id)
        .where(Response.wave_id == wave.id, Response.quarantined.is_(False)), Response)).all()
    if not rows:
        return {}
    frame = pd.DataFrame(rows, columns=["rid", "inst", "version", "item", "value"])
    inst = instruments.get(str(frame["inst"].mode().iloc[0]),
                           int(frame["version"].mode().iloc[0]))
    wide = frame.pivot_table(index="rid", columns="item", values="value", aggfunc="first")
    scales = {c: b for c, b in inst.scales().items() if c in wide.columns}
    reverse = [c for c in inst.reverse_items() if c in scales]
    scored = rescale_items(wide.astype(float), scales, reverse=reverse)
    return {c: {"mean": float(scored[c].mean()), "n": int(scored[c].notna().sum())}
            for c in scored.columns if scored[c].notna().any()}


def item_labels(instrument_code: str, locale: str, subject: str) -> dict[str, str]:
    """Rating item code → its question in the sector's instrument, {subject} filled in.

    Yes/no items (such as "did you complain?") are left out: as shares they are not scores,
    and the complaint rate is shown with the construct profile.
    """
    inst = instruments.get(instrument_code)
    return {item.code: item.label.get(locale).replace("{subject}", subject)
            for item in inst.items if item.scale.kind == "rating"}


def construct_labels(locale: str) -> dict[str, str]:
    """Construct code → its name in `locale`."""
    return {c.code: c.label.get(locale) for inst in instruments.load_all().values()
            for c in inst.constructs}
