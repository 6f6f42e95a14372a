"""The respondent's pages: questionnaire, thank-you, privacy, and their error pages."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

import instruments
from survey import hashing
from survey.db import get_session, get_write_session
from survey.forms import answers_of, form_class, issue_key, profile_of, read_key, unknown_fields
from survey.i18n import current_locale
from survey.models import CollectionLink, Enterprise, Sector, Wave
from survey.responses import Submission, store

bp = Blueprint("survey", __name__)
PROFILE_COLUMNS = ("age_band", "sex", "residence", "frequency")
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{8,64}")


def _load(token: str):
    """The active link with its enterprise, sector and wave, or a 404."""
    if not TOKEN_SHAPE.fullmatch(token):
        abort(404)
    row = get_session().execute(
        select(CollectionLink, Enterprise, Sector, Wave)
        .join(Enterprise, CollectionLink.enterprise_id == Enterprise.id)
        .join(Sector, Enterprise.sector_id == Sector.id)
        .join(Wave, CollectionLink.wave_id == Wave.id)
        .where(CollectionLink.token == token)
    ).first()
    if row is None or not row[0].active or not row[1].active:
        abort(404)
    return row


def _today():
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()


def _instrument_for(sector: Sector, wave: Wave) -> instruments.Instrument:
    pinned = (wave.instrument_versions or {}).get(sector.instrument_code)
    return instruments.get(sector.instrument_code, pinned)


def _closed_page(wave: Wave, enterprise: Enterprise):
    not_yet = wave.status == "draft" or _today() < wave.opens_on
    page = render_template(
        "survey/closed.html", wave=wave, enterprise=enterprise, not_yet=not_yet
    )
    return page, 403 if not_yet else 410


def _render(form, link, enterprise, wave, instrument, status=200, problems=()):
    return render_template(
        "survey/form.html",
        form=form,
        link=link,
        enterprise=enterprise,
        wave=wave,
        instrument=instrument,
        locale=current_locale(),
        problems=problems,
    ), status


@bp.get("/s/<token>")
def questionnaire(token: str):
    """Show the questionnaire a QR code points at."""
    link, enterprise, sector, wave = _load(token)
    if not wave.accepts_responses(_today()):
        return _closed_page(wave, enterprise)
    instrument = _instrument_for(sector, wave)
    form = form_class(instrument)(formdata=None, k=issue_key(current_app.config["SECRET_KEY"]))
    return _render(form, link, enterprise, wave, instrument)


@bp.post("/s/<token>")
def submit(token: str):
    """Validate and store a response, then redirect to the thank-you page."""
    link, enterprise, sector, wave = _load(token)
    if not wave.accepts_responses(_today()):
        return _closed_page(wave, enterprise)
    instrument = _instrument_for(sector, wave)
    form = form_class(instrument)()
    started_at = read_key(current_app.config["SECRET_KEY"], form.k.data)
    problems = _form_problems(form, started_at)
    if problems:
        form.k.data = form.k.data if started_at else issue_key(current_app.config["SECRET_KEY"])
        return _render(form, link, enterprise, wave, instrument, 400, problems)
    store(get_write_session(), link, _submission(form, instrument, started_at))
    return redirect(url_for("survey.thanks", token=token), code=303)


def _form_problems(form, started_at) -> list[str]:
    problems = []
    extra = unknown_fields(form, request.form)
    if extra:
        problems.append(_("The form contained unknown fields: %(names)s", names=", ".join(extra)))
    if started_at is None:
        problems.append(_("This form has expired. Please check your answers and submit again."))
    if not form.validate():
        if "csrf_token" in form.errors:
            problems.append(_("This page has expired. Please check your answers and submit again."))
        if any(name != "csrf_token" for name in form.errors):
            problems.append(_("Some answers need your attention; they are marked below."))
    return problems


def _submission(form, instrument, started_at) -> Submission:
    key = current_app.config["HASH_KEY"] or current_app.config["SECRET_KEY"]
    profile = profile_of(form, instrument)
    return Submission(
        key=form.k.data,
        started_at=started_at,
        instrument_code=instrument.code,
        instrument_version=instrument.version,
        answers=answers_of(form, instrument),
        profile={c: profile.get(c) for c in PROFILE_COLUMNS},
        comment=(form.comment.data or "").strip(),
        wants_complaint=bool(form.complain.data),
        locale=current_locale(),
        ip_hash=hashing.ip_hash(key, request),
        device_hash=hashing.device_hash(key, request),
    )


@bp.get("/s/<token>/thanks")
def thanks(token: str):
    """Thank the respondent."""
    _link, enterprise, _sector, _wave = _load(token)
    return render_template("survey/thanks.html", enterprise=enterprise)


@bp.get("/privacy")
def privacy():
    """What we keep about respondents, and why."""
    return render_template("privacy.html")


@bp.get("/healthz")
def healthz():
    """Liveness probe for the process manager."""
    return {"status": "ok"}


def not_found(_error):
    return render_template("errors/404.html"), 404


def too_large(_error):
    return render_template("errors/413.html"), 413


def init_app(app: Flask) -> None:
    """Register the blueprint and friendly error pages."""
    app.register_blueprint(bp)
    app.register_error_handler(404, not_found)
    app.register_error_handler(413, too_large)
