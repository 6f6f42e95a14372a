"""Receipt codes in the console: issuing batches, their printable sheet and CSV, and use
rates per enterprise with the selective-solicitation screen."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from analysis.integration import receipt_rates
from console.blueprint import bp
from survey.db import get_session
from survey.keys import receipt_key
from survey.model import Enterprise, ReceiptBatch, Wave
from survey.ops import audit, dwellings, receipt_codes, receipts
from survey.ops.compute import latest_result, parsed
from survey.ops.links import find_enterprise
from survey.web.access import ADMIN, BUREAU, allow
from survey.web.downloads import attachment
from survey.web.rows import get_or_404

LABELS_MAX_BYTES = 1 << 20  # a labels file of 20,000 dwellings is far smaller


class IssueForm(FlaskForm):
    """Which enterprise gets how many codes; a housing project gets one per dwelling."""

    enterprise = StringField(_l("Enterprise (id or credit code)"),
                             validators=[DataRequired(), Length(max=32)])
    count = IntegerField(_l("Number of codes"),
                         validators=[Optional(), NumberRange(1, receipts.MAX_COUNT)])
    labels = FileField(_l("Housing project: dwelling labels, one per row (CSV; default "
                          "1 to the number of dwellings)"))


@bp.route("/waves/<int:wave_id>/receipts", methods=["GET", "POST"])
@allow(*BUREAU)
def receipts_overview(wave_id: int):
    """Batches of the wave per enterprise (issued, used, rate), the solicitation screen,
    and (for admins) the form that issues a new batch."""
    session = get_session()
    wave = get_or_404(Wave, wave_id)
    form = IssueForm()
    if form.validate_on_submit():
        if current_user.role != "admin":
            abort(403)
        return _issue(session, wave, form)
    return render_template("console/receipts.html", wave=wave, form=form,
                           rows=_rate_rows(session, wave), flagged=_flagged(session, wave))


def _issue(session, wave, form):
    enterprise = find_enterprise(session, form.enterprise.data.strip())
    if enterprise is None:
        flash(_("No such enterprise."), "error")
        return redirect(url_for("console.receipts_overview", wave_id=wave.id))
    try:
        issued = _issue_codes(session, wave, form, enterprise)
    except ValueError as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("console.receipts_overview", wave_id=wave.id))
    numbers = [b.number for b, _codes in issued.batches]
    count = sum(len(codes) for _b, codes in issued.batches)
    audit.record(session, current_user, "issue", "receipt_batch", numbers[0], None,
                 {"enterprise": enterprise.id, "wave": wave.id, "count": count,
                  "batches": numbers})
    session.commit()
    flash(_("%(n)d codes issued.", n=count), "info")
    return redirect(url_for("console.receipt_sheet", batch_id=issued.batches[0][0].id))


def _issue_codes(session, wave, form, enterprise) -> receipts.Issued:
    """Dwelling codes for a housing project (labels from the file, else 1..N), plain receipt
    codes for other units; ValueError with a message for the admin otherwise."""
    if enterprise.kind == dwellings.HOUSING:
        upload = form.labels.data
        labels = None
        if upload and getattr(upload, "filename", ""):
            data = upload.read(LABELS_MAX_BYTES + 1)
            if len(data) > LABELS_MAX_BYTES:
                raise ValueError(_("The labels file is too large."))
            try:
                labels = dwellings.labels_from_csv(data.decode("utf-8-sig"))
            except UnicodeDecodeError as exc:
                raise ValueError(_("The labels file must be UTF-8 text.")) from exc
            except dwellings.LabelProblem as exc:
                raise ValueError(_label_problem(exc)) from exc
        elif not enterprise.dwellings:
            raise ValueError(_("This housing project has no number of dwellings: upload "
                               "a file of dwelling labels."))
        return dwellings.issue(session, _key(), enterprise, wave, labels, current_user)
    if not form.count.data:
        raise ValueError(_("Enter the number of codes."))
    return receipts.issue(session, _key(), enterprise, wave, form.count.data, current_user)


def _label_problem(problem: dwellings.LabelProblem) -> str:
    if problem.code == "too_long":
        return _("Row %(row)d: a dwelling label has at most %(n)d characters.", row=problem.row,
                 n=dwellings.LABEL_MAX)
    if problem.code == "repeated":
        return _("Row %(row)d repeats the dwelling of row %(first)d.", row=problem.row,
                 first=problem.first)
    return _("The file lists no dwelling.")


def _key() -> bytes:
    return receipt_key(current_app.config)


def _rate_rows(session, wave) -> list[dict]:
    batches, used = receipts.rates_frame(session, wave)
    if batches.empty:
        return []
    rates = receipt_rates(batches, used)
    names = dict(session.execute(select(Enterprise.id, Enterprise.name)).all())
    return [{**r, "name": names.get(r["enterprise_id"], "")} for r in rates.to_dict("records")]


def _flagged(session, wave) -> list[dict]:
    """Enterprises the latest computation flags for selective solicitation."""
    row = latest_result(session, wave)
    table = parsed(row.result_json).tables.get("solicitation") if row else None
    if table is None or not len(table):
        return []
    names = dict(session.execute(select(Enterprise.id, Enterprise.name)).all())
    return [{**r, "name": names.get(int(r["unit"]), r["unit"])}
            for r in table.to_dict("records") if r.get("flag")]


def _batch_codes(batch: ReceiptBatch) -> list[str]:
    codes = receipt_codes.issue_codes(_key(), batch.enterprise_id, batch.wave_id, batch.number,
                                      batch.issued, first_serial=batch.first_serial)
    return [receipt_codes.format_code(c) for c in codes]


@bp.get("/receipts/<int:batch_id>")
@allow(*ADMIN)
def receipt_sheet(batch_id: int):
    """A batch's codes as a printable sheet (recomputed from the key, never stored)."""
    batch = get_or_404(ReceiptBatch, batch_id)
    wave = get_session().get(Wave, batch.wave_id)
    return render_template("console/receipt_sheet.html", batch=batch, wave=wave,
                           codes=_batch_codes(batch))


@bp.get("/receipts/<int:batch_id>.csv")
@allow(*ADMIN)
def receipt_csv(batch_id: int):
    """A batch's codes as CSV for a till or SMS system."""
    batch = get_or_404(ReceiptBatch, batch_id)
    wave = get_session().get(Wave, batch.wave_id)
    issued = receipts.Issued(batch.enterprise, wave, [(batch, [
        c.replace("-", "") for c in _batch_codes(batch)])])
    body = receipts.codes_csv(issued).encode("utf-8-sig")
    return attachment(body, "text/csv", f"receipt-codes-{wave.code}-{batch.number}.csv")
