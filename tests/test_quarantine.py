"""The quarantine in the console, its reviews, the recompute CLI, and what results and
bulletins say about quarantined responses."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from reports.annex import _intake
from survey.model import AuditEntry, QuarantineReview, Response, Wave
from survey.ops.bulletin_context import intake
from tests.test_console import csrf, login, make_user  # noqa: F401


@pytest.fixture
def responses(db_session, make_link):
    """Three responses of one link: clean, too fast, and straight-lined with an appeal."""
    link = make_link()
    now = dt.datetime.now(dt.UTC)

    def add(n, flags, quarantined, answers, seconds=120):
        row = Response(link_id=link.id, enterprise_id=link.enterprise_id, wave_id=link.wave_id,
                       instrument_code="catering", instrument_version=1,
                       started_at=now - dt.timedelta(seconds=seconds), submitted_at=now,
                       idempotency_key=f"k{n}", ip_hash=f"ip{n}", device_hash=f"d{n}",
                       flags=flags, quarantined=quarantined, comment=f"评论{n}")
        db_session.add(row)
        db_session.flush()
        from survey.model import Answer
        db_session.add_all(Answer(response_id=row.id, item_code=c, value=v)
                           for c, v in answers.items())
        return row

    import instruments
    codes = [i.code for i in instruments.get("catering").items if i.scale.kind == "rating"]
    varied = {c: 5 + k % 4 for k, c in enumerate(codes)}
    rows = [add(1, [], False, varied),
            add(2, ["speeder"], True, varied, seconds=5),
            add(3, ["appeal_upheld"], True, {c: 10 for c in codes})]
    db_session.commit()
    return link, rows


def test_quarantine_lists_and_filters_flagged_responses(client, responses, make_user):  # noqa: F811
    link, rows = responses
    login(client, make_user("analyst").email)
    page = client.get(f"/console/quarantine?wave={link.wave_id}").get_data(as_text=True)
    assert "评论2" in page and "评论3" in page and "评论1" not in page
    assert "答题过快" in page and "企业申诉成立" in page
    only = client.get(f"/console/quarantine?wave={link.wave_id}&reason=speeder")
    assert "评论2" in only.get_data(as_text=True) and "评论3" not in only.get_data(as_text=True)
    none = client.get(f"/console/quarantine?wave={link.wave_id}&enterprise=999999")
    assert "评论2" not in none.get_data(as_text=True)


def test_release_and_confirm_need_a_reason_and_are_recorded(client, responses, make_user,  # noqa: F811
                                                             db_session):
    link, rows = responses
    login(client, make_user("analyst").email)
    token = csrf(client, "/console/quarantine")
    url = f"/console/quarantine/{rows[1].id}/release"
    assert client.post(url, data={"csrf_token": token}).status_code == 303
    db_session.rollback()
    db_session.expire_all()
    assert db_session.get(Response, rows[1].id).quarantined  # no reason: nothing changed
    client.post(url, data={"csrf_token": token, "reason": "回访核实为真实顾客"})
    client.post(f"/console/quarantine/{rows[2].id}/confirm",
                data={"csrf_token": token, "reason": "申诉材料属实"})
    assert client.post(f"/console/quarantine/{rows[0].id}/release",
                       data={"csrf_token": token, "reason": "x"}).status_code == 404
    db_session.rollback()
    db_session.expire_all()
    assert not db_session.get(Response, rows[1].id).quarantined
    assert db_session.get(Response, rows[1].id).flags == ["speeder"]  # kept
    reviews = db_session.scalars(select(QuarantineReview).order_by(QuarantineReview.id)).all()
    assert [(r.decision, r.reason) for r in reviews] == [
        ("release", "回访核实为真实顾客"), ("confirm", "申诉材料属实")]
    actions = db_session.scalars(select(AuditEntry.action).where(
        AuditEntry.entity == "response")).all()
    assert sorted(actions) == ["confirm", "release"]


def test_recompute_keeps_reviews_and_other_flags(runner, responses, db_session):
    link, rows = responses
    db_session.add(QuarantineReview(response_id=rows[1].id, decision="release",
                                    reason="核实", flags=["speeder"]))
    db_session.get(Response, rows[1].id).quarantined = False
    db_session.commit()
    wave = db_session.get(Wave, link.wave_id)
    result = runner.invoke(args=["quality", "recompute", "--wave", wave.code])
    assert result.exit_code == 0, result.output
    assert "speeder: 1" in result.output and "straight_line: 1" in result.output
    db_session.rollback()
    db_session.expire_all()
    clean, fast, appealed = (db_session.get(Response, r.id) for r in rows)
    assert clean.flags == [] and not clean.quarantined
    assert fast.flags == ["speeder"] and not fast.quarantined  # released stays released
    assert appealed.flags == ["appeal_upheld", "straight_line"] and appealed.quarantined
    assert runner.invoke(args=["quality", "recompute", "--wave", "nope"]).exit_code != 0


def test_bulletin_counts_quarantined_responses_by_reason(responses, db_session):
    link, rows = responses
    counts = intake(db_session, db_session.get(Wave, link.wave_id))
    assert counts == {"received": 3, "quarantined": 2,
                      "reasons": {"appeal_upheld": 1, "speeder": 1}}
    shown = _intake(counts)
    assert [r["reason"] for r in shown["reasons"]] == ["企业申诉成立", "答题过快"]


def test_results_show_indices_with_and_without_quarantined(client, make_user, demo_app):  # noqa: F811
    from survey import db as survey_db
    from survey.ops.compute import compute, store_result, with_quarantined

    session = survey_db.session_scope(demo_app, write=True)
    try:
        wave = session.scalar(select(Wave).where(Wave.code == "2026Q3"))
        # The shared demo may hold quarantined answers (a computation refreshes the quality
        # flags): set them aside so that exactly the 40 victims are quarantined.
        earlier = session.scalars(select(Response).where(
            Response.wave_id == wave.id, Response.quarantined.is_(True))).all()
        saved = {r.id: list(r.flags or []) for r in earlier}
        for r in earlier:
            r.quarantined = False
        victims = session.scalars(select(Response).where(Response.wave_id == wave.id)
                                  .order_by(Response.id).limit(40)).all()
        for r in victims:
            r.quarantined, r.flags = True, ["burst"]
        session.flush()
        result = compute(session, wave)
        row = store_result(session, wave, result)
        row.with_quarantined = with_quarantined(session, wave, result)
        session.commit()
        compared = {(c["level"], c["unit"]): c for c in row.with_quarantined}
        district = compared["district", str(result.tables["district"]["unit"].iloc[0])]
        assert district["n_with"] - district["n_without"] == 40
        demo_client = demo_app.test_client()
        user = make_user_in(session, "analyst")
        session.commit()  # end the write transaction before the app logs the user in
        login(demo_client, user)
        page = demo_client.get(f"/console/waves/{wave.id}/results").get_data(as_text=True)
        assert "计入隔离答卷" in page and f"{district['without']:.1f}" in page
    finally:
        for r in victims:
            r.quarantined, r.flags = False, []
        for r in earlier:
            r.quarantined, r.flags = True, saved[r.id]
        session.commit()
        session.close()


def make_user_in(session, role: str) -> str:
    from survey.model import User
    from survey.ops.accounts import hash_password
    from tests.test_console import PASSWORD

    email = f"{role}-q@bureau.test"
    if session.scalar(select(User).where(User.email == email)) is None:
        session.add(User(email=email, name=role, role=role, password_hash=hash_password(PASSWORD)))
        session.commit()
    return email


def test_answers_far_outside_opening_hours_are_flagged(app, client, make_link, db_session):
    from survey.model import Enterprise
    from tests.conftest import csrf_and_key
    from tests.test_survey import full_answers

    link = make_link()
    db_session.get(Enterprise, link.enterprise_id).opening_hours = "09:00-21:00"
    db_session.commit()
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    flags = []
    for utc_hour in (19, 4):  # 03:00 and 12:00 in Shanghai
        clock = today + dt.timedelta(hours=utc_hour)
        app.config["CLOCK_NOW"] = lambda clock=clock: clock
        client.delete_cookie("manyi_device", path="/s/")
        fields = csrf_and_key(client.get(f"/s/{link.token}").get_data(as_text=True))
        app.config["CLOCK_NOW"] = lambda clock=clock: clock + dt.timedelta(minutes=3)
        answers = full_answers(value="7") | {"img_reputation": "9"}
        assert client.post(f"/s/{link.token}", data=fields | answers,
                           environ_base={"REMOTE_ADDR": f"10.9.9.{utc_hour}"}).status_code == 303
        db_session.rollback()
        db_session.expire_all()
        flags.append(db_session.scalars(select(Response.flags).order_by(Response.id.desc())).first())
    assert flags == [["off_hours"], []]


@pytest.mark.parametrize(("hours", "saved"), [("09:00-21:00", "09:00-21:00"), ("", None),
                                              ("9点到21点", "error"), ("25:00-26:00", "error")])
def test_opening_hours_in_the_enterprise_form(client, make_link, make_user, db_session,  # noqa: F811
                                              hours, saved):
    from survey.model import Enterprise

    link = make_link()
    ent = db_session.get(Enterprise, link.enterprise_id)
    login(client, make_user("admin").email)
    url = f"/console/enterprises/{ent.id}"
    reply = client.post(url, data={"csrf_token": csrf(client, url), "name": ent.name,
                                   "uscc": ent.uscc, "sector_id": str(ent.sector_id),
                                   "street": ent.street, "opening_hours": hours, "active": "y"})
    db_session.rollback()
    db_session.expire_all()
    stored = db_session.get(Enterprise, ent.id).opening_hours
    if saved == "error":
        assert reply.status_code == 200 and "HH:MM-HH:MM" in reply.get_data(as_text=True)
        assert stored is None
    else:
        assert reply.status_code in (302, 303) and stored == saved


def test_computing_a_wave_first_refreshes_the_cross_response_checks(runner, responses,
                                                                     db_session):
    """Near-identical comments are only seen across responses: `flask compute` finds them."""
    link, rows = responses
    import instruments
    from survey.model import Answer
    codes = [i.code for i in instruments.get("catering").items if i.scale.kind == "rating"]
    now = dt.datetime.now(dt.UTC)
    copied = []
    texts = ["这家店的菜太难吃了服务员态度极差千万别来",
             "这家店的菜太难吃了，服务员态度极差，千万别来！",
             "这家店的菜太难吃了服务员态度极差千万别来啊"]
    for n, text in enumerate(texts):
        row = Response(link_id=link.id, enterprise_id=link.enterprise_id, wave_id=link.wave_id,
                       instrument_code="catering", instrument_version=1,
                       started_at=now - dt.timedelta(seconds=200), submitted_at=now,
                       idempotency_key=f"copy{n}", ip_hash=f"net{n}", device_hash=f"dev{n}",
                       flags=[], quarantined=False, comment=text)
        db_session.add(row)
        db_session.flush()
        db_session.add_all(Answer(response_id=row.id, item_code=c, value=1 + (k + n) % 4)
                           for k, c in enumerate(codes))
        copied.append(row.id)
    db_session.commit()
    wave = db_session.get(Wave, link.wave_id)
    runner.invoke(args=["compute", "--wave", wave.code])  # too few answers to compute: fine
    db_session.rollback()
    db_session.expire_all()
    for rid in copied:
        row = db_session.get(Response, rid)
        assert "near_duplicate_comment" in row.flags and row.quarantined
    assert not db_session.get(Response, rows[0].id).quarantined
