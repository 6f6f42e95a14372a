"""Shared fixtures: the app on a real database, its clients, and factories for domain rows.

The database is SQLite by default. With MANYI_TEST_DATABASE_URL set (scripts/with-postgres.sh
does that), the tests that use the database run against that PostgreSQL server instead and
the database-free tests are skipped, since the SQLite run already covers them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re

import pytest
from sqlalchemy import create_engine, text

from app import create_app
from survey import db as survey_db
from survey.demo.district import load as load_demo
from survey.keys import link_key, receipt_key
from survey.model import Base, Category, Enterprise, Sector, Wave
from survey.ops.links import create_link
from survey.ops.uscc import make_code

PG_URL = os.environ.get("MANYI_TEST_DATABASE_URL", "")
DB_FIXTURES = {"app", "client", "runner", "db_session", "database_url", "demo_app", "demo"}


def pytest_collection_modifyitems(config, items):
    if not PG_URL:
        return
    # Database-free tests are covered by the SQLite run.
    keep, drop = [], []
    for item in items:
        uses_db = DB_FIXTURES & set(getattr(item, "fixturenames", ()))
        (keep if uses_db else drop).append(item)
    items[:] = keep
    config.hook.pytest_deselected(items=drop)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """A migrated, empty database for the whole session."""
    url = PG_URL or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    if PG_URL:
        _drop_everything(url)
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    survey_db.upgrade(app)
    return url


def _drop_everything(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory):
    """An app on a second database holding the demo district, loaded once per session.

    Tests that use it may add rows but must not rely on the database being otherwise
    untouched by other demo tests.
    """
    if PG_URL:
        url = PG_URL.rsplit("/", 1)[0] + "/manyi_demo_test"
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS manyi_demo_test"))
            conn.execute(text("CREATE DATABASE manyi_demo_test"))
        admin.dispose()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite3'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret"})
    survey_db.upgrade(app)
    session = survey_db.session_scope(app, write=True)
    load_demo(session, seed=11, today=dt.date(2026, 11, 26), key=link_key(app.config),
              receipts_key=receipt_key(app.config))
    session.commit()
    session.close()
    yield app
    survey_db.get_engine(app).dispose()


@pytest.fixture
def demo(demo_app):
    """A session on the demo district's database."""
    session = survey_db.session_scope(demo_app)
    yield session
    session.close()


@pytest.fixture
def app(database_url, tmp_path):
    """The real application on the session's database; tables are emptied after each test."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "PUBLIC_BASE_URL": "http://survey.test",
            # Tables are emptied after each test: a job process must not outlive it.
            "JOBS_AUTOSTART": False,
        }
    )
    yield app
    engine = survey_db.get_engine(app)
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db_session(app):
    """A session outside any request, for arranging and inspecting rows."""
    session = survey_db.session_scope(app)
    yield session
    session.close()


_counter = itertools.count(1)


@pytest.fixture
def make_sector(db_session):
    """Factory: a sector (and its category) using the sector's own instrument."""

    def make(code: str = "catering", category: str = "consumer", target: float = 80.0):
        cat = db_session.query(Category).filter_by(code=category).one_or_none()
        if cat is None:
            cat = Category(code=category, name_zh=category, name_en=category, target=target)
            db_session.add(cat)
        sector = Sector(
            code=code, name_zh=code, name_en=code, category=cat, weight=1.0, instrument_code=code
        )
        db_session.add(sector)
        db_session.commit()
        return sector

    return make


@pytest.fixture
def make_wave(db_session):
    """Factory: a wave around today, open unless told otherwise."""

    def make(code: str = "2026Q4", status: str = "open", days: tuple[int, int] = (-30, 30)):
        today = dt.date.today()
        wave = Wave(
            code=code,
            status=status,
            instrument_versions={},
            opens_on=today + dt.timedelta(days=days[0]),
            closes_on=today + dt.timedelta(days=days[1]),
        )
        db_session.add(wave)
        db_session.commit()
        return wave

    return make


@pytest.fixture
def make_link(app, db_session, make_sector, make_wave):
    """Factory: an active link for a new enterprise, creating sector and wave as needed."""

    def make(sector_code: str = "catering", wave: Wave | None = None, location: str = ""):
        sector = db_session.query(Sector).filter_by(code=sector_code).one_or_none()
        sector = sector or make_sector(sector_code)
        wave = wave or db_session.query(Wave).filter_by(code="2026Q4").one_or_none() or make_wave()
        n = next(_counter)
        ent = Enterprise(
            name=f"测试企业{n}",
            uscc=make_code("210213", f"MA{n:06d}"),
            sector=sector,
            street="友谊街道",
        )
        db_session.add(ent)
        link = create_link(db_session, ent, wave, location, key=link_key(app.config))
        db_session.commit()
        return link

    return make


def csrf_and_key(html: str) -> dict[str, str]:
    """The hidden csrf_token and k values of a rendered questionnaire."""
    fields = {}
    for name in ("csrf_token", "k"):
        m = re.search(rf'<input type="hidden" name="{name}" value="([^"]+)">', html)
        assert m, f"{name} not found in page"
        fields[name] = m.group(1)
    return fields
