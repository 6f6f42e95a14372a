"""The bureau's microdata download of a wave (CSV, XLSX, SPSS .sav)."""

from __future__ import annotations

from console.blueprint import bp
from survey.db import get_session
from survey.model import Wave
from survey.ops import exports
from survey.web.access import BUREAU, allow
from survey.web.downloads import attachment
from survey.web.rows import get_or_404


@bp.get("/waves/<int:wave_id>/responses.<any(csv, xlsx, sav):kind>")
@allow(*BUREAU)
def export_responses(wave_id: int, kind: str):
    """Download the wave's responses (microdata) as CSV, XLSX or SPSS."""
    session = get_session()
    wave = get_or_404(Wave, wave_id)
    write, mime = exports.WRITERS[kind]
    body = write(exports.microdata(session, wave))
    return attachment(body, mime, f"responses-{wave.code}.{kind}")
