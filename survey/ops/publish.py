"""Bulletins: a wave's bulletin from its stored result, and frozen, numbered revisions."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis import WaveResult
from reports import bulletin_html
from reports.render import html_to_pdf
from survey import clock
from survey.model import Bulletin, Wave
from survey.ops.bulletin_context import (
    context_of,
    issue_label,
    previous_wave,
    published_context,
    snapshot_meta,
)
from survey.ops.compute import Progress, code_version, compute_and_store, latest_result


def current_result(session: Session, wave: Wave) -> WaveResult:
    """The wave's latest stored result, computed and stored first (by the one compute path,
    charts and comparison included) if there is none."""
    row = latest_result(session, wave)
    if row is not None:
        return WaveResult.from_json(row.result_json)
    _row, result = compute_and_store(session, wave)
    session.commit()
    return result


def draft_context(session: Session, wave: Wave, locale: str = "zh_CN") -> dict:
    """A wave's bulletin as it would be published now, marked as a draft."""
    result = current_result(session, wave)
    meta = snapshot_meta(session, wave)
    prev = previous_wave(session, wave)
    previous = current_result(session, prev) if prev else None
    return context_of(result, previous, meta, date=clock.today(), draft=True, locale=locale)


def latest_bulletin(session: Session, wave: Wave) -> Bulletin | None:
    """The newest published revision of a wave's bulletin."""
    return session.scalars(
        select(Bulletin).where(Bulletin.wave_id == wave.id)
        .order_by(Bulletin.revision.desc()).limit(1)
    ).first()


def publish(session: Session, wave: Wave, user_id: int | None, changes: str = "",
            progress: Progress | None = None) -> Bulletin:
    """Freeze the wave's current result as a new bulletin revision; the caller commits.

    The first publication is revision 1; each correction adds the next revision and must
    say what changed. Both editions (Chinese and English, page and PDF) are rendered from
    the same snapshot and frozen together; ``progress(percent, message)`` hears each step.
    """
    say = progress or (lambda _percent, _message: None)
    if wave.status not in ("closed", "published"):
        raise ValueError(f"wave {wave.code} is {wave.status}: close it before publishing")
    last = latest_bulletin(session, wave)
    if last is not None and not changes.strip():
        raise ValueError("a corrected revision must say what changed")
    say(10, "computing the result")
    result = current_result(session, wave)
    prev = previous_wave(session, wave)
    bulletin = Bulletin(
        wave=wave, revision=(last.revision + 1) if last else 1, issue_label=issue_label(wave),
        title=current_app.config["BULLETIN_TITLE"], published_by=user_id,
        result_json=result.to_json(),
        previous_json=current_result(session, prev).to_json() if prev else None,
        meta=snapshot_meta(session, wave), input_sha256=result.provenance["input_sha256"],
        code_version=code_version(), changes=changes.strip(),
        published_at=clock.now(),
    )
    say(30, "rendering the Chinese edition")
    bulletin.html = bulletin_html(published_context(bulletin))
    say(50, "rendering the Chinese PDF")
    bulletin.pdf = html_to_pdf(bulletin.html)
    say(70, "rendering the English edition")
    bulletin.html_en = bulletin_html(published_context(bulletin, "en"))
    say(80, "rendering the English PDF")
    bulletin.pdf_en = html_to_pdf(bulletin.html_en)
    session.add(bulletin)
    wave.status = "published"
    return bulletin
