"""`flask dwellings issue`: one dwelling code per dwelling of a housing project, as CSV."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from survey.db import session_scope
from survey.keys import receipt_key
from survey.model import Enterprise, Wave
from survey.ops import dwellings, receipts


@click.group("dwellings")
def dwellings_group() -> None:
    """Dwelling codes: one response per dwelling of a housing project per wave."""


@dwellings_group.command("issue")
@with_appcontext
@click.option("--project", "project_id", type=int, required=True,
              help="Id of the housing project (a unit of kind housing_project).")
@click.option("--wave", "wave_code", required=True, help="Wave code, e.g. 2026Q4.")
@click.option("--labels", "labels_path", type=click.Path(exists=True, dir_okay=False),
              help="CSV with one dwelling label per row (e.g. 3-2-501); default 1..N from "
                   "the project's number of dwellings.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="CSV file to write (enterprise, uscc, wave, batch, serial, code, dwelling).")
def issue_command(project_id: int, wave_code: str, labels_path: str | None,
                  out_path: str) -> None:
    """Issue one dwelling code per dwelling of a housing project for a wave and write them
    as CSV (for the letters to the dwellings)."""
    session = session_scope(write=True)
    try:
        project = session.get(Enterprise, project_id)
        if project is None:
            raise click.ClickException(f"no unit {project_id}")
        wave = session.scalar(select(Wave).where(Wave.code == wave_code))
        if wave is None:
            raise click.ClickException(f"no wave {wave_code!r}")
        try:
            labels = None
            if labels_path:
                labels = dwellings.labels_from_csv(Path(labels_path).read_text(encoding="utf-8"))
            issued = dwellings.issue(session, receipt_key(current_app.config), project, wave,
                                     labels)
            Path(out_path).write_text(receipts.codes_csv(issued), encoding="utf-8")
        except (ValueError, OSError, UnicodeDecodeError) as exc:
            session.rollback()
            raise click.ClickException(str(exc)) from exc
        session.commit()
        count = sum(len(codes) for _b, codes in issued.batches)
        click.echo(f"{count} dwelling codes for {project.name} in {wave_code} written to "
                   f"{out_path}")
    finally:
        session.close()


def init_app(app: Flask) -> None:
    """Register the `dwellings` CLI group."""
    app.cli.add_command(dwellings_group)
