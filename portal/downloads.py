"""The enterprise's downloads: QR posters of its own links, its own anonymised responses."""

from __future__ import annotations

import pandas as pd
from flask import abort
from sqlalchemy import select

from portal import scope, waves
from portal.blueprint import bp
from survey.db import get_session
from survey.model import CollectionLink, Enterprise, Wave
from survey.ops import comments as comment_rules
from survey.ops import exports, frames, posters
from survey.ops.masking import mask
from survey.web.access import ENTERPRISE, allow
from survey.web.downloads import attachment

# Columns an enterprise may download: no hashes, no enterprise-internal flags.
DROP = ("enterprise_id", "sector", "quarantined", "ip_hash", "device_hash")


def _own_wave(wave_id: int) -> Wave:
    """A wave the enterprise took part in, else 404."""
    wave = next((w for w in waves.own_waves(get_session()) if w.id == wave_id), None)
    if wave is None:
        abort(404)
    return wave


@bp.get("/links/<int:link_id>/poster.pdf")
@allow(*ENTERPRISE)
def link_poster(link_id: int):
    """The printable A5 poster of one of the enterprise's links."""
    link = scope.own_or_404(CollectionLink, link_id)
    if not link.active:
        abort(404)
    pdf = posters.posters_pdf([posters.poster_of(link, link.enterprise)])
    return attachment(pdf, "application/pdf", f"poster-{link.id}.pdf")


@bp.get("/waves/<int:wave_id>/posters.zip")
@allow(*ENTERPRISE)
def wave_posters(wave_id: int):
    """A ZIP with a poster PDF per location (active link) of the enterprise in the wave."""
    wave = _own_wave(wave_id)
    session = get_session()
    links = session.scalars(scope.scoped(
        select(CollectionLink).where(CollectionLink.wave_id == wave.id,
                                     CollectionLink.active.is_(True))
        .order_by(CollectionLink.id), CollectionLink)).all()
    enterprise = session.get(Enterprise, scope.enterprise_id())
    archive = posters.posters_zip((link, enterprise) for link in links)
    return attachment(archive, "application/zip", f"posters-{wave.code}.zip")


def own_microdata(wave: Wave) -> pd.DataFrame:
    """The enterprise's responses of `wave`: items, profile, date and masked comment — the
    comment column left empty below COMMENT_MIN_RESPONSES counted responses, as on the
    comments page."""
    session = get_session()
    frame = frames.responses_frame(session, wave, enterprise_id=scope.enterprise_id())
    if frame.empty:
        return pd.DataFrame(columns=["response_id", "submitted_at", "comment"])
    counted = frame[~frame["quarantined"].astype(bool)]
    comments = frames.comments_frame(session, wave, enterprise_id=scope.enterprise_id())
    shown = comment_rules.comments_visible(session, wave, scope.enterprise_id())
    comments["comment"] = comments["comment"].map(mask) if shown else ""
    out = counted.merge(comments, on="response_id", how="left")
    out["submitted_at"] = pd.to_datetime(out["submitted_at"]).dt.strftime("%Y-%m-%d")
    return out.drop(columns=[c for c in DROP if c in out.columns])


@bp.get("/waves/<int:wave_id>/responses.<any(csv, xlsx):kind>")
@allow(*ENTERPRISE)
def responses_export(wave_id: int, kind: str):
    """Download the enterprise's own anonymised responses as CSV or XLSX."""
    wave = _own_wave(wave_id)
    write, mime = exports.WRITERS[kind]
    return attachment(write(own_microdata(wave)), mime, f"responses-{wave.code}.{kind}")
