"""Analysts confirm the QR-field gap flags that the wave's bulletin will print."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from console.blueprint import bp
from survey.db import get_session
from survey.model import Wave
from survey.ops import audit
from survey.ops.compute import latest_result, parsed
from survey.web.access import BUREAU, allow
from survey.web.rows import get_or_404


def flagged_sectors(result) -> set[str]:
    """Sector codes whose QR index is significantly above the field index in a result."""
    table = result.tables.get("integration_sectors")
    if table is None or "flag" not in table.columns:
        return set()
    return {str(r["unit"]) for r in table.to_dict("records") if r.get("flag") is True}


@bp.post("/waves/<int:wave_id>/gap-review")
@allow(*BUREAU)
def gap_review(wave_id: int):
    """Keep the checked flagged sectors as reviewed for the bulletin (audited)."""
    session = get_session()
    wave = get_or_404(Wave, wave_id)
    row = latest_result(session, wave)
    if row is None:
        flash(_("This wave has not been computed yet."), "error")
        return redirect(url_for("console.results", wave_id=wave.id), code=303)
    flagged = flagged_sectors(parsed(row.result_json))
    chosen = sorted(set(request.form.getlist("unit")) & flagged)
    before = {"gap_review": row.gap_review}
    row.gap_review = chosen
    audit.record(session, current_user, "review", "gap_flags", row.id, before,
                 {"gap_review": chosen})
    session.commit()
    flash(_("The reviewed gap flags will appear in the bulletin."), "info")
    return redirect(url_for("console.results", wave_id=wave.id, _anchor="integration"),
                    code=303)
