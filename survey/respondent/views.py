"""The respondent's pages: questionnaire, thank-you, privacy, and their error pages."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import replace

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
)
from flask_babel import gettext as _
from markupsafe import Markup
from wtforms.validators import ValidationError

from survey import clock
from survey.db import get_engine, get_writer
from survey.keys import link_key, stamp_key
from survey.ops import quality
from survey.ops.counter import STAMP_PARAM, read_stamp
from survey.ops.link_lookup import Target, fetch_target, watch_changes
from survey.ops.submission import DWELLING_USED, REPEAT, Submission, store
from survey.ops.tokens import verify_token
from survey.respondent import identity, receipt_entry
from survey.web import hashing, ratelimits
from survey.web.answers import RECEIPT_MAX, issue_key, read_form, read_key, unknown_fields
from survey.web.csrf import generate_csrf, validate_csrf
from survey.web.i18n import current_locale
from survey.web.questionnaire import questions_html

bp = Blueprint("survey", __name__)
PROFILE_COLUMNS = ("age_band", "sex", "residence", "frequency")
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{8,64}")


def _load(token: str) -> Target:
    """The active link's target, or a 404 for an unknown, malformed, forged or retired token.

    The token's signature is checked in memory first: a forged or edited token never
    reaches the database and is refused exactly like an unknown one.
    """
    if not TOKEN_SHAPE.fullmatch(token) or verify_token(_link_key(), token) is None:
        abort(404)
    target = fetch_target(get_engine(), token, current_app.config["LINK_CACHE_SECONDS"])
    if target is None:
        abort(404)
    return target


def _link_key() -> bytes:
    key = current_app.extensions.get("manyi_link_key")
    if key is None:
        key = current_app.extensions["manyi_link_key"] = link_key(current_app.config)
    return key


def _counter_stamp(target: Target) -> tuple[dt.datetime | None, str]:
    """A counter-display link's stamp in the query: its verified issue time (None when
    missing or not valid) and the query that carries it on to the form's action."""
    stamp = request.args.get(STAMP_PARAM, "") if request.query_string else ""
    if not stamp:
        return None, ""
    key = current_app.extensions.get("manyi_stamp_key")
    if key is None:
        key = current_app.extensions["manyi_stamp_key"] = stamp_key(current_app.config)
    issued = read_stamp(key, target.id, target.generation, stamp)
    # A verified stamp is 16 URL-safe characters: it needs no quoting or escaping.
    return issued, (f"?{STAMP_PARAM}={stamp}" if issued else "")



def _closed_page(target: Target):
    not_yet = target.wave_status == "draft" or clock.today() < target.opens_on
    page = render_template("survey/closed.html", target=target, not_yet=not_yet)
    return page, 403 if not_yet else 410


def _page(target: Target, instrument, body: Markup, key: str, status=200, problems=(),
          receipt_code: str = "", receipt_note: str = "", action_query: str = ""):
    return render_template(
        "survey/form.html",
        target=target,
        instrument=instrument,
        locale=current_locale(),
        body=body,
        csrf=generate_csrf(),
        key=key,
        problems=problems,
        receipt_code=receipt_code,
        receipt_note=receipt_note,
        action_query=action_query,
    ), status


_QUERY_SLOT, _CSRF_SLOT, _KEY_SLOT = "@@query@@", "@@csrf@@", "@@key@@"
HTML = "text/html; charset=utf-8"  # what mimetype="text/html" expands to, spelled out once
PAGE_CACHE_SIZE = 2048


def _blank_page(target: Target, instrument, action_query: str = "") -> bytes:
    """The blank questionnaire page with a fresh CSRF token and form key (and the form
    action's query, which carries a counter display's stamp).

    The page differs between requests only in those values, so it is rendered once per
    link, instrument and language and the values are spliced in (the survey GET is the
    platform's hottest path). The key holds everything the template reads, the mount point
    (``SCRIPT_NAME``, in every URL) included.
    """
    locale = current_locale()
    cache = current_app.extensions.setdefault("manyi_blank_pages", {})
    cache_key = (
        request.script_root,
        target.token,
        target.location,
        target.enterprise_name,
        target.wave_code,
        instrument.key,
        locale,
        target.unit_kind,
    )
    parts = cache.get(cache_key)
    if parts is None:
        html = render_template(
            "survey/form.html",
            target=target,
            instrument=instrument,
            locale=locale,
            body=questions_html(instrument, locale),
            csrf=_CSRF_SLOT,
            key=_KEY_SLOT,
            problems=(),
            action_query=_QUERY_SLOT,
        )
        head, rest = html.encode().split(_QUERY_SLOT.encode())
        before_csrf, rest = rest.split(_CSRF_SLOT.encode())
        middle, tail = rest.split(_KEY_SLOT.encode())
        parts = (head, before_csrf, middle, tail)
        if len(cache) >= PAGE_CACHE_SIZE:
            cache.clear()
        cache[cache_key] = parts
    fixed = current_app.config["CLOCK_NOW"]
    key = issue_key(current_app.config["SECRET_KEY"], clock.now() if fixed else None)
    # Pre-encoded parts: the page is ~30 KB of mostly CJK text, costly to encode each time.
    return b"".join((parts[0], action_query.encode(), parts[1], generate_csrf().encode(),
                     parts[2], key.encode(), parts[3]))


@bp.get("/s/<token>")
def questionnaire(token: str):
    """Show the questionnaire a QR code points at."""
    ratelimits.check("RATELIMIT_SURVEY_GET", identity.network_hash())
    target = _load(token)
    if not target.accepts_responses(clock.today()):
        return _closed_page(target)
    # Most links carry no query: skip parsing an empty one.
    code = request.args.get("c", "").strip()[:RECEIPT_MAX] if request.query_string else ""
    carry = _counter_stamp(target)[1] if target.counter_display else ""
    if code:  # a code in the link (/s/<token>?c=CODE): checked now, used on submission
        return _page_with_code(target, code, carry)
    # The device cookie is set by the first submission, which is all a repeat check needs.
    return Response(_blank_page(target, target.instrument(), carry), content_type=HTML)


def _page_with_code(target: Target, code: str, action_query: str = ""):
    """The questionnaire with the link's receipt code filled in and what is known of it."""
    if target.needs_dwelling:
        verdict = receipt_entry.dwelling_verdict(target, code)
        accepted = _("Dwelling code accepted: your answers will count as verified.")
    else:
        verdict = receipt_entry.verdict(target, code)
        accepted = _("Receipt code accepted: your answers will count as verified.")
    note = accepted if verdict.ok else verdict.message(current_locale())
    instrument = target.instrument()
    fixed = current_app.config["CLOCK_NOW"]
    key = issue_key(current_app.config["SECRET_KEY"], clock.now() if fixed else None)
    body = questions_html(instrument, current_locale())
    return _page(target, instrument, body, key, receipt_code=code, receipt_note=note,
                 action_query=action_query)


@bp.post("/s/<token>")
def submit(token: str):
    """Validate and store a response, then redirect to the thank-you page."""
    ratelimits.check("RATELIMIT_SURVEY_POST", identity.network_hash())
    target = _load(token)
    ratelimits.check("RATELIMIT_SURVEY_POST_LINK", token)  # only real links get counters
    if not target.accepts_responses(clock.today()):
        return _closed_page(target)
    instrument = target.instrument()
    form = read_form(instrument, request.form, current_app.config["COMMENT_MAX_LENGTH"])
    started_at = read_key(current_app.config["SECRET_KEY"], form.key)
    problems = _form_problems(form, instrument, started_at)
    stamp = _counter_stamp(target) if target.counter_display else (None, "")
    if problems:
        key = form.key if started_at else issue_key(current_app.config["SECRET_KEY"])
        body = questions_html(instrument, current_locale(), form.raw, form.errors)
        return _page(target, instrument, body, key, 400, problems, receipt_code=form.receipt,
                     action_query=stamp[1])
    if target.needs_dwelling:
        return _submit_for_dwelling(target, instrument, form, started_at, stamp)
    known = request.cookies.get(identity.DEVICE_COOKIE, "")[:64]
    cookie = known or secrets.token_urlsafe(16)
    sub, burst_starts = _submission(form, instrument, started_at, target, cookie, stamp[0])
    verdict = receipt_entry.verdict(target, form.receipt) if form.receipt else None
    if verdict is not None and verdict.ok:
        sub = replace(sub, receipt=receipt_entry.claim(verdict))
    outcome = store(get_writer(), target, sub)
    if outcome == REPEAT:
        return render_template("survey/already.html", target=target)
    if burst_starts:
        identity.flag_burst(target, sub)
    status = receipt_entry.outcome_status(verdict, outcome)
    # The token was matched by TOKEN_SHAPE (URL-safe), so the path needs no quoting.
    query = f"?r={status}" if status else ""
    response = redirect(f"{request.script_root}/s/{token}/thanks{query}", code=303)
    if not known:
        identity.set_device_cookie(response, cookie)
    return response


def _submit_for_dwelling(target: Target, instrument, form, started_at, stamp):
    """Store a housing project's response only with a valid, unused dwelling code.

    The code, not the device, makes the response unique (one phone may answer for two
    dwellings), so no device hashes are kept; anything but a valid code stores nothing.
    """
    verdict = receipt_entry.dwelling_verdict(target, form.receipt)
    if verdict.ok:
        sub, burst_starts = _submission(form, instrument, started_at, target, None, stamp[0])
        sub = replace(sub, receipt=receipt_entry.claim(verdict.receipt), dwelling=verdict.label)
        outcome = store(get_writer(), target, sub)
        if outcome != DWELLING_USED:
            if burst_starts:
                identity.flag_burst(target, sub)
            query = f"?r={receipt_entry.DWELLING}"
            return redirect(f"{request.script_root}/s/{target.token}/thanks{query}", code=303)
        verdict = replace(verdict, status="used")
    status = 409 if verdict.status == "used" else 400
    body = questions_html(instrument, current_locale(), form.raw, form.errors)
    return _page(target, instrument, body, form.key, status, [verdict.message(current_locale())],
                 receipt_code=form.receipt, action_query=stamp[1])


def _form_problems(form, instrument, started_at) -> list[str]:
    problems = []
    extra = unknown_fields(instrument, request.form)
    if extra:
        problems.append(_("The form contained unknown fields: %(names)s", names=", ".join(extra)))
    if started_at is None:
        problems.append(_("This form has expired. Please check your answers and submit again."))
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        problems.append(_("This page has expired. Please check your answers and submit again."))
    if form.errors:
        problems.append(_("Some answers need your attention; they are marked below."))
    return problems


def _submission(form, instrument, started_at, target, cookie,
                stamp_issued: dt.datetime | None = None) -> tuple[Submission, bool]:
    """The submission with its inline quality flags, and whether it starts a burst.

    Without a ``cookie`` (a dwelling-coded response) no device hashes are kept. On a
    counter-display link, whether a valid stamp came with it and when it was issued.
    """
    key = identity.hash_key()
    sub = Submission(
        key=form.key,
        started_at=started_at,
        instrument_code=instrument.code,
        instrument_version=instrument.version,
        answers=form.items,
        profile={c: form.profile.get(c) for c in PROFILE_COLUMNS},
        comment=form.comment,
        wants_complaint=form.complain,
        locale=current_locale(),
        ip_hash=identity.network_hash(),
        device_hash=hashing.device_hash(key, request) if cookie else None,
        client_hash=hashing.client_hash(key, cookie) if cookie else None,
        submitted_at=clock.now(),
        stamp_valid=(stamp_issued is not None) if target.counter_display else None,
        stamp_issued_at=stamp_issued,
    )
    flags, burst_starts = quality.inline_flags(
        get_engine(), target, sub, sub.submitted_at, identity.quality_rules(), clock.zone())
    return replace(sub, flags=tuple(flags)), burst_starts


@bp.get("/s/<token>/thanks")
def thanks(token: str):
    """Thank the respondent (and say what became of a receipt code, ``?r=STATUS``)."""
    note = receipt_entry.status_note(request.args.get("r", ""), current_locale())
    return render_template("survey/thanks.html", target=_load(token), receipt_note=note)


@bp.get("/privacy")
def privacy():
    """What we keep about respondents, and why."""
    return render_template("privacy.html")


def init_app(app: Flask) -> None:
    """Register the respondent's blueprints (the questionnaire, the counter display);
    committed link changes empty the link cache."""
    from survey.respondent import display

    app.register_blueprint(bp)
    app.register_blueprint(display.bp)
    watch_changes()
