"""Console pages: overview, categories and sectors, audit log."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

import instruments
from console.blueprint import bp
from console.forms import (
    FAMILY_LABELS,
    TARGET_KIND_LABELS,
    CategoryForm,
    SectorForm,
    choices,
)
from survey.db import get_session
from survey.model import AuditEntry, Category, ComputedResult, Enterprise, Response, Sector, Wave
from survey.ops import audit
from survey.web.access import ADMIN, BUREAU, allow
from survey.web.rows import get_or_404

CATEGORY_FIELDS = ("family", "target_kind", "target", "baseline_wave_id", "target_source",
                   "weight", "weight_source")
SECTOR_FIELDS = ("weight", "weight_source", "instrument_code")


@bp.get("/")
@allow(*BUREAU)
def home():
    """Overview: waves with their response counts."""
    session = get_session()
    waves = session.execute(
        select(Wave, func.count(Response.id))
        .outerjoin(Response, Response.wave_id == Wave.id)
        .group_by(Wave.id).order_by(Wave.opens_on.desc())
    ).all()
    enterprises = session.scalar(select(func.count()).select_from(Enterprise))
    return render_template("console/home.html", waves=waves, enterprises=enterprises)


@bp.get("/categories")
@allow(*BUREAU)
def categories():
    """Categories with their targets, and their sectors with weights and instruments."""
    session = get_session()
    rows = session.scalars(select(Category).order_by(Category.id)).all()
    return render_template("console/categories.html", categories=rows, families=FAMILY_LABELS,
                           kinds=TARGET_KIND_LABELS)


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
@allow(*ADMIN)
def edit_category(category_id: int):
    """Edit a category's target and weight (audited)."""
    session = get_session()
    category = get_or_404(Category, category_id)
    form = CategoryForm(obj=category)
    waves = session.scalars(select(Wave).order_by(Wave.opens_on.desc()))
    form.baseline_wave_id.choices = choices({"": _("None")} | {w.id: w.code for w in waves})
    if form.validate_on_submit() and _baseline_ok(session, form):
        before = audit.snapshot(category, CATEGORY_FIELDS)
        category.family, category.target_kind = form.family.data, form.target_kind.data
        category.target, category.weight = float(form.target.data), float(form.weight.data)
        category.baseline_wave_id = (form.baseline_wave_id.data
                                     if form.target_kind.data == "improvement" else None)
        category.target_source = form.target_source.data.strip()
        category.weight_source = form.weight_source.data.strip()
        _audited_commit(session, "update", "category", category, before, CATEGORY_FIELDS)
        flash(_("Saved."), "info")
        return redirect(url_for("console.categories"))
    return render_template("console/edit.html", form=form, title=category.name_zh)


def _baseline_ok(session, form: CategoryForm) -> bool:
    """An improvement target needs a baseline wave that has a stored result and closed
    before the latest wave opened; False with a message on the field otherwise."""
    if form.target_kind.data != "improvement":
        return True
    field = form.baseline_wave_id
    wave = session.get(Wave, field.data) if field.data is not None else None
    latest = session.scalar(select(func.max(Wave.opens_on)))
    if wave is None:
        field.errors.append(_("An improvement target needs a baseline wave."))
    elif not wave.closes_on < latest:
        field.errors.append(_("The baseline must be an earlier wave, closed before the "
                              "latest wave opened."))
    elif session.scalar(select(ComputedResult.id).where(ComputedResult.wave_id == wave.id)
                        .limit(1)) is None:
        field.errors.append(_("The baseline wave has no computed result yet: compute it "
                              "first."))
    return not field.errors


@bp.route("/sectors/<int:sector_id>", methods=["GET", "POST"])
@allow(*ADMIN)
def edit_sector(sector_id: int):
    """Edit a sector's aggregation weight, its source and its instrument (audited)."""
    session = get_session()
    sector = get_or_404(Sector, sector_id)
    form = SectorForm(obj=sector)
    if form.validate_on_submit():
        code = form.instrument_code.data.strip()
        try:
            instruments.get(code)
        except instruments.InstrumentError:
            form.instrument_code.errors.append(_("Unknown instrument."))
            return render_template("console/edit.html", form=form, title=sector.name_zh), 400
        before = audit.snapshot(sector, SECTOR_FIELDS)
        sector.weight, sector.instrument_code = float(form.weight.data), code
        sector.weight_source = form.weight_source.data.strip()
        _audited_commit(session, "update", "sector", sector, before, SECTOR_FIELDS)
        flash(_("Saved."), "info")
        return redirect(url_for("console.categories"))
    return render_template("console/edit.html", form=form, title=sector.name_zh)


def _audited_commit(session, action, entity, obj, before, fields) -> None:
    after = audit.snapshot(obj, fields)
    if audit.changed(before, after):
        audit.record(session, current_user, action, entity, obj.id, before, after)
    session.commit()


@bp.get("/audit")
@allow(*ADMIN)
def audit_log():
    """The latest changes made in the console."""
    entries = get_session().scalars(
        select(AuditEntry).order_by(AuditEntry.id.desc()).limit(200)
    ).all()
    return render_template("console/audit.html", entries=entries)
