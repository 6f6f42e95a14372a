"""Migration 0016_families on rows written before it: defaults, new constraints, and the way
back (refused while units without a credit code exist), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from survey import db as survey_db
from survey.ops.uscc import make_code
from tests.conftest import PG_URL

BEFORE, AFTER = "0013_security", "0016_families"


@pytest.fixture
def empty_url(database_url, tmp_path):
    """A database of its own (the session's stays at head): a file, or a PostgreSQL database."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'families.sqlite3'}"
        return
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS manyi_families_test"))
        conn.execute(text("CREATE DATABASE manyi_families_test"))
    yield PG_URL.rsplit("/", 1)[0] + "/manyi_families_test"
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS manyi_families_test WITH (FORCE)"))
    admin.dispose()


def _old_rows(conn) -> None:
    conn.execute(text(
        "INSERT INTO category (id, code, name_zh, name_en, target, target_source, weight,"
        " weight_source) VALUES (1, 'consumer', '传统服务业', 'Consumer', 80, '', 1, '')"))
    conn.execute(text(
        "INSERT INTO sector (id, code, name_zh, name_en, category_id, weight, weight_source,"
        " instrument_code) VALUES (1, 'catering', '餐饮', 'Catering', 1, 1, '', 'catering')"))
    conn.execute(text(
        "INSERT INTO enterprise (id, name, uscc, sector_id, street, active, created_at)"
        " VALUES (1, '老店', :uscc, 1, '', :yes, '2026-01-01 00:00:00+00')"),
        {"uscc": make_code("210213", "MA000001"), "yes": True})


def _project(conn, id_: int) -> None:
    conn.execute(text(
        "INSERT INTO enterprise (id, name, sector_id, street, active, created_at, kind,"
        " dwellings, delivered_on) VALUES (:id, '楼盘', 1, '', :yes, '2026-01-01 00:00:00+00',"
        " 'housing_project', 120, '2025-06-30')"), {"id": id_, "yes": True})


def test_families_migration_keeps_old_rows_and_goes_back(empty_url):
    cfg = survey_db.alembic_config(empty_url)
    command.upgrade(cfg, BEFORE)
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        _old_rows(conn)
    command.upgrade(cfg, AFTER)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT family, target_kind, baseline_wave_id FROM category"))\
            .one() == ("service", "threshold", None)
        assert conn.execute(text("SELECT kind FROM enterprise")).scalar_one() == "enterprise"
        _project(conn, 2)
        _project(conn, 3)  # two units without a credit code: NULLs do not collide
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE enterprise SET kind = 'shop' WHERE id = 1"))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE category SET family = 'other'"))
    with pytest.raises(RuntimeError, match="without a credit code"):
        command.downgrade(cfg, BEFORE)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM enterprise WHERE uscc IS NULL"))
    command.downgrade(cfg, BEFORE)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM enterprise")).scalar_one() == "老店"
    command.upgrade(cfg, "head")
    engine.dispose()
