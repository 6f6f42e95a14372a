"""Survey waves in the console: create, open, close, analysis settings and margins."""

from __future__ import annotations

import json

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, Regexp, ValidationError

from analysis import Settings
from console.blueprint import bp
from survey.db import get_session
from survey.model import Wave
from survey.ops import audit
from survey.web.access import ADMIN, BUREAU, allow
from survey.web.rows import get_or_404

WAVE_FIELDS = ("code", "opens_on", "closes_on", "status")
# Allowed status changes: draft → open → closed (published is set by publishing a bulletin).
TRANSITIONS = {"open": ("draft",), "close": ("open",)}


class WaveForm(FlaskForm):
    """A new wave: code such as 2026Q4 and its dates."""

    code = StringField(_l("Code"), validators=[
        DataRequired(),
        Regexp(r"^[0-9A-Za-z-]{2,16}$", message=_l("Letters, digits and '-' only.")),
    ])
    opens_on = DateField(_l("Opens"), validators=[DataRequired()])
    closes_on = DateField(_l("Closes"), validators=[DataRequired()])

    def validate_closes_on(self, field) -> None:
        """The wave must close on or after the day it opens."""
        if self.opens_on.data and field.data and field.data < self.opens_on.data:
            raise ValidationError(_("A wave cannot close before it opens."))


def _json_object(form, field) -> None:
    try:
        value = json.loads(field.data or "{}")
    except json.JSONDecodeError as error:
        raise ValidationError(_("Not valid JSON: %(e)s", e=str(error))) from error
    if not isinstance(value, dict):
        raise ValidationError(_("Expected a JSON object."))
    field.parsed = value


class SettingsForm(FlaskForm):
    """A wave's analysis settings and raking margins, as JSON."""

    analysis_settings = TextAreaField(_l("Analysis settings (JSON)"), validators=[_json_object])
    margins = TextAreaField(_l("Population margins per sector (JSON)"), validators=[_json_object])
    quotas = TextAreaField(_l("Sample targets (JSON)"), validators=[_json_object])

    def validate_quotas(self, field) -> None:
        """{"sectors": {code: n}, "enterprise_default": n, "enterprises": {id: n}}, n ≥ 0."""
        value = getattr(field, "parsed", {})
        known = {"sectors", "enterprise_default", "enterprises"}
        if set(value) - known:
            raise ValidationError(_("Unknown keys: %(k)s", k=", ".join(sorted(set(value) - known))))
        counts = [value.get("enterprise_default", 0)]
        for name in ("sectors", "enterprises"):
            part = value.get(name, {})
            if not isinstance(part, dict):
                raise ValidationError(_("Expected a JSON object."))
            counts += list(part.values())
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts):
            raise ValidationError(_("Sample targets must be whole numbers of 0 or more."))

    def validate_analysis_settings(self, field) -> None:
        """The settings must be accepted by analysis.Settings."""
        try:
            Settings.from_dict(getattr(field, "parsed", {}))
        except (TypeError, ValueError) as error:
            raise ValidationError(str(error)) from error

    def validate_margins(self, field) -> None:
        """{sector: {column: {level: positive number}}}."""
        for sector, columns in getattr(field, "parsed", {}).items():
            if not isinstance(columns, dict) or not all(
                isinstance(levels, dict) and levels and all(
                    isinstance(v, int | float) and v > 0 for v in levels.values())
                for levels in columns.values()
            ):
                raise ValidationError(_("Margins of %(s)s must map columns to positive "
                                        "totals or shares by level.", s=sector))


@bp.get("/waves")
@allow(*BUREAU)
def waves():
    """All waves, newest first."""
    rows = get_session().scalars(select(Wave).order_by(Wave.opens_on.desc())).all()
    return render_template("console/waves.html", waves=rows)


@bp.route("/waves/new", methods=["GET", "POST"])
@allow(*ADMIN)
def new_wave():
    """Create a wave in draft."""
    form = WaveForm()
    session = get_session()
    if form.validate_on_submit():
        if session.scalar(select(Wave).where(Wave.code == form.code.data)):
            form.code.errors.append(_("A wave with this code exists already."))
        else:
            wave = Wave(code=form.code.data, opens_on=form.opens_on.data,
                        closes_on=form.closes_on.data, status="draft",
                        instrument_versions={}, analysis_settings={}, margins={}, quotas={})
            session.add(wave)
            session.flush()
            audit.record(session, current_user, "create", "wave", wave.id,
                         None, audit.snapshot(wave, WAVE_FIELDS))
            session.commit()
            return redirect(url_for("console.waves"))
    return render_template("console/edit.html", form=form, title=_("New wave"))


@bp.post("/waves/<int:wave_id>/<any(open, close):action>")
@allow(*ADMIN)
def change_wave_status(wave_id: int, action: str):
    """Open a draft wave or close an open one (audited)."""
    session = get_session()
    wave = get_or_404(Wave, wave_id)
    if wave.status not in TRANSITIONS[action]:
        flash(_("Wave %(code)s is %(status)s and cannot be changed that way.",
                code=wave.code, status=wave.status), "error")
        return redirect(url_for("console.waves")), 303
    before = audit.snapshot(wave, WAVE_FIELDS)
    wave.status = "open" if action == "open" else "closed"
    audit.record(session, current_user, action, "wave", wave.id, before,
                 audit.snapshot(wave, WAVE_FIELDS))
    session.commit()
    return redirect(url_for("console.waves"), code=303)


@bp.route("/waves/<int:wave_id>/settings", methods=["GET", "POST"])
@allow(*ADMIN)
def wave_settings(wave_id: int):
    """Edit a wave's analysis settings and raking margins (audited)."""
    session = get_session()
    wave = get_or_404(Wave, wave_id)
    form = SettingsForm(data={
        "analysis_settings": json.dumps(wave.analysis_settings or {}, ensure_ascii=False, indent=1),
        "margins": json.dumps(wave.margins or {}, ensure_ascii=False, indent=1),
        "quotas": json.dumps(wave.quotas or {}, ensure_ascii=False, indent=1),
    })
    if form.validate_on_submit():
        fields = ("analysis_settings", "margins", "quotas")
        before = {name: getattr(wave, name) for name in fields}
        for name in fields:
            setattr(wave, name, getattr(form, name).parsed)
        audit.record(session, current_user, "update", "wave_settings", wave.id, before,
                     {name: getattr(wave, name) for name in fields})
        session.commit()
        flash(_("Saved."), "info")
        return redirect(url_for("console.waves"))
    return render_template("console/edit.html", form=form, title=f"{wave.code} · {_('Settings')}")

