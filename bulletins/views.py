"""Public bulletin pages: the index, each bulletin (HTML and PDF) and an Atom feed."""

from __future__ import annotations

import io

import pandas as pd
from flask import Blueprint, Response, abort, render_template, url_for
from sqlalchemy import select

from analysis import WaveResult
from survey.db import get_session
from survey.model import Bulletin, Wave
from survey.ops.cells import safe_frame
from survey.web.downloads import attachment
from survey.web.headers import document_headers
from survey.web.params import int_arg

bp = Blueprint("bulletins", __name__, url_prefix="/bulletins")


def _published() -> list[Bulletin]:
    """The latest revision of every published bulletin, newest wave first."""
    rows = get_session().scalars(
        select(Bulletin).join(Wave).order_by(Wave.opens_on.desc(), Bulletin.revision.desc())
    ).all()
    latest: dict[int, Bulletin] = {}
    for b in rows:
        latest.setdefault(b.wave_id, b)
    return list(latest.values())


def _bulletin(code: str) -> Bulletin:
    revision = int_arg("revision")
    query = select(Bulletin).join(Wave).where(Wave.code == code)
    if revision is not None:
        query = query.where(Bulletin.revision == revision)
    found = get_session().scalars(query.order_by(Bulletin.revision.desc()).limit(1)).first()
    return found or abort(404)


@bp.get("/")
def index():
    """All published bulletins."""
    return render_template("bulletins/index.html", bulletins=_published())


@bp.get("/<code>")
def show(code: str):
    """A published bulletin as a web page (its frozen HTML)."""
    bulletin = _bulletin(code)
    revisions = get_session().scalars(
        select(Bulletin).where(Bulletin.wave_id == bulletin.wave_id).order_by(Bulletin.revision)
    ).all()
    return render_template("bulletins/show.html", bulletin=bulletin, revisions=revisions)


@bp.get("/<code>/document")
def document(code: str):
    """A published bulletin's frozen HTML alone, for the iframe of its page."""
    response = Response(_bulletin(code).html, mimetype="text/html")
    # Its own inline CSS and charts, in a sandbox: the site-wide policy would block them.
    return document_headers(response)


@bp.get("/<code>.pdf")
def pdf(code: str):
    """A published bulletin as its frozen PDF."""
    bulletin = _bulletin(code)
    return attachment(bulletin.pdf, "application/pdf", f"bulletin-{code}-r{bulletin.revision}.pdf",
                      inline=True)


@bp.get("/feed.atom")
def feed():
    """An Atom feed of published bulletins and their revisions."""
    rows = get_session().scalars(
        select(Bulletin).order_by(Bulletin.published_at.desc()).limit(50)
    ).all()
    xml = render_template("bulletins/feed.xml", bulletins=rows,
                          self_url=url_for("bulletins.feed", _external=True))
    return Response(xml, mimetype="application/atom+xml")


TABLE_HEADERS = {
    "level": "层级", "unit": "代码", "name_zh": "名称", "estimate": "满意度指数",
    "ci_low": "95%置信下限", "ci_high": "95%置信上限", "se": "标准误", "n": "样本量",
    "n_eff": "有效样本量", "target": "目标值", "verdict_zh": "判定", "published": "达到发布要求",
}
LEVELS = (("district", "全区"), ("categories", "服务类别"), ("sectors", "行业"))


def bulletin_tables(bulletin: Bulletin) -> pd.DataFrame:
    """The published figures of a bulletin (district, categories, sectors) as one table."""
    result = WaveResult.from_json(bulletin.result_json)
    parts = []
    for name, level in LEVELS:
        frame = result.tables[name].copy()
        frame.insert(0, "level", level)
        if name == "district":
            frame["name_zh"] = bulletin.meta.get("district_name", "")
        parts.append(frame[[c for c in TABLE_HEADERS if c in frame.columns]])
    table = pd.concat(parts, ignore_index=True)
    for column in ("estimate", "ci_low", "ci_high", "se", "n_eff"):
        table[column] = table[column].round(2)
    return table.rename(columns=TABLE_HEADERS)


@bp.get("/<code>/tables.<any(csv, xlsx):kind>")
def tables(code: str, kind: str):
    """A published bulletin's tables as CSV (UTF-8 with BOM) or XLSX."""
    bulletin = _bulletin(code)
    table = safe_frame(bulletin_tables(bulletin))
    name = f"bulletin-{code}-r{bulletin.revision}.{kind}"
    if kind == "csv":
        body, mime = table.to_csv(index=False).encode("utf-8-sig"), "text/csv"
    else:
        out = io.BytesIO()
        table.to_excel(out, sheet_name=bulletin.issue_label, index=False, engine="openpyxl")
        body = out.getvalue()
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return attachment(body, mime, name)
