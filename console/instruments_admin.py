"""Instruments in the console: versions, a respondent's-eye preview, pinning per wave."""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

import instruments
from console.blueprint import bp
from survey.db import get_session
from survey.model import Sector, Wave
from survey.ops import audit
from survey.ops.link_lookup import Target
from survey.web.access import ADMIN, BUREAU, allow
from survey.web.i18n import current_locale
from survey.web.questionnaire import questions_html
from survey.web.rows import get_or_404


@bp.get("/instruments")
@allow(*BUREAU)
def instruments_list():
    """Every instrument version with its sectors and content hash."""
    used = {}
    for code, name in get_session().execute(select(Sector.instrument_code, Sector.name_zh)):
        used.setdefault(code, []).append(name)
    rows = sorted(instruments.load_all().values(), key=lambda i: (i.code, i.version))
    return render_template("console/instruments.html", instruments=rows, used=used)


@bp.get("/instruments/<code>/<int:version>")
@allow(*BUREAU)
def instrument_preview(code: str, version: int):
    """The questionnaire exactly as a respondent's phone shows it (nothing can be sent)."""
    try:
        instrument = instruments.get(code, version)
    except instruments.InstrumentError:
        abort(404)
    today = dt.date.today()
    target = Target(0, "preview", _("Counter 1"), 0, _("Example enterprise"), 0, "PREVIEW",
                    "open", today, today, code, {})
    locale = current_locale()
    return render_template(
        "survey/form.html", target=target, instrument=instrument, locale=locale,
        body=questions_html(instrument, locale), csrf="", key="", problems=(), preview=True,
    )


@bp.post("/waves/<int:wave_id>/instruments")
@allow(*ADMIN)
def pin_instrument(wave_id: int):
    """Pin an instrument version for a draft wave (audited)."""
    session = get_session()
    wave = get_or_404(Wave, wave_id)
    code, version = request.form.get("code", ""), request.form.get("version", "")
    try:
        instrument = instruments.get(code, int(version))
    except (ValueError, instruments.InstrumentError):
        flash(_("Unknown instrument version."), "error")
        return redirect(url_for("console.instruments_list"), code=303)
    if wave.status != "draft":
        flash(_("Instrument versions can only be changed before a wave opens."), "error")
        return redirect(url_for("console.instruments_list"), code=303)
    before = dict(wave.instrument_versions or {})
    wave.instrument_versions = before | {instrument.code: instrument.version}
    audit.record(session, current_user, "pin_instrument", "wave", wave.id,
                 {"instrument_versions": before},
                 {"instrument_versions": wave.instrument_versions})
    session.commit()
    flash(_("Saved."), "info")
    return redirect(url_for("console.instruments_list"), code=303)
