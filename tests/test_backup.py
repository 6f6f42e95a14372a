"""`flask backup` and `flask restore` round-trip the demo district's database."""

from __future__ import annotations

import hashlib
import threading
import time

import pytest
from sqlalchemy import create_engine, select, text

from app import create_app
from survey import db as survey_db
from survey.model import Base
from survey.ops.backup import row_count
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


def test_backup_taken_while_answers_arrive_holds_only_whole_responses(app, make_link,
                                                                      empty_url, tmp_path):
    from sqlalchemy import func

    from survey.model import Answer, Response
    from tests.conftest import csrf_and_key
    from tests.test_survey import full_answers

    link = make_link("catering")
    stop, posted = threading.Event(), []
    for name in ("RATELIMIT_SURVEY_GET", "RATELIMIT_SURVEY_POST", "RATELIMIT_SURVEY_POST_LINK"):
        app.config[name] = "1000000 per minute"  # one test client plays many phones

    def respondents():
        client = app.test_client()
        while not stop.is_set():
            client.delete_cookie("manyi_device", path="/s/")  # another phone
            hidden = csrf_and_key(client.get(f"/s/{link.token}").get_data(as_text=True))
            posted.append(client.post(f"/s/{link.token}",
                                      data=hidden | full_answers()).status_code)

    writer = threading.Thread(target=respondents)
    writer.start()
    try:
        while len(posted) < 5:
            time.sleep(0.05)
        out = tmp_path / "online.backup"
        result = app.test_cli_runner().invoke(args=["backup", "--out", str(out)])
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    assert set(posted) == {303}
    target = create_app({"TESTING": True, "DATABASE_URL": empty_url})
    assert target.test_cli_runner().invoke(args=["restore", str(out)]).exit_code == 0
    engine = create_engine(empty_url)
    with engine.connect() as conn:
        per_response = conn.execute(
            select(func.count(Answer.item_code)).select_from(Response)
            .join(Answer, Answer.response_id == Response.id, isouter=True)
            .group_by(Response.id)).scalars().all()
    engine.dispose()
    survey_db.get_engine(target).dispose()
    assert len(per_response) >= 5
    assert set(per_response) == {len(full_answers())}
