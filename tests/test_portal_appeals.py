"""Appeals end to end: the enterprise contests a response, the bureau decides in the console."""

from __future__ import annotations

from sqlalchemy import select

from survey.model import Appeal, AuditEntry, Response
from tests.portal_support import (  # noqa: F401  (fixtures)
    csrf,
    fresh,
    make_enterprise_user,
    make_response,
    portal_login,
    two_tenants,
)
from tests.test_console import login, make_user  # noqa: F401

REASON = "同一时间连续提交的恶意差评，并非本店顾客"


def _appeal(client, response_id: int, reason: str = REASON):
    path = f"/portal/responses/{response_id}/appeal"
    return client.post(path, data={"csrf_token": csrf(client, path), "reason": reason})


def _satisfaction(value: int) -> float:
    """Satisfaction score of a response answering `value` on every 1-10 item (equal weights)."""
    return 100.0 * (value - 1) / 9


def _switch_to(client, email):
    client.post("/portal/logout", data={"csrf_token": csrf(client, "/portal/")})
    login(client, email)


def test_upheld_appeal_quarantines_the_response_and_records_its_effect(
        client, two_tenants, make_user, db_session):  # noqa: F811
    ours = two_tenants[0]
    target = ours.responses[0].id  # the lowest rating (3 on every item)
    analyst = make_user("analyst")
    analyst_id, analyst_email = analyst.id, analyst.email
    portal_login(client, ours.user.email)
    assert _appeal(client, target, "太短").status_code == 400
    assert db_session.scalar(select(Appeal)) is None
    fresh(db_session)
    assert _appeal(client, target).status_code == 303
    assert _appeal(client, target).status_code == 409  # pending: no second appeal
    assert "等待监管局裁定" in client.get("/portal/appeals").get_data(as_text=True)
    _switch_to(client, analyst_email)
    fresh(db_session)
    appeal = db_session.scalar(select(Appeal))
    assert appeal.status == "pending" and db_session.scalar(
        select(Appeal).where(Appeal.id != appeal.id)) is None
    fresh(db_session)
    assert f"/console/appeals/{appeal.id}" in client.get("/console/appeals").get_data(as_text=True)
    path = f"/console/appeals/{appeal.id}"
    token = csrf(client, path)
    client.post(f"{path}/decide", data={"csrf_token": token, "decision": "upheld", "reason": ""})
    assert db_session.get(Appeal, appeal.id).status == "pending"
    fresh(db_session)
    client.post(f"{path}/decide", data={"csrf_token": token, "decision": "upheld",
                                        "reason": "同一设备短时间内多次提交"})
    fresh(db_session)
    decided = db_session.get(Appeal, appeal.id)
    values = [3 + k for k in range(6)]
    expected_with = sum(map(_satisfaction, values)) / 6
    expected_without = sum(map(_satisfaction, values[1:])) / 5
    assert decided.status == "upheld" and decided.decided_by == analyst_id
    assert decided.decided_at is not None
    assert abs(decided.index_with - expected_with) < 1e-9
    assert abs(decided.index_without - expected_without) < 1e-9
    assert decided.effect["n_with"] == 6 and decided.effect["n_without"] == 5
    response = db_session.get(Response, target)
    assert response is not None and response.quarantined and "appeal_upheld" in response.flags
    actions = set(db_session.scalars(select(AuditEntry.action)))
    assert {"appeal", "upheld", "quarantine"} <= actions
    again = client.post(f"{path}/decide", data={"csrf_token": token, "decision": "rejected",
                                                "reason": "改判试试看"})
    assert again.status_code == 303
    fresh(db_session)
    assert db_session.get(Appeal, appeal.id).status == "upheld"


def test_rejected_appeal_keeps_the_response_counting(client, two_tenants, make_user,  # noqa: F811
                                                    db_session):
    ours = two_tenants[0]
    target = ours.responses[1].id
    admin = make_user("admin").email
    portal_login(client, ours.user.email)
    _appeal(client, target)
    _switch_to(client, admin)
    fresh(db_session)
    appeal = db_session.scalar(select(Appeal))
    fresh(db_session)
    path = f"/console/appeals/{appeal.id}"
    client.post(f"{path}/decide", data={"csrf_token": csrf(client, path),
                                        "decision": "rejected", "reason": "答卷特征正常，维持计入"})
    fresh(db_session)
    response = db_session.get(Response, target)
    assert not response.quarantined and response.flags == []
    client.post("/console/logout", data={"csrf_token": csrf(client, "/console/")})
    portal_login(client, ours.user.email)
    assert "答卷特征正常" in client.get("/portal/appeals").get_data(as_text=True)


def test_quarantined_responses_cannot_be_appealed_again(client, two_tenants, make_response):  # noqa: F811
    ours = two_tenants[0]
    gone = make_response(ours.link, comment="已隔离", quarantined=True)
    portal_login(client, ours.user.email)
    assert client.get(f"/portal/responses/{gone.id}/appeal").status_code == 404


def test_an_upheld_appeal_gets_its_exact_effect_from_a_background_job(
        client, two_tenants, make_user, db_session):  # noqa: F811
    from survey.model import Job, Wave
    from survey.ops import jobs
    from survey.ops.compute import compute

    ours = two_tenants[0]
    wave = db_session.get(Wave, ours.link.wave_id)
    wave.analysis_settings = {"weight_method": "equal", "raking": False}
    db_session.commit()
    target = ours.responses[0].id  # the lowest rating: removing it raises the index
    analyst_email = make_user("analyst").email
    portal_login(client, ours.user.email)
    assert _appeal(client, target).status_code == 303
    _switch_to(client, analyst_email)
    fresh(db_session)
    appeal = db_session.scalar(select(Appeal))
    path = f"/console/appeals/{appeal.id}"
    client.post(f"{path}/decide", data={"csrf_token": csrf(client, path),
                                        "decision": "upheld", "reason": "同一设备短时间内多次提交"})
    fresh(db_session)
    job = db_session.scalar(select(Job).where(Job.kind == "appeal_effect"))
    assert job is not None and job.status == "queued" and job.params == {"appeal_id": appeal.id}
    assert "being computed in the background" in client.get(f"{path}?lang=en").get_data(
        as_text=True)
    jobs.run(db_session, job)
    assert job.status == "done", job.message
    exact = db_session.get(Appeal, appeal.id).effect["exact"]
    ent = exact["enterprises"]
    assert ent["without"] > ent["with"] and ent["change"] > 0
    # The response is quarantined now: computing the wave from the database agrees with
    # the job's in-memory "without".
    wave = db_session.get(Wave, db_session.get(Response, target).wave_id)
    table = compute(db_session, wave).tables["enterprises"]
    stored = table[table["unit"].astype(str) == str(ours.link.enterprise_id)]["estimate"].iloc[0]
    assert abs(stored - ent["without"]) < 1e-4  # stored rounded to 4 decimals
    assert "Exact effect" in client.get(f"{path}?lang=en").get_data(as_text=True)
