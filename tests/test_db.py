"""Migrations, engine settings and the database CLI."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from app import create_app
from survey import db as survey_db
from survey.model import Base


def test_migrations_from_empty_match_the_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    survey_db.upgrade(app)
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_migrations_go_down_and_up_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}"
    cfg = survey_db.alembic_config(url)
    command.upgrade(cfg, "head")
    command.downgrade(cfg, "base")
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    engine.dispose()
    command.upgrade(cfg, "head")


def test_session_database_is_at_head(app):
    engine = survey_db.get_engine(app)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn)
        assert context.get_current_revision() is not None
        assert compare_metadata(context, Base.metadata) == []


def test_sqlite_uses_wal_busy_timeout_and_a_pool(tmp_path):
    url = f"sqlite:///{tmp_path / 'pragmas.sqlite3'}"
    engine = survey_db.make_engine(url, busy_timeout_ms=4321)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 4321
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert type(engine.pool).__name__ == "QueuePool"
    engine.dispose()


def test_settings_come_from_flask_prefixed_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("FLASK_DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite3'}")
    monkeypatch.setenv("FLASK_COMMENT_MAX_LENGTH", "500")
    app = create_app({"TESTING": True})
    assert app.config["DATABASE_URL"].endswith("env.sqlite3")
    assert app.config["COMMENT_MAX_LENGTH"] == 500


def test_default_database_is_sqlite_under_instance(monkeypatch):
    monkeypatch.delenv("FLASK_DATABASE_URL", raising=False)
    app = create_app({"TESTING": True})
    assert app.config["DATABASE_URL"] == f"sqlite:///{app.instance_path}/manyi.sqlite3"


def test_db_upgrade_command(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}", "TESTING": True})
    result = app.test_cli_runner().invoke(args=["db-upgrade"])
    assert result.exit_code == 0, result.output
    engine = survey_db.get_engine(app)
    assert "response" in inspect(engine).get_table_names()
    engine.dispose()
