"""Public bulletin pages: the index, each bulletin (HTML and PDF) and an Atom feed."""

from __future__ import annotations

import io

from flask import Blueprint, Response, abort, render_template, url_for
from sqlalchemy import select

from bulletins import editions
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
    """All published bulletins, titled in the request's edition."""
    return render_template("bulletins/index.html", bulletins=_published(),
                           lang=editions.edition(), editions=editions)


@bp.get("/<code>")
def show(code: str):
    """A published bulletin as a web page (its frozen HTML), in Chinese or, under ?lang=en,
    in its English edition."""
    bulletin = _bulletin(code)
    revisions = get_session().scalars(
        select(Bulletin).where(Bulletin.wave_id == bulletin.wave_id).order_by(Bulletin.revision)
    ).all()
    lang = editions.shown(bulletin, editions.edition())
    return render_template("bulletins/show.html", bulletin=bulletin, revisions=revisions,
                           lang=lang, title=editions.title(bulletin, lang),
                           issue=editions.issue(bulletin, lang))


@bp.get("/<code>/document")
def document(code: str):
    """A published bulletin's frozen HTML alone, for the iframe of its page."""
    response = Response(editions.html(_bulletin(code), editions.edition()), mimetype="text/html")
    # Its own inline CSS and charts, in a sandbox: the site-wide policy would block them.
    return document_headers(response)


@bp.get("/<code>.pdf")
def pdf(code: str):
    """A published bulletin as its frozen PDF (the English one under ?lang=en)."""
    bulletin = _bulletin(code)
    lang = editions.shown(bulletin, editions.edition())
    suffix = "-en" if lang == editions.EN else ""
    return attachment(editions.pdf(bulletin, lang), "application/pdf",
                      f"bulletin-{code}-r{bulletin.revision}{suffix}.pdf", inline=True)


@bp.get("/feed.atom")
def feed():
    """An Atom feed of published bulletins and their revisions, one per edition
    (?lang=en: English titles, entries linking the English pages)."""
    rows = get_session().scalars(
        select(Bulletin).order_by(Bulletin.published_at.desc()).limit(50)
    ).all()
    lang = editions.edition()
    args = {"lang": lang} if lang == editions.EN else {}
    xml = render_template("bulletins/feed.xml", bulletins=rows, lang=lang, args=args,
                          editions=editions,
                          self_url=url_for("bulletins.feed", _external=True, **args))
    return Response(xml, mimetype="application/atom+xml")


@bp.get("/<code>/tables.<any(csv, xlsx):kind>")
def tables(code: str, kind: str):
    """A published bulletin's tables as CSV (UTF-8 with BOM) or XLSX, in the edition's
    language."""
    bulletin = _bulletin(code)
    lang = editions.edition()
    table = safe_frame(editions.tables(bulletin, lang))
    suffix = "-en" if lang == editions.EN else ""
    name = f"bulletin-{code}-r{bulletin.revision}{suffix}.{kind}"
    if kind == "csv":
        body, mime = table.to_csv(index=False).encode("utf-8-sig"), "text/csv"
    else:
        out = io.BytesIO()
        sheet = editions.issue(bulletin, lang).replace(",", "")[:31]
        table.to_excel(out, sheet_name=sheet, index=False, engine="openpyxl")
        body = out.getvalue()
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return attachment(body, mime, name)
