"""Console results and background jobs: compute and publish run in their own process."""

from __future__ import annotations

import time

from sqlalchemy import select

from survey import db as survey_db
from survey.model import Bulletin, ComputedResult, Job, User, Wave
from survey.ops import jobs
from survey.ops.accounts import hash_password
from survey.ops.compute import compute, store_result
from tests.test_console import PASSWORD, csrf, login, make_user  # noqa: F401


def _analyst(demo_app, role: str = "analyst"):
    email = f"{role}@bureau.test"
    session = survey_db.session_scope(demo_app, write=True)
    if session.scalar(select(User).where(User.email == email)) is None:
        session.add(User(email=email, name=role, role=role,
                         password_hash=hash_password(PASSWORD)))
        session.commit()
    session.close()
    client = demo_app.test_client()
    login(client, email)
    return client


def _wait(demo, job_id: int, seconds: float = 120) -> Job:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        demo.rollback()
        demo.expire_all()
        job = demo.get(Job, job_id)
        if job.status in ("done", "failed"):
            while jobs.reap():  # the process exits right after recording its status
                time.sleep(0.1)
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not finish")


def test_compute_job_runs_in_a_separate_process(demo_app, demo):
    client = _analyst(demo_app)
    wave = demo.scalars(select(Wave).where(Wave.code == "2026Q4")).one()
    stored = select(ComputedResult).where(ComputedResult.wave_id == wave.id)
    before = len(demo.scalars(stored).all())
    url = f"/console/waves/{wave.id}/results"
    reply = client.post(f"/console/waves/{wave.id}/compute", data={"csrf_token": csrf(client, url)})
    assert reply.status_code == 303 and "/console/jobs/" in reply.headers["Location"]
    job_id = int(reply.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/console/jobs/{job_id}").get_data(as_text=True)
    assert f"#{job_id}" in page
    job = _wait(demo, job_id)
    assert job.status == "done", job.message
    assert len(demo.scalars(stored).all()) == before + 1
    html = client.get(url).get_data(as_text=True)
    assert "与目标无显著差异" in html or "达标" in html or "未达标" in html
    assert html.count("<svg") >= 4  # sector chart and 四分图 for each of the two categories
    start = html.index("<th>驱动因素</th>")
    table = html[start:html.index("</table>", start)]
    assert "感知质量" in table and "<td>quality</td>" not in table
    assert any(q in table for q in ("修补区", "优势区", "机会区", "维持区"))


def test_publishing_an_open_wave_is_refused(demo_app, demo):
    client = _analyst(demo_app, "admin")  # only admins publish
    wave = demo.scalars(select(Wave).where(Wave.code == "2026Q4")).one()
    url = f"/console/waves/{wave.id}/results"
    reply = client.post(f"/console/waves/{wave.id}/publish", data={"csrf_token": csrf(client, url)})
    assert reply.status_code == 303 and reply.headers["Location"].endswith("/results")
    refused = select(Job).where(Job.kind == "publish", Job.wave_id == wave.id)
    assert demo.scalars(refused).first() is None


def test_failed_job_records_why(demo_app, demo):
    session = survey_db.session_scope(demo_app, write=True)
    wave = session.scalars(select(Wave).where(Wave.code == "2026Q4")).one()
    job = jobs.enqueue(session, "publish", wave.id, None)  # an open wave cannot be published
    session.commit()
    with demo_app.app_context():
        jobs.run(session, job)
    assert job.status == "failed" and "close it" in job.message
    assert session.scalars(select(Bulletin).where(Bulletin.wave_id == wave.id)).first() is None
    session.close()


def test_enterprise_user_cannot_start_jobs(client, make_user, make_link):  # noqa: F811
    link = make_link()
    login(client, make_user("enterprise", enterprise_id=link.enterprise_id).email)
    token = csrf(client, "/console/login")
    reply = client.post(f"/console/waves/{link.wave_id}/compute", data={"csrf_token": token})
    assert reply.status_code == 403


def test_results_page_shows_diagnostics(demo_app, demo):
    client = _analyst(demo_app)
    wave = demo.scalars(select(Wave).where(Wave.code == "2026Q3")).one()
    session = survey_db.session_scope(demo_app, write=True)
    stored = session.get(Wave, wave.id)
    with demo_app.app_context():
        store_result(session, stored, compute(session, stored))
    session.commit()
    session.close()
    html = client.get(f"/console/waves/{wave.id}/results").get_data(as_text=True)
    assert "ρ<sub>DG</sub>" in html and "AVE" in html and "satisfaction" in html
