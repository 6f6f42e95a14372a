"""Database engine and per-request session, plus the `flask db-upgrade` command."""

from __future__ import annotations

from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import Flask, current_app, g
from flask.cli import with_appcontext
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def make_engine(url: str, *, busy_timeout_ms: int = 5000, pool_size: int = 5) -> Engine:
    """Create a pooled engine; SQLite connections get WAL, NORMAL sync and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, pool_size=pool_size, max_overflow=10)
        event.listen(engine, "connect", _sqlite_pragmas(busy_timeout_ms))
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True)


def _sqlite_pragmas(busy_timeout_ms: int):
    def on_connect(dbapi_connection, _record):
        # Take over transaction control so BEGIN is emitted explicitly (see SQLAlchemy's
        # "Serializable isolation / Savepoints / Transactional DDL" notes for pysqlite).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return on_connect


def _begin(conn):
    # Writers take the lock at BEGIN, so a busy database waits (busy_timeout) instead of
    # failing half-way through a read-then-write transaction with "database is locked".
    writer = conn.get_execution_options().get("sqlite_writer")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


def get_engine(app: Flask | None = None) -> Engine:
    """Return the application's engine, created lazily (after gunicorn forks)."""
    app = app or current_app
    engine = app.extensions.get("manyi_engine")
    if engine is None:
        engine = make_engine(
            app.config["DATABASE_URL"],
            busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"],
            pool_size=app.config["DB_POOL_SIZE"],
        )
        if engine.dialect.name == "sqlite":
            event.listen(engine, "begin", _begin)
        writer = engine.execution_options(sqlite_writer=True)
        app.extensions["manyi_engine"] = engine
        app.extensions["manyi_sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
        app.extensions["manyi_writer"] = sessionmaker(writer, expire_on_commit=False)
        app.extensions["manyi_writer_engine"] = writer
    return engine


def get_session() -> Session:
    """Return the request's session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        get_engine()
        g.db_session = current_app.extensions["manyi_sessionmaker"]()
    return g.db_session


def get_writer(app: Flask | None = None) -> Engine:
    """The engine for transactions that write: on SQLite they begin with BEGIN IMMEDIATE."""
    get_engine(app)
    return (app or current_app).extensions["manyi_writer_engine"]


def session_scope(app: Flask | None = None, *, write: bool = False) -> Session:
    """Open a session outside a request (CLI, background jobs); the caller closes it."""
    app = app or current_app
    get_engine(app)
    return app.extensions["manyi_writer" if write else "manyi_sessionmaker"]()


def close_session(_exc: BaseException | None = None) -> None:
    """Close the request's session, rolling back anything not committed."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def alembic_config(url: str) -> Config:
    """Alembic configuration pointing at the project's migrations and `url`."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(app: Flask, revision: str = "head") -> None:
    """Apply migrations up to `revision`."""
    command.upgrade(alembic_config(app.config["DATABASE_URL"]), revision)


@click.command("db-upgrade")
@with_appcontext
@click.option("--revision", default="head", show_default=True)
def db_upgrade_command(revision: str) -> None:
    """Apply database migrations (creates the schema on an empty database)."""
    upgrade(current_app, revision)
    click.echo(f"database at {revision}")


def init_app(app: Flask) -> None:
    """Register teardown and CLI."""
    app.teardown_appcontext(close_session)
    app.cli.add_command(db_upgrade_command)
