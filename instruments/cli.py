"""The ``flask instruments`` commands: check, lock and list questionnaire versions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from instruments.loader import InstrumentError, check_lock, load_all, write_lock

root_option = click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Instruments folder holding core/, sectors/ and lock.json (default: the package's).",
)


@click.group("instruments")
def instruments_group() -> None:
    """Check, lock and list questionnaire versions."""


@instruments_group.command("check")
@root_option
def check_command(root: Path | None) -> None:
    """Load every instrument file and verify it against the lock."""
    problems = check_lock(root)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise click.exceptions.Exit(1)
    click.echo("All instrument files are valid and match the lock.")


@instruments_group.command("lock")
@root_option
def lock_command(root: Path | None) -> None:
    """Add new instrument versions to the lock; refuse versions whose content changed."""
    try:
        added = write_lock(root)
    except InstrumentError as exc:
        raise click.ClickException(str(exc)) from None
    for key in added:
        click.echo(f"locked {key}")
    if not added:
        click.echo("Nothing new to lock.")


@instruments_group.command("list")
@root_option
def list_command(root: Path | None) -> None:
    """List the instrument versions with their family, category, item count and hash."""
    try:
        instruments = load_all(root)
    except InstrumentError as exc:
        raise click.ClickException(str(exc)) from None
    for key, inst in instruments.items():
        click.echo(
            f"{key:<20} {inst.family:<12} {inst.category:<12} {len(inst.items):>2} items"
            f"  {inst.content_hash[:12]}  {inst.title.zh_CN} / {inst.title.en}"
        )


def init_app(app: Any) -> None:
    """Register the ``instruments`` command group on a Flask app."""
    app.cli.add_command(instruments_group)
