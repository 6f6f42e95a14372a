"""`flask compute` stores a wave's result; `flask bulletin` renders a wave's bulletin to PDF;
`flask publish` freezes a revision."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from reports import bulletin_pdf
from reports.families import compute_lines
from survey.db import session_scope
from survey.model import Wave
from survey.ops import publish
from survey.ops.compute import compute_and_store, summary_lines


@click.command("compute")
@click.option("--wave", "wave_code", required=True, help="Wave code, e.g. 2026Q4.")
@with_appcontext
def compute_command(wave_code: str) -> None:
    """Compute a wave's indices, store the result (with its charts) and print the tables:
    the service indices against their thresholds, each family's index, and the product
    (share satisfied) and construction (improvement over the baseline) targets."""
    session = session_scope(write=True)
    try:
        wave = _wave(session, wave_code)
        try:
            row, result = compute_and_store(session, wave)
        except ValueError as error:
            raise click.ClickException(str(error)) from error
        session.commit()
        click.echo(f"wave {wave.code}: result #{row.id}, input sha256 {row.input_sha256[:16]}…")
        for line in summary_lines(result) + compute_lines(result):
            click.echo(line)
    finally:
        session.close()


def _wave(session, code: str) -> Wave:
    wave = session.scalar(select(Wave).where(Wave.code == code))
    if wave is None:
        raise click.ClickException(f"no wave {code!r}")
    return wave


@click.command("bulletin")
@click.option("--wave", "wave_code", required=True, help="Wave code, e.g. 2026Q4.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--lang", "lang", type=click.Choice(["zh_CN", "en"]), default="zh_CN",
              show_default=True, help="Edition: Chinese (official) or English.")
@with_appcontext
def bulletin_command(wave_code: str, out: Path, lang: str) -> None:
    """Render a wave's bulletin to a PDF file.

    A published wave gives its latest published revision; any other wave is computed if
    needed and rendered as a marked draft.
    """
    session = session_scope(write=True)
    try:
        wave = _wave(session, wave_code)
        published = publish.latest_bulletin(session, wave)
        if published is not None:
            english = lang == "en" and published.pdf_en is not None
            pdf = published.pdf_en if english else published.pdf
            what = f"revision {published.revision}" + (", English" if english else "")
        else:
            try:
                pdf, what = bulletin_pdf(publish.draft_context(session, wave, lang)), "draft"
            except ValueError as error:
                raise click.ClickException(str(error)) from error
        out.write_bytes(pdf)
        click.echo(f"{out}: {wave.code} bulletin, {what}, {len(pdf) // 1024} KiB")
    finally:
        session.close()


@click.command("publish")
@click.option("--wave", "wave_code", required=True)
@click.option("--changes", default="", help="What a corrected revision changes (required then).")
@with_appcontext
def publish_command(wave_code: str, changes: str) -> None:
    """Publish a closed wave's bulletin as a frozen, numbered revision."""
    session = session_scope(write=True)
    try:
        wave = _wave(session, wave_code)
        try:
            bulletin = publish.publish(session, wave, None, changes)
        except ValueError as error:
            raise click.ClickException(str(error)) from error
        session.commit()
        click.echo(f"published {bulletin.issue_label} ({wave.code}) revision {bulletin.revision}")
    finally:
        session.close()


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(compute_command)
    app.cli.add_command(bulletin_command)
    app.cli.add_command(publish_command)
