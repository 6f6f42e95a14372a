"""The public landing page `/`: the latest published indices at a glance, and the ways in."""

from __future__ import annotations

import functools

from flask import Blueprint, render_template
from sqlalchemy import select

from analysis import WaveResult
from bulletins import editions
from reports.glance import glance
from survey.db import get_session
from survey.model import Bulletin, Wave

bp = Blueprint("home", __name__)


@functools.lru_cache(maxsize=8)
def _glance(bulletin_id: int, result_json: str, district: str, lang: str) -> dict:
    # A frozen revision never changes: parse and lay out its result once per process.
    return glance(WaveResult.from_json(result_json), district, lang)


def latest_published() -> Bulletin | None:
    """The newest revision of the most recent wave with a published bulletin."""
    return get_session().scalars(
        select(Bulletin).join(Wave).order_by(Wave.opens_on.desc(), Bulletin.revision.desc())
        .limit(1)
    ).first()


@bp.get("/")
def index():
    """The district's latest published indices, with links to bulletins, console and portal."""
    bulletin = latest_published()
    lang = editions.edition()
    view = None
    if bulletin is not None:
        view = _glance(bulletin.id, bulletin.result_json, editions.district(bulletin, lang),
                       lang)
    return render_template("bulletins/landing.html", bulletin=bulletin, view=view, lang=lang,
                           editions=editions)
