"""Online backups and restores of the database (`flask backup`, `flask restore`).

SQLite: the sqlite3 backup API copies a consistent snapshot while the app keeps writing.
PostgreSQL: `pg_dump --format=custom` (one consistent snapshot) and `pg_restore`, using the
binaries of the newest PostgreSQL installed under /usr/lib/postgresql (pg_dump must be at
least as new as the server).
"""

from __future__ import annotations

import glob
import os
import sqlite3
import subprocess
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.engine import make_url

from survey.db import get_engine
from survey.model import Base

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(RuntimeError):
    """A backup or restore could not be done; the message says why."""


def postgres_tool(name: str) -> str:
    """Path of the newest installed PostgreSQL client program `name` (pg_dump, pg_restore)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if not found:
        raise BackupError(f"{name} not found under /usr/lib/postgresql/*/bin")
    return found[-1]


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as a libpq connection URI (no driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def sqlite_path(url: str) -> Path:
    """The file of a SQLite URL."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def row_count(engine: Engine) -> int:
    """How many rows the application's tables hold (0 for a database without them)."""
    present = set(inspect(engine).get_table_names())
    total = 0
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in present:
                total += conn.scalar(select(func.count()).select_from(table))
    return total


def backup(url: str, out: Path) -> None:
    """Write a consistent copy of the database at `url` to the file `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    if url.startswith("sqlite"):
        _sqlite_copy(sqlite_path(url), partial)
    elif url.startswith("postgresql"):
        _run([postgres_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
              f"--file={partial}", f"--dbname={libpq_url(url)}"])
    else:
        raise BackupError(f"unsupported database: {make_url(url).drivername}")
    # Only a finished backup gets the requested name.
    os.replace(partial, out)


def restore(url: str, source: Path) -> None:
    """Replace the database at `url` by the backup in `source` (checked to match its kind)."""
    head = source.read_bytes()[:16] if source.is_file() else b""
    if url.startswith("sqlite"):
        if not head.startswith(SQLITE_MAGIC):
            raise BackupError(f"{source} is not a SQLite backup")
        _sqlite_copy(source, sqlite_path(url))
    elif url.startswith("postgresql"):
        if not head.startswith(PGDUMP_MAGIC):
            raise BackupError(f"{source} is not a pg_dump custom-format backup")
        _run([postgres_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
              "--no-privileges", "--single-transaction", "--exit-on-error",
              f"--dbname={libpq_url(url)}", str(source)])
    else:
        raise BackupError(f"unsupported database: {make_url(url).drivername}")


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy one SQLite database into another with the online backup API."""
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source}: {exc}") from exc
    finally:
        dst.close()
        src.close()


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(cmd[0]).name} failed: {done.stderr.strip()[-2000:]}")


@click.command("backup")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (SQLite database file or pg_dump custom archive).")
@with_appcontext
def backup_command(out: Path) -> None:
    """Make a consistent online backup of the database."""
    try:
        backup(current_app.config["DATABASE_URL"], out)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backup written to {out} ({out.stat().st_size} bytes)")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite a database that already holds data.")
@with_appcontext
def restore_command(source: Path, force: bool) -> None:
    """Restore the database from a file written by `flask backup`."""
    engine = get_engine()
    rows = row_count(engine)
    if rows and not force:
        raise click.ClickException(
            f"the database holds {rows} rows; stop the app and add --force to overwrite it")
    # No pooled connection may hold the database open while it is replaced.
    engine.dispose()
    try:
        restore(current_app.config["DATABASE_URL"], source)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"database restored from {source}")


def init_app(app: Flask) -> None:
    """Register `flask backup` and `flask restore`."""
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
