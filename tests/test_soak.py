"""Short soak under gunicorn: a worker killed mid-run loses and doubles nothing acknowledged.

A correctness check of bench/soak.py (16 clients for 8 s instead of 64 for 60 s); its
timings are printed by the benchmark, never asserted here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bench import soak
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(not (Path(sys.executable).parent / "gunicorn").exists(),
                                reason="gunicorn is not installed in this environment")


@pytest.fixture
def soak_url(database_url, tmp_path):
    """A database of its own for the soak: a new PostgreSQL database or SQLite file."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'soak.sqlite3'}"
        return
    url = PG_URL.rsplit("/", 1)[0] + "/manyi_soak_test"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS manyi_soak_test"))
        conn.execute(text("CREATE DATABASE manyi_soak_test"))
    yield url
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS manyi_soak_test WITH (FORCE)"))
    admin.dispose()


def test_killed_worker_loses_and_doubles_no_acknowledged_answer(soak_url, tmp_path):
    fig = soak.run(soak_url, duration=8, clients=16, kill_at=3, log_dir=tmp_path,
                   max_per_client=2000)
    assert fig.acknowledged > 0
    assert fig.replaced_after_s is not None, "gunicorn did not replace the killed worker"
    assert fig.lost == 0 and fig.duplicated == 0 and fig.incomplete == 0
    assert fig.stored >= fig.acknowledged
    assert fig.server_errors == 0 and fig.refused == 0
    # Cut-off requests only around the kill, and each respondent got through on a retry.
    assert fig.cut_other == 0 and fig.gave_up == 0
