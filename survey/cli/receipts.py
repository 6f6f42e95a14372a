"""`flask receipts issue`: one-time receipt codes for an enterprise and wave, as CSV."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from survey.db import session_scope
from survey.keys import receipt_key
from survey.model import Wave
from survey.ops import receipts
from survey.ops.links import find_enterprise


@click.group("receipts")
def receipts_group() -> None:
    """Receipt codes: one verified response per real transaction."""


@receipts_group.command("issue")
@with_appcontext
@click.option("--enterprise", "enterprise_ref", required=True, help="Enterprise id or USCC.")
@click.option("--wave", "wave_code", required=True, help="Wave code, e.g. 2026Q4.")
@click.option("--count", type=int, required=True, help="How many codes (2048 per batch).")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="CSV file to write (enterprise, uscc, wave, batch, serial, code).")
def issue_command(enterprise_ref: str, wave_code: str, count: int, out_path: str) -> None:
    """Issue COUNT one-time receipt codes for an enterprise and wave and write them as CSV
    (for printing on receipts, a till or an SMS system)."""
    session = session_scope(write=True)
    try:
        enterprise = find_enterprise(session, enterprise_ref)
        if enterprise is None:
            raise click.ClickException(f"no enterprise {enterprise_ref!r}")
        wave = session.scalar(select(Wave).where(Wave.code == wave_code))
        if wave is None:
            raise click.ClickException(f"no wave {wave_code!r}")
        try:
            issued = receipts.issue(session, receipt_key(current_app.config), enterprise, wave,
                                    count)
            text = receipts.codes_csv(issued)
            Path(out_path).write_text(text, encoding="utf-8")
        except (ValueError, OSError) as exc:
            session.rollback()
            raise click.ClickException(str(exc)) from exc
        session.commit()
    finally:
        session.close()
    numbers = ", ".join(str(b.number) for b, _codes in issued.batches)
    click.echo(f"{count} codes for {enterprise.name} in {wave_code} (batches {numbers}) "
               f"written to {out_path}")


def init_app(app: Flask) -> None:
    """Register the `receipts` CLI group."""
    app.cli.add_command(receipts_group)
