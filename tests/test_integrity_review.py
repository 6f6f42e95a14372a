"""Analysts' side of the integrity checks: releasing or confirming surge holds, and the
"under review" rule in the console, the portal and the bulletin."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import delete, select

from analysis.quality import COPIED_LINK, SHIFTED_SURGE, SURGE
from survey import clock
from survey import db as survey_db
from survey.model import AuditEntry, ComputedResult, IndexReview, QuarantineReview, Response, Wave
from survey.ops import integrity, quarantine, under_review
from survey.ops.bulletin_context import context_of, snapshot_meta
from survey.ops.compute import compute_and_store, parsed
from survey.ops.links import rotate_link
from tests.portal_support import demo_portal, portal_login  # noqa: F401
from tests.test_console import csrf, login, make_user  # noqa: F401
from tests.test_quarantine import make_user_in, responses  # noqa: F401


def test_surge_holds_are_released_or_confirmed_per_enterprise(client, responses, make_user,  # noqa: F811
                                                              db_session):
    link, rows = responses
    clean = rows[0]
    quarantine.set_integrity_flags(clean, [SURGE])
    db_session.commit()
    assert clean.quarantined and clean.flags == [SURGE]
    login(client, make_user("analyst").email)
    wave = db_session.get(Wave, link.wave_id)
    token = csrf(client, f"/console/waves/{wave.id}/integrity")
    url = f"/console/waves/{wave.id}/integrity/{link.enterprise_id}/release"
    assert client.post(url, data={"csrf_token": token}).status_code == 303  # no reason
    assert not db_session.scalars(select(QuarantineReview)).all()
    client.post(url, data={"csrf_token": token, "reason": "促销日，店内核实"})
    db_session.commit()
    db_session.expire_all()
    assert not db_session.get(Response, clean.id).quarantined
    review = db_session.scalars(select(QuarantineReview)).one()
    assert (review.decision, review.flags) == ("release", [SURGE])
    assert db_session.scalars(select(AuditEntry.action).where(
        AuditEntry.entity == "response")).all() == ["release"]
    # The same surge found again keeps the release; a confirmation keeps it held.
    again = integrity.Screening(pd.DataFrame(), None, {clean.id: [SURGE]})
    integrity.store(db_session, wave, again)
    assert not db_session.get(Response, clean.id).quarantined
    client.post(url.replace("release", "confirm"), data={"csrf_token": token, "reason": "复核"})
    db_session.commit()
    db_session.expire_all()
    assert db_session.get(Response, clean.id).quarantined


def test_shifted_surge_holds_are_listed_and_released_like_surges(
        client, responses, make_user, db_session):  # noqa: F811
    link, rows = responses
    held = rows[0]
    quarantine.set_integrity_flags(held, [SHIFTED_SURGE])
    db_session.commit()
    assert held.quarantined and held.flags == [SHIFTED_SURGE]
    login(client, make_user("analyst").email)
    wave = db_session.get(Wave, link.wave_id)
    listing = client.get("/console/quarantine").get_data(as_text=True)
    assert "多日到达偏多且评分偏移" in listing or "Surplus over days" in listing
    token = csrf(client, f"/console/waves/{wave.id}/integrity")
    url = f"/console/waves/{wave.id}/integrity/{link.enterprise_id}/release"
    client.post(url, data={"csrf_token": token, "reason": "店内核实"})
    db_session.commit()
    db_session.expire_all()
    assert not db_session.get(Response, held.id).quarantined
    review = db_session.scalars(select(QuarantineReview)).one()
    assert (review.decision, review.flags) == ("release", [SHIFTED_SURGE])


def test_integrity_codes_are_replaced_and_other_flags_kept(responses, db_session):  # noqa: F811
    _link, rows = responses
    speeder = rows[1]
    quarantine.set_integrity_flags(speeder, [SURGE])
    assert speeder.flags == ["speeder", SURGE]
    quarantine.set_integrity_flags(speeder, [])
    assert speeder.flags == ["speeder"] and speeder.quarantined
    with pytest.raises(ValueError, match="not integrity"):
        quarantine.set_integrity_flags(speeder, ["speeder"])


def test_off_hours_answers_just_after_a_reprint_are_flagged_copied_link(app, make_link,
                                                                       db_session):
    copied, plain = make_link(), make_link(wave=None)
    for link in (copied, plain):
        link.enterprise.opening_hours = "09:00-18:00"
    zone = clock.zone_named("Asia/Shanghai")
    night = dt.datetime.combine(dt.date.today() - dt.timedelta(days=1), dt.time(1), zone)
    with app.app_context():
        app.config["CLOCK_NOW"] = night.isoformat()
        rotate_link(copied)
    for n, link in enumerate((copied, plain)):
        # 02:00 local, far outside the opening hours; stored in UTC as the app stores it
        at = (night + dt.timedelta(hours=1)).astimezone(dt.UTC)
        db_session.add(Response(link_id=link.id, enterprise_id=link.enterprise_id,
                                wave_id=link.wave_id, instrument_code="catering",
                                instrument_version=1, started_at=at - dt.timedelta(minutes=2),
                                submitted_at=at, idempotency_key=f"night{n}", flags=[]))
    db_session.commit()
    wave = db_session.get(Wave, copied.wave_id)
    screening = integrity.screen(db_session, wave, zone, night + dt.timedelta(hours=2))
    counts = integrity.store(db_session, wave, screening)
    db_session.commit()
    flags = {r.link_id: r.flags for r in db_session.scalars(select(Response))}
    assert flags == {copied.id: [COPIED_LINK], plain.id: []}
    assert counts["copied_link"] == 1


@pytest.fixture
def under_review_wave(demo_app, demo_portal):  # noqa: F811
    """The demo's 2026Q4 computed, with the portal's enterprise and a ranked one marked as
    jumping without corroboration in the stored integrity record; cleaned up after."""
    session = survey_db.session_scope(demo_app, write=True)
    wave = session.scalars(select(Wave).where(Wave.code == "2026Q4")).one()
    with demo_app.app_context():
        row, result = compute_and_store(session, wave)
    ent = result.tables["enterprises"]
    ranked = int(ent[ent["published"] & ent["league_position"].notna()].iloc[0]["unit"])
    marked = sorted({ranked, demo_portal["enterprise_id"]})
    row.integrity = dict(row.integrity, jumps=[
        {"enterprise_id": e, "jump": 12.5, "z": 4.1, "under_review": True, "name": f"e{e}"}
        for e in marked])
    session.commit()
    try:
        yield {"session": session, "wave": wave, "row": row, "ranked": ranked,
               "portal": demo_portal["enterprise_id"]}
    finally:
        session.rollback()
        session.execute(delete(IndexReview).where(IndexReview.wave_id == wave.id))
        session.execute(delete(AuditEntry).where(AuditEntry.action.like("index_%")))
        session.execute(delete(ComputedResult).where(ComputedResult.id == row.id))
        session.commit()
        session.close()


def _ranked_names(demo_app, session, wave, row) -> tuple[set[str], dict]:
    with demo_app.app_context():
        meta = snapshot_meta(session, wave)
    ctx = context_of(parsed(row.result_json), None, meta, date=dt.date(2026, 11, 27),
                     draft=True)
    return {r["name"] for g in ctx["ranking"]["groups"] for r in g["rows"]}, ctx


def test_bulletin_does_not_rank_an_enterprise_under_review_until_accepted(demo_app,
                                                                         under_review_wave):
    s, wave, row = (under_review_wave[k] for k in ("session", "wave", "row"))
    ent = parsed(row.result_json).tables["enterprises"].set_index("unit")
    name = str(ent.loc[under_review_wave["ranked"], "name"])
    names, ctx = _ranked_names(demo_app, s, wave, row)
    assert name not in names and ctx["ranking"]["under_review"] >= 1
    assert all(g["rows"][0]["position"] == 1 for g in ctx["ranking"]["groups"]
               if g["rows"])  # no gap (a group may hold only tied, unranked units)
    assert name in ctx["integrity"]["under_review"]
    assert "刷票筛查" in ctx["integrity"]["paragraph"]
    under_review.decide(s, wave, under_review_wave["ranked"], "keep", "待核实", None)
    s.commit()
    assert name not in _ranked_names(demo_app, s, wave, row)[0]
    under_review.decide(s, wave, under_review_wave["ranked"], "accept", "实地核查属实", None)
    s.commit()
    assert name in _ranked_names(demo_app, s, wave, row)[0]
    assert [a.action for a in s.scalars(select(AuditEntry).where(
        AuditEntry.action.like("index_%")).order_by(AuditEntry.id))] == ["index_keep",
                                                                          "index_accept"]


def test_console_and_portal_show_under_review_and_record_the_decision(demo_app, demo_portal,  # noqa: F811
                                                                      under_review_wave):
    s, wave = under_review_wave["session"], under_review_wave["wave"]
    portal_client = demo_app.test_client()
    portal_login(portal_client, demo_portal["email"])
    page = portal_client.get(f"/portal/?wave={wave.id}").get_data(as_text=True)
    assert 'id="under-review"' in page
    console = demo_app.test_client()
    email = make_user_in(s, "analyst")
    s.commit()  # the fixture's session writes: end its transaction before the app writes
    row = under_review_wave["row"]
    window = {"days": 7, "observed": 31, "expected": 9.5, "p_count": 2e-6, "difference": 14.2,
              "p_answers": 3e-7, "p": 4e-4, "held": 22, "start": "2026-10-05T00:00:00+08:00",
              "end": "2026-10-12T00:00:00+08:00"}
    row.integrity = dict(row.integrity, surges={"tests": 9, "enterprises": [
        {"enterprise_id": under_review_wave["ranked"], "name": "slowly stuffed", "held": 0,
         "held_shifted": 22, "responses": 60, "shift": None, "shifted": False, "windows": [],
         "shifted_windows": [window], "svg": ""}]},
        jumps=[j | {"halves": True, "independent_n": 3} for j in row.integrity["jumps"]])
    s.commit()
    login(console, email)
    path = f"/console/waves/{wave.id}/integrity"
    html = console.get(path).get_data(as_text=True)
    assert f"e{under_review_wave['portal']}" in html
    assert "slowly stuffed" in html and "+14.2" in html and "3.0e-07" in html
    assert "<td>3</td><td>是</td>" in html or "<td>3</td><td>yes</td>" in html  # the hint
    url = f"{path}/{under_review_wave['portal']}/accept"
    token = csrf(console, path)
    assert console.post(url, data={"csrf_token": token}).status_code == 303  # no reason
    s.commit()
    assert under_review_wave["portal"] in under_review.pending(s, wave)
    s.commit()  # the fixture's session writes: end its transaction before the app writes
    console.post(url, data={"csrf_token": token, "reason": "客流统计佐证"})
    s.commit()
    assert under_review_wave["portal"] not in under_review.pending(s, wave)
    decision = s.scalars(select(IndexReview).where(IndexReview.wave_id == wave.id)).one()
    assert (decision.decision, decision.reason) == ("accept", "客流统计佐证")
    page = portal_client.get(f"/portal/?wave={wave.id}").get_data(as_text=True)
    assert 'id="under-review"' not in page
