"""`flask backup` and `flask restore` round-trip the demo district's database."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import create_engine, select, text

from app import create_app
from survey import db as survey_db
from survey.backup import row_count
from survey.models import Base
from tests.conftest import PG_URL


def fingerprint(url: str) -> tuple[dict[str, int], str]:
    """Row counts per table and a SHA-256 over every row in primary-key order."""
    engine = create_engine(url)
    digest, counts = hashlib.sha256(), {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            counts[table.name] = len(rows)
            for row in rows:
                digest.update(repr(tuple(row)).encode())
    engine.dispose()
    return counts, digest.hexdigest()


@pytest.fixture
def empty_url(tmp_path, database_url):
    """A second, empty database of the same kind as the test database."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS manyi_restore_test"))
        conn.execute(text("CREATE DATABASE manyi_restore_test"))
    yield PG_URL.rsplit("/", 1)[0] + "/manyi_restore_test"
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS manyi_restore_test WITH (FORCE)"))
    admin.dispose()


def test_backup_restores_the_same_rows(demo_app, empty_url, tmp_path):
    source = demo_app.config["DATABASE_URL"]
    out = tmp_path / "manyi.backup"
    backup = demo_app.test_cli_runner().invoke(args=["backup", "--out", str(out)])
    assert backup.exit_code == 0, backup.output
    target = create_app({"TESTING": True, "DATABASE_URL": empty_url})
    restored = target.test_cli_runner().invoke(args=["restore", str(out)])
    assert restored.exit_code == 0, restored.output
    counts, digest = fingerprint(empty_url)
    assert counts["response"] > 1000 and counts["answer"] > counts["response"]
    assert (counts, digest) == fingerprint(source)
    survey_db.get_engine(target).dispose()


def test_restore_refuses_to_overwrite_data_without_force(demo_app, empty_url, tmp_path):
    out = tmp_path / "manyi.backup"
    assert demo_app.test_cli_runner().invoke(args=["backup", "--out", str(out)]).exit_code == 0
    target = create_app({"TESTING": True, "DATABASE_URL": empty_url})
    survey_db.upgrade(target)
    runner = target.test_cli_runner()
    assert runner.invoke(args=["restore", str(out)]).exit_code == 0  # tables but no rows
    before = fingerprint(empty_url)
    refused = runner.invoke(args=["restore", str(out)])
    assert refused.exit_code != 0 and "--force" in refused.output
    assert fingerprint(empty_url) == before
    assert runner.invoke(args=["restore", "--force", str(out)]).exit_code == 0
    assert row_count(survey_db.get_engine(target)) == sum(before[0].values())
    survey_db.get_engine(target).dispose()


def test_restore_refuses_a_file_that_is_no_backup(app, tmp_path):
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a backup at all")
    result = app.test_cli_runner().invoke(args=["restore", str(junk)])
    assert result.exit_code != 0 and "not a" in result.output
