"""Retention: erase the personal data in old comments (`flask retention apply`).

A comment is free text and may hold names, phone numbers or stories about a person. After
COMMENT_RETENTION_DAYS its text is replaced by "" and an audit entry records which
responses were erased and when; answers, profile bands and quality flags are kept, since
the published indices are computed from them.
"""

from __future__ import annotations

import datetime as dt

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from survey.clock import utcnow
from survey.db import session_scope
from survey.model import Response
from survey.ops import audit

retention_cli = AppGroup("retention", help="Erase personal data kept beyond its retention period.")


def cutoff(days: int, now: dt.datetime) -> dt.datetime:
    """The instant before which comments are erased: `days` days before `now`."""
    if days < 0:
        raise ValueError("the retention period cannot be negative")
    return now - dt.timedelta(days=days)


def expired_comments(session: Session, before: dt.datetime) -> list[int]:
    """Ids of responses submitted before `before` whose comment still holds text."""
    query = select(Response.id).where(Response.submitted_at < before, Response.comment != "")
    return list(session.scalars(query.order_by(Response.id)))


def erase_comments(session: Session, before: dt.datetime) -> list[int]:
    """Blank the comments submitted before `before` and audit it; the erased response ids.

    The caller commits; erasure and its audit entry land in the same transaction.
    """
    ids = expired_comments(session, before)
    if ids:
        session.execute(update(Response).where(Response.id.in_(ids)).values(comment=""))
        audit.record(session, None, "erase_comments", "response", before.date().isoformat(),
                     after={"cutoff": before.isoformat(), "erased": len(ids), "ids": ids})
    return ids


@retention_cli.command("apply")
@click.option("--days", type=int, default=None,
              help="Retention period in days (default: the COMMENT_RETENTION_DAYS setting).")
@click.option("--dry-run", is_flag=True, help="Only count what would be erased.")
def apply_command(days: int | None, dry_run: bool) -> None:
    """Erase the text of comments older than the retention period."""
    days = current_app.config["COMMENT_RETENTION_DAYS"] if days is None else days
    try:
        before = cutoff(int(days), utcnow())
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--days") from exc
    session = session_scope(write=True)
    try:
        if dry_run:
            ids = expired_comments(session, before)
        else:
            ids = erase_comments(session, before)
            session.commit()
    finally:
        session.close()
    verb = "would erase" if dry_run else "erased"
    click.echo(f"{verb} {len(ids)} comments submitted before {before:%Y-%m-%d %H:%M} UTC")


def init_app(app: Flask) -> None:
    """Register the `flask retention` commands."""
    app.cli.add_command(retention_cli)
