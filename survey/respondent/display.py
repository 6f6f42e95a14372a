"""The counter display: a screen at the counter showing the link's QR code, whose stamp
changes every ``COUNTER_STAMP_MINUTES`` (see :mod:`survey.ops.counter`)."""

from __future__ import annotations

import math
import re

from flask import Blueprint, abort, current_app, render_template

from survey import clock
from survey.db import get_session
from survey.keys import display_key, stamp_key
from survey.model import wave_accepts
from survey.ops.counter import STAMP_PARAM, current_step, find_display, sign_stamp
from survey.ops.links import qr_data_uri, survey_url
from survey.respondent import identity
from survey.web import ratelimits
from survey.web.headers import no_store

bp = Blueprint("counter", __name__)
DISPLAY_SHAPE = re.compile(r"[A-Za-z0-9_-]{28}")


@bp.get("/d/<token>")
def display(token: str):
    """The link's QR code with the current stamp, reloading itself when the stamp changes."""
    ratelimits.check("RATELIMIT_SURVEY_GET", identity.network_hash())
    link = None
    if DISPLAY_SHAPE.fullmatch(token):
        link = find_display(get_session(), display_key(current_app.config), token)
    if link is None:
        abort(404)
    minutes = current_app.config["COUNTER_STAMP_MINUTES"]
    now = clock.now()
    issued, changes = current_step(now, minutes)
    wave = link.wave
    qr = None
    if wave_accepts(wave.status, wave.opens_on, wave.closes_on, clock.today()):
        stamp = sign_stamp(stamp_key(current_app.config), link.id, link.generation, issued)
        qr = qr_data_uri(f"{survey_url(link.token)}?{STAMP_PARAM}={stamp}")
    # A second past the change, so that the reload gets the next stamp.
    refresh = max(1, math.ceil((changes - now).total_seconds())) + 1
    page = render_template("survey/counter.html", link=link, qr=qr, minutes=minutes,
                           refresh=refresh)
    return no_store(current_app.make_response(page))
