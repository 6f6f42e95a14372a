"""Console pages for enterprises: list and search, create and edit, bulk import from CSV/XLSX."""

from __future__ import annotations

import contextlib
import json
import math
import re
import secrets
import time
from pathlib import Path, PurePath

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from wtforms import BooleanField, DecimalField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from console import imports
from console.blueprint import bp
from survey.db import get_or_404, get_session
from survey.model import Enterprise, Sector
from survey.ops import audit, uscc
from survey.ops.quality import parse_hours
from survey.web.access import ADMIN, BUREAU, allow

PER_PAGE = 50
FIELDS = ("name", "uscc", "sector_id", "street", "customer_volume", "revenue", "active",
          "opening_hours")
# Settings read with these defaults when the app does not set them.
IMPORT_MAX_ROWS = 5000
IMPORT_MAX_BYTES = 4 * 1024 * 1024
UPLOAD_MAX_AGE_S = 24 * 3600
UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{32}")
COLUMN_LABELS = {
    "name": _l("Name"),
    "uscc": _l("Unified social credit code"),
    "sector": _l("Sector"),
    "street": _l("Street or park"),
    "customer_volume": _l("Customer volume"),
    "revenue": _l("Revenue"),
}
# survey.uscc.problem() explains in English; these are its messages for the UI.
USCC_PROBLEMS = {
    "must be 18 characters": _l("must be 18 characters"),
    "contains a character outside the GB 32100 set (I, O, S, V, Z are never used)": _l(
        "contains a character outside the GB 32100 set (I, O, S, V, Z are never used)"),
    "registration authority, organisation type or division code is malformed": _l(
        "registration authority, organisation type or division code is malformed"),
    "organisation code (characters 9–17) fails its GB 11714 check": _l(
        "organisation code (characters 9–17) fails its GB 11714 check"),
    "check character (18th) does not match": _l("check character (18th) does not match"),
}
ROW_PROBLEMS = {
    "missing": _l("Empty: a value is required."),
    "too_long": _l("Longer than %(detail)s characters."),
    "bad_uscc": _l("Invalid credit code: %(detail)s."),
    "unknown_sector": _l("Unknown sector: use a sector code or its name."),
    "duplicate_in_file": _l("The same credit code is on row %(detail)s."),
    "registered": _l("An enterprise with this credit code is registered already."),
    "not_a_number": _l("Not a number."),
    "negative": _l("Must be zero or more."),
}
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


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _valid_code(_form, field) -> None:
    why = uscc.problem(field.data or "")
    if why:
        raise ValidationError(_("Invalid credit code: %(detail)s.", detail=uscc_problem(why)))


def _valid_hours(_form, field) -> None:
    if parse_hours(field.data) is None:
        raise ValidationError(_("Write the hours as HH:MM-HH:MM, e.g. 09:00-21:00."))


def uscc_problem(why: str) -> str:
    """A survey.uscc problem text in the request's language."""
    return str(USCC_PROBLEMS.get(why, why))


class AmountField(DecimalField):
    """An optional amount such as a customer volume; whole numbers shown without decimals."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else imports.cell_text(float(self.data))

    def process_formdata(self, valuelist) -> None:
        """Parse the number, refusing text, NaN and infinity with a translated message."""
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(_("Not a number.")) from exc
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(_("Not a number."))


class EnterpriseForm(FlaskForm):
    """An enterprise's registration details."""

    name = StringField(COLUMN_LABELS["name"], filters=[_strip],
                       validators=[DataRequired(_l("Enter the name.")), Length(max=200)])
    uscc = StringField(COLUMN_LABELS["uscc"], filters=[uscc.normalise],
                       validators=[DataRequired(_l("Enter the credit code.")), _valid_code])
    sector_id = SelectField(COLUMN_LABELS["sector"], coerce=int)
    street = StringField(COLUMN_LABELS["street"], filters=[_strip], validators=[Length(max=100)])
    customer_volume = AmountField(COLUMN_LABELS["customer_volume"], validators=[
        Optional(), NumberRange(min=0, message=_l("Must be zero or more."))])
    revenue = AmountField(COLUMN_LABELS["revenue"], validators=[
        Optional(), NumberRange(min=0, message=_l("Must be zero or more."))])
    opening_hours = StringField(_l("Opening hours, e.g. 09:00-21:00 (optional)"),
                                filters=[_strip], validators=[Optional(), _valid_hours])
    active = BooleanField(_l("Active"), default=True)


class UploadForm(FlaskForm):
    """The file to import."""

    file = FileField(_l("CSV or XLSX file"), validators=[FileRequired(_l("Choose a file."))])


class ConfirmForm(FlaskForm):
    """Confirmation of a previewed upload, which stays on the server under `upload_id`."""

    upload_id = HiddenField(validators=[DataRequired(), Regexp(UPLOAD_ID)])
    only_valid = BooleanField(_l("Import only the valid rows"))
    cancel = BooleanField()


# ---- list, create, edit -------------------------------------------------------------------


@bp.get("/enterprises")
@allow(*BUREAU)
def enterprises():
    """Enterprises, searched by name or credit code and filtered by sector and street."""
    session = get_session()
    filters = _filters(request.args)
    query = _search(filters)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    rows = session.scalars(query.options(joinedload(Enterprise.sector))
                           .order_by(Enterprise.name, Enterprise.id)
                           .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    return render_template("console/enterprises.html", rows=rows, total=total, page=page,
                           pages=pages, filters=filters, sectors=_sectors(session),
                           streets=_streets(session))


def _filters(args) -> dict:
    return {"q": args.get("q", "").strip()[:100], "sector": args.get("sector", type=int),
            "street": args.get("street", "").strip()[:100]}


def _search(filters: dict):
    query = select(Enterprise)
    if filters["q"]:
        code = uscc.normalise(filters["q"])
        query = query.where(or_(Enterprise.name.icontains(filters["q"], autoescape=True),
                                Enterprise.uscc.contains(code, autoescape=True)))
    if filters["sector"]:
        query = query.where(Enterprise.sector_id == filters["sector"])
    if filters["street"]:
        query = query.where(Enterprise.street == filters["street"])
    return query


def _sectors(session) -> list[Sector]:
    return session.scalars(select(Sector).order_by(Sector.category_id, Sector.id)).all()


def _streets(session) -> list[str]:
    return session.scalars(select(Enterprise.street).where(Enterprise.street != "")
                           .distinct().order_by(Enterprise.street)).all()


@bp.route("/enterprises/new", methods=["GET", "POST"])
@allow(*ADMIN)
def new_enterprise():
    """Register an enterprise (audited)."""
    session = get_session()
    form = _form(session)
    if form.validate_on_submit() and _unique(session, form):
        enterprise = Enterprise()
        _fill(enterprise, form)
        session.add(enterprise)
        session.flush()
        after = audit.snapshot(enterprise, FIELDS)
        audit.record(session, current_user, "create", "enterprise", enterprise.id, None, after)
        if _commit(session, form):
            return redirect(url_for("console.enterprises"))
    return render_template("console/enterprises_form.html", form=form, title=_("New enterprise"))


@bp.route("/enterprises/<int:enterprise_id>", methods=["GET", "POST"])
@allow(*ADMIN)
def edit_enterprise(enterprise_id: int):
    """Edit an enterprise's details (audited with before and after)."""
    session = get_session()
    enterprise = get_or_404(Enterprise, enterprise_id)
    form = _form(session, obj=enterprise)
    if form.validate_on_submit() and _unique(session, form, enterprise.id):
        before = audit.snapshot(enterprise, FIELDS)
        _fill(enterprise, form)
        after = audit.snapshot(enterprise, FIELDS)
        if audit.changed(before, after):
            audit.record(session, current_user, "update", "enterprise", enterprise.id, before,
                         after)
        if _commit(session, form):
            return redirect(url_for("console.enterprises"))
    return render_template("console/enterprises_form.html", form=form, title=enterprise.name)


def _form(session, obj=None) -> EnterpriseForm:
    form = EnterpriseForm(obj=obj)
    form.sector_id.choices = [(s.id, f"{s.name_zh} · {s.code}") for s in _sectors(session)]
    return form


def _unique(session, form: EnterpriseForm, own_id: int | None = None) -> bool:
    """False (with a message on the field) when another enterprise has this credit code."""
    other = session.scalar(select(Enterprise).where(Enterprise.uscc == form.uscc.data,
                                                    Enterprise.id != (own_id or 0)))
    if other is None:
        return True
    form.uscc.errors.append(_("This credit code is registered already, to “%(name)s”.",
                              name=other.name))
    return False


def _fill(enterprise: Enterprise, form: EnterpriseForm) -> None:
    enterprise.name, enterprise.uscc = form.name.data, form.uscc.data
    enterprise.sector_id, enterprise.street = form.sector_id.data, form.street.data or ""
    enterprise.customer_volume = _float(form.customer_volume.data)
    enterprise.revenue = _float(form.revenue.data)
    enterprise.active = form.active.data
    enterprise.opening_hours = form.opening_hours.data or None


def _float(value) -> float | None:
    return None if value is None else float(value)


def _commit(session, form: EnterpriseForm) -> bool:
    # The unique index is the last word when two admins save the same code at once.
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        form.uscc.errors.append(ROW_PROBLEMS["registered"])
        return False
    flash(_("Saved."), "info")
    return True


# ---- bulk import ----------------------------------------------------------------------------


@bp.url_value_preprocessor
def _upload_limit(endpoint, _values) -> None:
    # Runs before the CSRF check reads the body: only admins may send an import-sized file.
    if endpoint == "console.import_enterprises" and getattr(current_user, "role", "") == "admin":
        request.max_content_length = _max_bytes()


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
        report = _check(get_session(), imports.read_table(filename, data, max_rows=_max_rows()))
    except imports.ImportFileError as exc:
        form.file.errors.append(file_problem(exc))
        return _upload_page(form)
    return _preview(report, _store_upload(data, filename), filename)


@bp.post("/enterprises/import/confirm")
@allow(*ADMIN)
def confirm_import():
    """Import the previewed file in one transaction, or cancel; the stored file is deleted."""
    form = ConfirmForm()
    stored = _load_upload(form.upload_id.data) if form.validate_on_submit() else None
    if stored is None:
        flash(_("This upload has expired or was used already; upload the file again."), "error")
        return redirect(url_for("console.import_enterprises"))
    filename, data = stored
    if form.cancel.data:
        flash(_("Import cancelled; the uploaded file was deleted."), "info")
    else:
        report = _check(get_session(), imports.read_table(filename, data, max_rows=_max_rows()))
        if report.problems and not form.only_valid.data:
            flash(_("Nothing was imported: the file has errors. Tick “Import only the valid "
                    "rows” to import the others."), "error")
            return _preview(report, form.upload_id.data, filename), 400
        _import(get_session(), report, filename)
    _discard_upload(form.upload_id.data)
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
    limits = {"rows": _max_rows(), "mb": _max_bytes() // (1024 * 1024)}
    status = 400 if form.errors else 200
    return render_template("console/import.html", form=form, limits=limits), status


def _preview(report: imports.Report, upload_id: str, filename: str):
    problems = [{"row": p.row, "column": str(COLUMN_LABELS.get(p.column, p.column)),
                 "value": p.value[:200], "message": row_problem(p)} for p in report.problems]
    form = ConfirmForm(upload_id=upload_id, formdata=None)
    return render_template("console/import_preview.html", report=report, problems=problems,
                           filename=filename, form=form, sectors=_sector_names())


def _check(session, table) -> imports.Report:
    lookup = imports.sector_lookup(_sectors(session))
    registered = set(session.scalars(select(Enterprise.uscc)))
    return imports.check(table, lookup, registered)


def _sector_names() -> dict[str, str]:
    return {s.code: s.name_zh for s in _sectors(get_session())}


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


def _max_rows() -> int:
    return current_app.config.get("IMPORT_MAX_ROWS", IMPORT_MAX_ROWS)


def _max_bytes() -> int:
    return current_app.config.get("IMPORT_MAX_BYTES", IMPORT_MAX_BYTES)


# ---- uploads kept between preview and confirmation -------------------------------------------


def _upload_dir() -> Path:
    default = Path(current_app.instance_path) / "imports"
    path = Path(current_app.config.get("IMPORT_UPLOAD_DIR") or default)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _store_upload(data: bytes, filename: str) -> str:
    """Keep the uploaded bytes under a random id, owned by the current user."""
    folder = _upload_dir()
    _sweep(folder)
    upload_id = secrets.token_urlsafe(24)
    (folder / f"{upload_id}.json").write_text(
        json.dumps({"filename": filename, "user_id": current_user.id}), encoding="utf-8")
    (folder / f"{upload_id}.bin").write_bytes(data)
    return upload_id


def _load_upload(upload_id: str) -> tuple[str, bytes] | None:
    """(file name, bytes) of the current user's stored upload, or None."""
    if not UPLOAD_ID.fullmatch(upload_id or ""):
        return None
    folder = _upload_dir()
    try:
        meta = json.loads((folder / f"{upload_id}.json").read_text(encoding="utf-8"))
        data = (folder / f"{upload_id}.bin").read_bytes()
    except (OSError, ValueError):
        return None
    return (meta["filename"], data) if meta.get("user_id") == current_user.id else None


def _discard_upload(upload_id: str) -> None:
    for suffix in (".json", ".bin"):
        (_upload_dir() / f"{upload_id}{suffix}").unlink(missing_ok=True)


def _sweep(folder: Path) -> None:
    # Previews that were never confirmed or cancelled are dropped after a day.
    cutoff = time.time() - UPLOAD_MAX_AGE_S
    for path in folder.iterdir():
        with contextlib.suppress(FileNotFoundError):  # another worker may sweep at once
            if path.stat().st_mtime < cutoff:
                path.unlink()
