"""Bulk import of housing projects and product lines: upload, row-level preview, confirmation.

The same staging flow as the enterprise import (console.enterprise_import): the file is kept
on the server between its preview and the confirmation, checked again when confirmed, and
written in one transaction. A unit already registered under its natural key is updated,
so importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

from pathlib import PurePath

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from console import imports, unit_imports
from console.blueprint import bp
from console.enterprise_forms import ConfirmForm, UploadForm, sectors_of
from console.enterprise_import import FILE_PROBLEMS
from console.unit_forms import COLUMN_LABELS, KIND_TITLES, row_problem
from console.unit_imports import HOUSING, HOUSING_SECTOR, PRODUCTS
from console.upload_staging import discard_upload, load_upload, max_bytes, max_rows, store_upload
from survey.db import get_session
from survey.model import Enterprise, Organisation, Sector
from survey.ops import audit, organisations
from survey.web.access import ADMIN, allow

KINDS = f"any({HOUSING}, {PRODUCTS})"


class NoSectorError(imports.ImportFileError):
    """The sector the units belong to is not set up in the programme yet."""


@bp.route(f"/units/import/<{KINDS}:kind>", methods=["GET", "POST"])
@allow(*ADMIN)
def import_units(kind: str):
    """Upload a CSV or XLSX file of housing projects or product lines; nothing is saved yet."""
    form = UploadForm()
    if not form.validate_on_submit():
        return _upload_page(kind, form)
    filename = PurePath(form.file.data.filename or "").name[:200]
    data = form.file.data.read()
    try:
        report = _check(get_session(), kind, filename, data)
    except imports.ImportFileError as exc:
        form.file.errors.append(file_problem(kind, exc))
        return _upload_page(kind, form)
    return _preview(kind, report, store_upload(data, filename), filename)


@bp.post(f"/units/import/<{KINDS}:kind>/confirm")
@allow(*ADMIN)
def confirm_unit_import(kind: str):
    """Import the previewed file in one transaction, or cancel; the stored file is deleted."""
    form = ConfirmForm()
    stored = load_upload(form.upload_id.data) if form.validate_on_submit() else None
    if stored is None:
        flash(_("This upload has expired or was used already; upload the file again."), "error")
        return redirect(url_for("console.import_units", kind=kind))
    filename, data = stored
    if form.cancel.data:
        flash(_("Import cancelled; the uploaded file was deleted."), "info")
    else:
        try:
            report = _check(get_session(), kind, filename, data)
        except imports.ImportFileError as exc:
            flash(file_problem(kind, exc), "error")
            return redirect(url_for("console.import_units", kind=kind))
        if report.problems and not form.only_valid.data:
            flash(_("Nothing was imported: the file has errors. Tick “Import only the valid "
                    "rows” to import the others."), "error")
            return _preview(kind, report, form.upload_id.data, filename), 400
        _import(get_session(), kind, report, filename)
    discard_upload(form.upload_id.data)
    return redirect(url_for("console.enterprises"))


def file_problem(kind: str, error: imports.ImportFileError) -> str:
    """The message for a file that cannot be imported at all."""
    if isinstance(error, NoSectorError):
        return _("The sector “%(code)s” is not set up yet; add it under Categories first.",
                 code=error.detail)
    detail = error.detail
    if error.code == "missing_columns":
        detail = "、".join(str(COLUMN_LABELS[c]) for c in detail.split(", "))
    return str(FILE_PROBLEMS.get(error.code, FILE_PROBLEMS["wrong_type"])) % {"detail": detail}


def _upload_page(kind: str, form: UploadForm):
    limits = {"rows": max_rows(), "mb": max_bytes() // (1024 * 1024)}
    status = 400 if form.errors else 200
    return render_template("console/unit_import.html", form=form, limits=limits, kind=kind,
                           title=KIND_TITLES[kind]), status


def _preview(kind: str, report: imports.Report, upload_id: str, filename: str):
    problems = [{"row": p.row, "column": str(COLUMN_LABELS.get(p.column, p.column)),
                 "value": p.value[:200], "message": row_problem(p)} for p in report.problems]
    existing = _existing(get_session(), kind)
    updates = sum(1 for r in report.rows if _norm(r.key) in existing)
    form = ConfirmForm(upload_id=upload_id, formdata=None)
    return render_template("console/unit_import_preview.html", report=report, kind=kind,
                           problems=problems, filename=filename, form=form, updates=updates,
                           title=KIND_TITLES[kind])


def _check(session, kind: str, filename: str, data: bytes) -> imports.Report:
    table = imports.read_table(filename, data, max_rows=max_rows())
    if kind == HOUSING and _sector_id(session, HOUSING_SECTOR) is None:
        raise NoSectorError("no_sector", HOUSING_SECTOR)
    known = dict(session.execute(select(Organisation.uscc, Organisation.name)).all())
    categories = unit_imports.category_lookup(sectors_of(session))
    return unit_imports.check_units(kind, table, known, categories)


def _sector_id(session, code: str) -> int | None:
    return session.scalar(select(Sector.id).where(Sector.code == code))


def _norm(key: tuple) -> tuple:
    return tuple(unit_imports.text_key(part or "") for part in key)


def _existing(session, kind: str) -> dict[tuple, Enterprise]:
    """Registered units of `kind` by their normalised natural key."""
    units = session.scalars(select(Enterprise).where(Enterprise.kind == kind)).all()
    out = {}
    for unit in units:
        owner = unit.owner.uscc if unit.owner else ""
        key = ((unit.name, unit.street, owner) if kind == HOUSING
               else (owner, unit.brand, unit.name))
        out[_norm(key)] = unit
    return out


def save_units(session, kind: str, rows: list) -> tuple[int, int]:
    """Add or update the units of `rows` and any new organisations; returns (added, updated).

    The caller commits. A unit is matched by its natural key; a cell left empty in the file
    keeps the registered value.
    """
    orgs: dict[str, Organisation] = {}
    for row in rows:
        for code, name in row.names.items():
            if code not in orgs:  # checked already: the code is valid, a new one has a name
                orgs[code] = organisations.find_or_register(session, code, name)
    existing = _existing(session, kind)
    sectors = dict(session.execute(select(Sector.code, Sector.id)).all())
    added = 0
    for row in rows:
        unit = existing.get(_norm(row.key))
        if unit is None:
            added += 1
            unit = Enterprise(kind=kind, name=row.name, uscc=None)
            session.add(unit)
            existing[_norm(row.key)] = unit
        _fill(unit, row, orgs, sectors)
    return added, len(rows) - added


def _fill(unit: Enterprise, row, orgs: dict, sectors: dict) -> None:
    if isinstance(row, unit_imports.HousingRow):
        unit.street, unit.owner = row.street, orgs[row.developer]
        unit.sector_id = sectors[HOUSING_SECTOR]
        if row.builder:
            unit.builder = orgs[row.builder]
        if row.dwellings is not None:
            unit.dwellings = row.dwellings
        if row.delivered_on is not None:
            unit.delivered_on = row.delivered_on
    else:
        unit.owner, unit.brand = orgs[row.manufacturer], row.brand
        unit.product_category = row.product_category
        unit.sector_id = sectors[row.product_category]


def _import(session, kind: str, report: imports.Report, filename: str) -> None:
    """Write every valid row and one audit entry in a single transaction."""
    if not report.rows:
        flash(_("There are no valid rows to import."), "error")
        return
    try:
        added, updated = save_units(session, kind, report.rows)
        audit.record(session, current_user, "import", kind, "",
                     after={"file": filename, "added": added, "updated": updated,
                            "skipped": report.invalid})
        session.commit()
    except IntegrityError:
        session.rollback()
        flash(_("Nothing was imported: another change touched these units or organisations "
                "meanwhile. Upload the file again."), "error")
        return
    flash(_("%(added)d units added, %(updated)d updated.", added=added, updated=updated),
          "info")
