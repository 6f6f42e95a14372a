"""Collection in the console: links and QR codes, printable posters, the response monitor."""

from __future__ import annotations

import datetime as dt

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, func, select

from console.blueprint import bp
from survey import clock
from survey.db import get_session
from survey.keys import display_key
from survey.model import CollectionLink, Enterprise, Sector, Wave
from survey.model import Response as Answered
from survey.ops import audit, posters
from survey.ops.counter import display_token
from survey.ops.links import create_link, display_url, qr_png, qr_svg, rotate_link, survey_url
from survey.web.access import ADMIN, BUREAU, allow
from survey.web.downloads import attachment
from survey.web.params import parse_id
from survey.web.rows import get_or_404

LINK_FIELDS = ("token", "generation", "enterprise_id", "wave_id", "location", "active",
               "counter_display")


@bp.get("/waves/<int:wave_id>/links")
@allow(*BUREAU)
def links(wave_id: int):
    """The wave's links by enterprise, with their locations and response counts."""
    wave = get_or_404(Wave, wave_id)
    rows = get_session().execute(
        select(CollectionLink, Enterprise.name, func.count(Answered.id))
        .join(Enterprise, CollectionLink.enterprise_id == Enterprise.id)
        .outerjoin(Answered, Answered.link_id == CollectionLink.id)
        .where(CollectionLink.wave_id == wave.id)
        .group_by(CollectionLink.id, Enterprise.name)
        .order_by(Enterprise.name, CollectionLink.location)
    ).all()
    enterprises = get_session().execute(
        select(Enterprise.id, Enterprise.name).where(Enterprise.active.is_(True))
        .order_by(Enterprise.name)
    ).all()
    return render_template("console/links.html", wave=wave, rows=rows,
                           enterprises=enterprises, url_of=survey_url, display_of=_display_url,
                           minutes=current_app.config["COUNTER_STAMP_MINUTES"])


def _display_url(link: CollectionLink) -> str:
    return display_url(display_token(display_key(current_app.config), link))


@bp.post("/waves/<int:wave_id>/links")
@allow(*ADMIN)
def add_link(wave_id: int):
    """Create a link for an enterprise and location (audited)."""
    session = get_session()
    wave = get_or_404(Wave, wave_id)
    enterprise_id = request.form.get("enterprise_id", "")
    wanted = parse_id(enterprise_id)
    enterprise = session.get(Enterprise, wanted) if wanted is not None else None
    location = request.form.get("location", "").strip()
    if enterprise is None or len(location) > 100:
        flash(_("Choose an enterprise; a location has at most 100 characters."), "error")
        return redirect(url_for("console.links", wave_id=wave.id), code=303)
    link = create_link(session, enterprise, wave, location)
    session.flush()
    audit.record(session, current_user, "create", "link", link.id, None,
                 audit.snapshot(link, LINK_FIELDS))
    session.commit()
    return redirect(url_for("console.links", wave_id=wave.id), code=303)


def _audited_change(link: CollectionLink, action: str, change) -> None:
    """Apply ``change(link)``, record it in the audit log as ``action`` (before and after)
    and commit."""
    session = get_session()
    before = audit.snapshot(link, LINK_FIELDS)
    change(link)
    audit.record(session, current_user, action, "link", link.id, before,
                 audit.snapshot(link, LINK_FIELDS))
    session.commit()


@bp.post("/links/<int:link_id>/retire")
@allow(*ADMIN)
def retire_link(link_id: int):
    """Deactivate a link: its QR code then leads to the 'unknown link' page (audited)."""
    link = get_or_404(CollectionLink, link_id)
    _audited_change(link, "retire", lambda lk: setattr(lk, "active", False))
    return redirect(url_for("console.links", wave_id=link.wave_id), code=303)


@bp.post("/links/<int:link_id>/rotate")
@allow(*ADMIN)
def rotate(link_id: int):
    """Reprint a link: a new token and QR code; the old code stops working (audited)."""
    link = get_or_404(CollectionLink, link_id)
    if not link.active:
        flash(_("A retired link cannot be reprinted."), "error")
        return redirect(url_for("console.links", wave_id=link.wave_id), code=303)
    _audited_change(link, "rotate", rotate_link)
    flash(_("New QR code issued; the old one no longer works. Print the new poster."), "info")
    return redirect(url_for("console.links", wave_id=link.wave_id), code=303)


@bp.post("/links/<int:link_id>/counter")
@allow(*ADMIN)
def counter_display(link_id: int):
    """Switch a link's counter-display mode on or off (audited)."""
    link = get_or_404(CollectionLink, link_id)
    if not link.active:
        flash(_("A retired link cannot be shown on a counter display."), "error")
        return redirect(url_for("console.links", wave_id=link.wave_id), code=303)
    on = request.form.get("on") == "1"
    _audited_change(link, "counter_display", lambda lk: setattr(lk, "counter_display", on))
    if link.counter_display:
        flash(_("Open the display URL on the counter's screen; it shows a QR code that changes "
                "every %(n)d minutes. Reprint the link to revoke the URL.",
                n=current_app.config["COUNTER_STAMP_MINUTES"]), "info")
    return redirect(url_for("console.links", wave_id=link.wave_id), code=303)


@bp.get("/links/<int:link_id>/qr.<any(svg, png):kind>")
@allow(*BUREAU)
def link_qr(link_id: int, kind: str):
    """The link's QR code as SVG or PNG, for download."""
    link = get_or_404(CollectionLink, link_id)
    url = survey_url(link.token)
    body, mime = (qr_svg(url), "image/svg+xml") if kind == "svg" else (qr_png(url), "image/png")
    return attachment(body, mime, f"qr-{link.id}.{kind}")


@bp.get("/links/<int:link_id>/poster.pdf")
@allow(*BUREAU)
def link_poster(link_id: int):
    """A printable A5 poster for the link."""
    link = get_or_404(CollectionLink, link_id)
    pdf = posters.posters_pdf([posters.poster_of(link, link.enterprise)])
    return attachment(pdf, "application/pdf", f"poster-{link.id}.pdf")


@bp.get("/waves/<int:wave_id>/posters.zip")
@allow(*BUREAU)
def wave_posters(wave_id: int):
    """A ZIP with one poster PDF per active link of the wave."""
    wave = get_or_404(Wave, wave_id)
    rows = get_session().execute(
        select(CollectionLink, Enterprise)
        .join(Enterprise, CollectionLink.enterprise_id == Enterprise.id)
        .where(CollectionLink.wave_id == wave.id, CollectionLink.active.is_(True))
        .order_by(CollectionLink.id)
    ).all()
    return attachment(posters.posters_zip(rows), "application/zip", f"posters-{wave.code}.zip")


@bp.get("/waves/<int:wave_id>/monitor")
@allow(*BUREAU)
def monitor(wave_id: int):
    """Responses per sector and enterprise: today, in total, and quarantined."""
    wave = get_or_404(Wave, wave_id)
    tz = clock.zone()
    start = dt.datetime.combine(clock.today(), dt.time(), tz).astimezone(dt.UTC)
    today = func.sum(case((Answered.submitted_at >= start, 1), else_=0))
    flagged = func.sum(case((Answered.quarantined.is_(True), 1), else_=0))
    rows = get_session().execute(
        select(Sector.code, Sector.name_zh, Enterprise.id, Enterprise.name,
               func.count(Answered.id), today, flagged)
        .join(Enterprise, Enterprise.sector_id == Sector.id)
        .outerjoin(Answered, (Answered.enterprise_id == Enterprise.id)
                   & (Answered.wave_id == wave.id))
        .group_by(Sector.id, Sector.code, Sector.name_zh, Enterprise.id, Enterprise.name)
        .order_by(Sector.id, Enterprise.name)
    ).all()
    return render_template("console/monitor.html", wave=wave,
                           sectors=monitor_table(rows, wave.quotas or {}))


def monitor_table(rows, quotas: dict) -> list[dict]:
    """Sectors with their enterprises: today, total, quarantined and the sample target."""
    sectors: dict[str, dict] = {}
    default = quotas.get("enterprise_default")
    for code, sector, ent_id, name, total, today, flagged in rows:
        entry = sectors.setdefault(code, {
            "name": sector, "total": 0, "today": 0, "flagged": 0,
            "target": quotas.get("sectors", {}).get(code), "enterprises": []})
        target = quotas.get("enterprises", {}).get(str(ent_id), default)
        entry["enterprises"].append({"name": name, "total": total, "today": today or 0,
                                     "flagged": flagged or 0, "target": target})
        entry["total"] += total
        entry["today"] += today or 0
        entry["flagged"] += flagged or 0
    return list(sectors.values())
