"""The first run: `flask demo` shows the whole product; CLI URLs; job progress in the console."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from app import create_app
from survey import db as survey_db
from survey.demo import showcase
from survey.model import Bulletin, ComputedResult, Job, Wave
from survey.ops import jobs
from tests.test_console import PASSWORD, login, make_user  # noqa: F401

LOGIN = re.compile(
    r"demo (admin|analyst|enterprise|developer|manufacturer): (\S+) / (\S+)  → (\S+)")


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """A fresh database after `flask db-upgrade` and `flask demo --if-empty`, as `make run`."""
    folder = tmp_path_factory.mktemp("first-run")
    settings = {"DATABASE_URL": f"sqlite:///{folder / 'demo.sqlite3'}", "SECRET_KEY": "fr",
                "DEMO_CREDENTIALS_FILE": str(folder / "demo-credentials.json"),
                "PUBLIC_BASE_URL": "http://127.0.0.1:8123", "TESTING": True}
    app = create_app(settings)
    survey_db.upgrade(app)
    result = app.test_cli_runner().invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    yield app, settings, result.output
    survey_db.get_engine(app).dispose()


def test_demo_publishes_the_closed_wave_and_computes_the_open_one(first_run):
    app, _settings, output = first_run
    for step in ("demo: loaded", "publish: published 2026Q3", "compute: computed 2026Q4"):
        assert re.search(rf"{step}.*\(\d+\.\d s\)", output), output
    session = survey_db.session_scope(app)
    bulletin = session.scalars(select(Bulletin)).one()
    assert bulletin.wave.code == "2026Q3" and bulletin.pdf and bulletin.pdf_en
    open_wave = session.scalars(select(Wave).where(Wave.code == "2026Q4")).one()
    assert session.scalar(select(ComputedResult).where(ComputedResult.wave_id == open_wave.id))
    session.close()
    client = app.test_client()
    assert "2026年第3期" in client.get("/bulletins/").get_data(as_text=True)
    assert b"<entry>" in client.get("/bulletins/feed.atom").data
    assert "生产性服务业" in client.get("/").get_data(as_text=True)


def test_demo_prints_working_logins_and_ends_with_a_survey_url(first_run):
    app, _settings, output = first_run
    logins = {m[1]: m for m in LOGIN.finditer(output)}
    assert set(logins) == {"admin", "analyst", "enterprise", "developer", "manufacturer"}
    assert logins["admin"][4] == "http://127.0.0.1:8123/console/login"
    assert logins["enterprise"][4] == "http://127.0.0.1:8123/portal/login"
    assert output.strip().splitlines()[-1].startswith("demo survey: http://127.0.0.1:8123/s/")
    client = app.test_client()
    login(client, logins["admin"][2], logins["admin"][3])
    assert client.get("/console/").status_code == 200
    # A later `make run` prints the same logins again.
    again = app.test_cli_runner().invoke(args=["demo", "--if-empty"]).output
    assert logins["analyst"][0] in again


def test_demo_enterprise_login_shows_its_dashboard(first_run):
    from tests.portal_support import portal_login

    app, _settings, output = first_run
    logins = {m[1]: m for m in LOGIN.finditer(output)}
    client = app.test_client()
    email, password = logins["enterprise"][2], logins["enterprise"][3]
    assert portal_login(client, email, password).status_code in (302, 303)
    page = client.get("/portal/")
    assert page.status_code == 200
    unit = output.split(logins["enterprise"][0], 1)[1].split("(", 1)[1].split(")", 1)[0]
    assert unit in page.get_data(as_text=True)


@pytest.mark.parametrize(("who", "kind"), [("developer", "housing_project"),
                                           ("manufacturer", "product_line")])
def test_demo_organisation_logins_list_their_units_and_open_one(first_run, who, kind):
    from sqlalchemy import select

    from survey.model import Enterprise, Organisation
    from tests.portal_support import csrf, portal_login

    app, _settings, output = first_run
    logins = {m[1]: m for m in LOGIN.finditer(output)}
    organisation = output.split(logins[who][0], 1)[1].split("(", 1)[1].split(")", 1)[0]
    with app.app_context():
        session = survey_db.session_scope(app)
        org = session.scalars(select(Organisation).where(Organisation.name == organisation)).one()
        units = session.scalars(select(Enterprise).where(Enterprise.owner_id == org.id)
                                .order_by(Enterprise.id)).all()
        owned = [(u.id, u.name) for u in units]
        assert owned and {u.kind for u in units} == {kind}
        session.close()
    client = app.test_client()
    assert portal_login(client, logins[who][2], logins[who][3]).status_code in (302, 303)
    listing = client.get("/portal/", follow_redirects=True).get_data(as_text=True)
    assert all(name in listing for _id, name in owned)
    unit_id, name = owned[-1]
    chosen = client.post(f"/portal/units/{unit_id}",
                         data={"csrf_token": csrf(client, "/portal/units")})
    assert chosen.status_code == 303
    page = client.get("/portal/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and name in html
    # The unit is judged by its family's kind of target, not by an index threshold.
    assert {"housing_project": "较基期显著提高", "product_line": "占比不低于80%"}[kind] in html


def test_landing_page_states_each_familys_target_kind(first_run):
    app, _settings, _output = first_run
    page = app.test_client().get("/").get_data(as_text=True)
    assert "民生产品" in page and "建设工程" in page
    assert "满意（8—10分）顾客占比不低于80%" in page and "较基期显著提高" in page
    assert "门槛目标" in page
    english = app.test_client().get("/?lang=en").get_data(as_text=True)
    assert "share of satisfied respondents" in english
    assert "significant improvement over the baseline wave" in english


def test_no_logins_are_printed_in_production(first_run):
    _app, settings, _output = first_run
    production = create_app({**settings, "ENV": "production"})
    output = production.test_cli_runner().invoke(args=["demo", "--if-empty"]).output
    assert "demo survey:" in output and not LOGIN.search(output)
    survey_db.get_engine(production).dispose()


def test_credentials_are_kept_for_their_own_database_only(first_run, tmp_path):
    app, settings, _output = first_run
    with app.app_context():
        session = survey_db.session_scope(app)
        assert len(showcase.saved_credentials(session, settings["DATABASE_URL"])) == 5
        assert showcase.saved_credentials(session, "sqlite:///elsewhere.sqlite3") == []
        session.close()


@pytest.mark.parametrize("env", ["production", "Production "])
def test_production_is_read_from_the_settings(env):
    assert showcase.is_production({"ENV": env})
    assert not showcase.is_production({"ENV": "development"})


def test_links_list_prints_the_public_base_url(first_run):
    _app, settings, _output = first_run
    other = create_app({**settings, "PUBLIC_BASE_URL": "http://127.0.0.1:9090/"})
    output = other.test_cli_runner().invoke(args=["links", "list", "--wave", "2026Q4"]).output
    urls = re.findall(r"^(\S+)\t", output, flags=re.M)
    assert urls and all(u.startswith("http://127.0.0.1:9090/s/") for u in urls)
    survey_db.get_engine(other).dispose()


def test_job_page_shows_the_step_and_an_estimate(client, db_session, make_user, make_wave):  # noqa: F811
    make_user("admin")
    wave = make_wave()
    job = Job(kind="compute", wave_id=wave.id, params={}, status="running", progress=40,
              message="computing indices",
              created_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=20))
    db_session.add(job)
    db_session.commit()
    login(client, "admin@bureau.test")
    page = client.get(f"/console/jobs/{job.id}").get_data(as_text=True)
    assert '<progress class="job-bar" max="100" value="40">' in page
    assert "计算指数" in page and "剩余约" in page and 'http-equiv="refresh"' in page


def test_time_left_uses_finished_jobs_of_the_same_kind(db_session, make_wave):
    wave = make_wave()
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    for took in (30, 40, 50):
        db_session.add(Job(kind="publish", wave_id=wave.id, params={}, status="done",
                           progress=100, message="", created_at=start,
                           finished_at=start + dt.timedelta(seconds=took)))
    running = Job(kind="publish", wave_id=wave.id, params={}, status="running", progress=50,
                  message="", created_at=start)
    fresh = Job(kind="compute", wave_id=wave.id, params={}, status="running", progress=50,
                message="", created_at=start)
    db_session.add_all([running, fresh])
    db_session.commit()
    now = start + dt.timedelta(seconds=15)
    assert jobs.seconds_left(db_session, running, now) == 25  # median 40 s − 15 s
    assert jobs.seconds_left(db_session, fresh, now) == 15  # 15 s for the first half


def test_make_run_installs_only_what_serving_needs():
    root = Path(__file__).resolve().parent.parent
    script = (root / "scripts" / "install-system.sh").read_text()
    run = re.search(r"run_packages=\(([^)]*)\)", script)[1].split()
    assert run == ["fonts-noto-cjk", "libharfbuzz-subset0"]
    makefile = (root / "Makefile").read_text()
    assert re.search(r"^run: setup-run$", makefile, flags=re.M)
    assert re.search(r"^setup-run: system-run venv-run translations$", makefile, flags=re.M)
    assert "install-system.sh run" in makefile and "requirements-test.txt" not in re.search(
        r"^\$\(VENV\)/\.installed-run:.*?\n\n", makefile, flags=re.M | re.S)[0]
