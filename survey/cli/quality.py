"""`flask quality recompute --wave CODE`: recompute a wave's quality flags and quarantine."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from survey import clock
from survey.db import session_scope
from survey.model import Wave
from survey.ops.quality import recompute, rules_of


@click.group("quality")
def quality_group() -> None:
    """Data-quality flags and quarantine of responses."""


@quality_group.command("recompute")
@with_appcontext
@click.option("--wave", "wave_code", required=True, help="Wave code, e.g. 2026Q4.")
def recompute_command(wave_code: str) -> None:
    """Recompute every automatic quality flag of a wave (speeders, straight-lining,
    duplicates, bursts, opening hours, near-identical comments, cross-ratings) and which
    responses are quarantined; analysts' reviews and other flags are kept."""
    session = session_scope(write=True)
    try:
        wave = session.scalar(select(Wave).where(Wave.code == wave_code))
        if wave is None:
            raise click.ClickException(f"no wave {wave_code!r}")
        counts = recompute(session, wave, rules_of(current_app.config), clock.zone())
        session.commit()
    finally:
        session.close()
    click.echo(f"wave {wave_code}: {counts.pop('responses')} responses, "
               f"{counts.pop('quarantined')} quarantined")
    for code, n in sorted(counts.items()):
        click.echo(f"  {code}: {n}")


def init_app(app: Flask) -> None:
    """Register the `quality` CLI group."""
    app.cli.add_command(quality_group)
