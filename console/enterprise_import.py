"""Bulk import of enterprises from CSV/XLSX: upload, row-level preview, confirmation."""

from __future__ import annotations

from pathlib import PurePath

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from console import imports
from console.blueprint import bp
from console.enterprise_forms import (
    COLUMN_LABELS,
    ROW_PROBLEMS,
    ConfirmForm,
    UploadForm,
    sectors_of,
    uscc_problem,
)
from console.upload_staging import (
    discard_upload,
    load_upload,
    max_bytes,
    max_rows,
    store_upload,
)
from survey.db import get_session
from survey.model import Enterprise, Sector
from survey.ops import audit
from survey.web.access import ADMIN, allow

FILE_PROBLEMS = {
    "empty": _l("The file is empty: it needs a header row and at least one enterprise."),
    "wrong_type": _l("Upload a CSV (.csv) file or an Excel workbook (.xlsx)."),
    "broken_xlsx": _l("The Excel file cannot be read; it may be damaged. Save it again as "
                      ".xlsx and retry."),
    "broken_csv": _l("The CSV file cannot be read; save it again from your spreadsheet."),
    "undecodable": _l("The text encoding is not recognised; save the file as UTF-8 or GBK."),
    "too_large": _l("The workbook is too large once unpacked; split it into smaller files."),
    "too_many_rows": _l("The file has more than %(detail)s rows; split it into smaller files."),
    "missing_columns": _l("Required columns are missing: %(detail)s."),
    "duplicate_column": _l("The column “%(detail)s” appears twice."),
}



# Views that take an import-sized upload.
IMPORT_ENDPOINTS = ("console.import_enterprises", "console.import_units")


@bp.url_value_preprocessor
def _upload_limit(endpoint, _values) -> None:
    # Runs before the CSRF check reads the body: only admins may send an import-sized file.
    if endpoint in IMPORT_ENDPOINTS and getattr(current_user, "role", "") == "admin":
        request.max_content_length = max_bytes()


@bp.route("/enterprises/import", methods=["GET", "POST"])
@allow(*ADMIN)
def import_enterprises():
    """Upload a CSV or XLSX file and show its row-level report; nothing is saved yet."""
    form = UploadForm()
    if not form.validate_on_submit():
        return _upload_page(form)
    filename = PurePath(form.file.data.filename or "").name[:200]
    data = form.file.data.read()
    try:
        report = _check(get_session(), imports.read_table(filename, data, max_rows=max_rows()))
    except imports.ImportFileError as exc:
        form.file.errors.append(file_problem(exc))
        return _upload_page(form)
    return _preview(report, store_upload(data, filename), filename)


@bp.post("/enterprises/import/confirm")
@allow(*ADMIN)
def confirm_import():
    """Import the previewed file in one transaction, or cancel; the stored file is deleted."""
    form = ConfirmForm()
    stored = load_upload(form.upload_id.data) if form.validate_on_submit() else None
    if stored is None:
        flash(_("This upload has expired or was used already; upload the file again."), "error")
        return redirect(url_for("console.import_enterprises"))
    filename, data = stored
    if form.cancel.data:
        flash(_("Import cancelled; the uploaded file was deleted."), "info")
    else:
        report = _check(get_session(), imports.read_table(filename, data, max_rows=max_rows()))
        if report.problems and not form.only_valid.data:
            flash(_("Nothing was imported: the file has errors. Tick “Import only the valid "
                    "rows” to import the others."), "error")
            return _preview(report, form.upload_id.data, filename), 400
        _import(get_session(), report, filename)
    discard_upload(form.upload_id.data)
    return redirect(url_for("console.enterprises"))


def file_problem(error: imports.ImportFileError) -> str:
    """The message for a file that cannot be imported at all."""
    detail = error.detail
    if error.code == "missing_columns":
        detail = "、".join(str(COLUMN_LABELS[c]) for c in detail.split(", "))
    return str(FILE_PROBLEMS.get(error.code, FILE_PROBLEMS["wrong_type"])) % {"detail": detail}


def row_problem(problem: imports.Problem) -> str:
    """The message for one problem of one row."""
    detail = uscc_problem(problem.detail) if problem.code == "bad_uscc" else problem.detail
    return str(ROW_PROBLEMS[problem.code]) % {"detail": detail}


def _upload_page(form: UploadForm):
    limits = {"rows": max_rows(), "mb": max_bytes() // (1024 * 1024)}
    status = 400 if form.errors else 200
    return render_template("console/import.html", form=form, limits=limits), status


def _preview(report: imports.Report, upload_id: str, filename: str):
    problems = [{"row": p.row, "column": str(COLUMN_LABELS.get(p.column, p.column)),
                 "value": p.value[:200], "message": row_problem(p)} for p in report.problems]
    form = ConfirmForm(upload_id=upload_id, formdata=None)
    return render_template("console/import_preview.html", report=report, problems=problems,
                           filename=filename, form=form, sectors=_sector_names())


def _check(session, table) -> imports.Report:
    lookup = imports.sector_lookup(sectors_of(session))
    registered = set(session.scalars(select(Enterprise.uscc)))
    return imports.check(table, lookup, registered)


def _sector_names() -> dict[str, str]:
    return {s.code: s.name_zh for s in sectors_of(get_session())}


def _import(session, report: imports.Report, filename: str) -> None:
    """Add every valid row and one audit entry in a single transaction."""
    if not report.rows:
        flash(_("There are no valid rows to import."), "error")
        return
    ids = dict(session.execute(select(Sector.code, Sector.id)).all())
    session.add_all(Enterprise(name=r.name, uscc=r.uscc, sector_id=ids[r.sector], street=r.street,
                               customer_volume=r.customer_volume, revenue=r.revenue)
                    for r in report.rows)
    audit.record(session, current_user, "import", "enterprise", "",
                 after={"file": filename, "count": len(report.rows), "skipped": report.invalid})
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        flash(_("Nothing was imported: another change registered one of these credit codes "
                "meanwhile. Upload the file again."), "error")
        return
    flash(_("%(n)d enterprises imported.", n=len(report.rows)), "info")
