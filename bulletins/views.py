"""Public bulletin pages: the index, each bulletin (HTML and PDF) and an Atom feed."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, url_for
from sqlalchemy import select

from survey.db import get_session
from survey.models import Bulletin, Wave

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
    revision = request.args.get("revision", "")
    query = select(Bulletin).join(Wave).where(Wave.code == code)
    if revision.isdigit():
        query = query.where(Bulletin.revision == int(revision))
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


@bp.get("/<code>.pdf")
def pdf(code: str):
    """A published bulletin as its frozen PDF."""
    bulletin = _bulletin(code)
    response = Response(bulletin.pdf, mimetype="application/pdf")
    name = f"bulletin-{code}-r{bulletin.revision}.pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@bp.get("/feed.atom")
def feed():
    """An Atom feed of published bulletins and their revisions."""
    rows = get_session().scalars(
        select(Bulletin).order_by(Bulletin.published_at.desc()).limit(50)
    ).all()
    xml = render_template("bulletins/feed.xml", bulletins=rows,
                          self_url=url_for("bulletins.feed", _external=True))
    return Response(xml, mimetype="application/atom+xml")
