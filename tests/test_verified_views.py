"""Receipt codes and the field sample in the console, the portal and the bulletin."""

from __future__ import annotations

import csv
import re

import pytest
from sqlalchemy import select

from reports import annex
from survey import db as survey_db
from survey.keys import receipt_key
from survey.model import Enterprise, ReceiptBatch, ReceiptUse, Response, User, Wave
from survey.ops import receipt_codes
from survey.ops.accounts import hash_password
from survey.ops.compute import compute_and_store
from tests.portal_support import portal_login
from tests.test_console import PASSWORD, csrf, login, make_user  # noqa: F401


def test_admin_issues_codes_from_the_console_with_sheet_and_csv(
        app, client, make_link, make_user, db_session):  # noqa: F811
    link = make_link()
    ent = db_session.get(Enterprise, link.enterprise_id)
    login(client, make_user("admin").email)
    url = f"/console/waves/{link.wave_id}/receipts"
    reply = client.post(url, data={"csrf_token": csrf(client, url), "enterprise": ent.uscc,
                                   "count": "5"})
    assert reply.status_code == 302 and "/console/receipts/" in reply.headers["Location"]
    sheet = client.get(reply.headers["Location"]).get_data(as_text=True)
    printed = re.findall(r"<span>([0-9A-Z]{5}-[0-9A-Z]{5})</span>", sheet)
    assert len(printed) == 5
    batch = db_session.scalars(select(ReceiptBatch)).one()
    body = client.get(f"/console/receipts/{batch.id}.csv").get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(body.splitlines()))
    assert [r["code"] for r in rows] == printed
    key = receipt_key(app.config)
    assert all(receipt_codes.verify(key, c, ent.id, link.wave_id).ok for c in printed)
    overview = client.get(url).get_data(as_text=True)
    assert ent.name in overview and "0.0%" in overview


def test_console_issue_refuses_bad_input(client, make_link, make_user):  # noqa: F811
    link = make_link()
    login(client, make_user("admin").email)
    url = f"/console/waves/{link.wave_id}/receipts"
    for data in ({"enterprise": "nobody", "count": "5"}, {"enterprise": "1", "count": "0"}):
        reply = client.post(url, data={"csrf_token": csrf(client, url), **data},
                            follow_redirects=True)
        assert reply.status_code == 200
        assert "企业" in reply.get_data(as_text=True)


def test_analyst_sees_rates_but_cannot_issue_or_print(client, make_link, make_user,  # noqa: F811
                                                       db_session):
    link = make_link()
    login(client, make_user("analyst").email)
    url = f"/console/waves/{link.wave_id}/receipts"
    assert client.get(url).status_code == 200
    reply = client.post(url, data={"csrf_token": csrf(client, url),
                                   "enterprise": str(link.enterprise_id), "count": "5"})
    assert reply.status_code == 403
    assert db_session.scalars(select(ReceiptBatch)).all() == []
    assert client.get("/console/receipts/1").status_code == 403


@pytest.fixture(scope="module")
def computed(demo_app):
    """The demo's open wave computed through the one compute-and-store path."""
    session = survey_db.session_scope(demo_app, write=True)
    with demo_app.app_context():
        wave = session.scalars(select(Wave).where(Wave.status == "open")).one()
        _row, result = compute_and_store(session, wave)
        session.commit()
    wave_id = wave.id
    session.close()
    return wave_id, result


def test_demo_has_receipts_and_a_field_plan_with_interviews(demo):
    assert len(demo.scalars(select(ReceiptBatch)).all()) >= 4
    assert demo.scalars(select(ReceiptUse)).first() is not None
    field = demo.scalars(select(Response).where(Response.source == "field")).all()
    assert len(field) > 100 and all(r.field_assignment_id for r in field)


def test_result_holds_qr_verified_field_and_combined_indices(computed):
    _wave_id, result = computed
    sectors = result.tables["integration_sectors"]
    for column in ("qr", "field", "combined", "gap", "gap_low", "gap_high", "flag"):
        assert column in sectors.columns
    assert sectors["field"].notna().sum() >= 10 and sectors["verified"].notna().any()
    # QR-only vs field: both estimate the same demo truth, so gaps stay small.
    assert (sectors["gap"].dropna().abs() < 10).all()
    assert "solicitation" in result.tables and "receipt_rates" in result.tables


def test_console_results_show_the_samples_side_by_side(demo_app, computed):
    wave_id, _result = computed
    session = survey_db.session_scope(demo_app, write=True)
    if session.scalar(select(User).where(User.email == "analyst2@bureau.test")) is None:
        session.add(User(email="analyst2@bureau.test", name="a", role="analyst",
                         password_hash=hash_password(PASSWORD)))
        session.commit()
    session.close()
    client = demo_app.test_client()
    login(client, "analyst2@bureau.test")
    html = client.get(f"/console/waves/{wave_id}/results").get_data(as_text=True)
    section = html[html.index('id="integration"'):]
    assert "扫码" in section and "现场" in section and "综合" in section and "收据核验" in section
    receipts_page = client.get(f"/console/waves/{wave_id}/receipts").get_data(as_text=True)
    assert "使用率" in receipts_page and "%" in receipts_page


def test_bulletin_quality_section_has_the_gap_and_the_method(computed):
    _wave_id, result = computed
    section = annex.data_quality(result)["integration"]
    assert section["rows"] and "GREG" in section["method"] and "Kim" in section["method"]
    assert section["receipts"]["issued"] != "—"


def test_portal_shows_the_enterprise_its_verified_share(demo_app, demo, computed):
    wave_id, _result = computed
    use = demo.scalars(select(ReceiptUse)).first()
    ent_id = demo.get(ReceiptBatch, use.batch_id).enterprise_id
    email = f"verified{ent_id}@ent.test"
    session = survey_db.session_scope(demo_app, write=True)
    if session.scalar(select(User).where(User.email == email)) is None:
        session.add(User(email=email, name="e", role="enterprise", enterprise_id=ent_id,
                         password_hash=hash_password(PASSWORD)))
        session.commit()
    n = session.scalar(select(Response.id).where(Response.wave_id == wave_id,
                                                 Response.enterprise_id == ent_id).limit(1))
    verified = len(session.scalars(select(Response.id).where(
        Response.wave_id == wave_id, Response.enterprise_id == ent_id,
        Response.verified.is_(True))).all())
    session.close()
    assert n is not None
    client = demo_app.test_client()
    portal_login(client, email)
    html = client.get(f"/portal/?wave={wave_id}").get_data(as_text=True)
    section = html[html.index('id="verified"'):]
    assert f"有 {verified} 份附有效收据码" in section and "已使用" in section


def test_gap_flags_reach_the_bulletin_only_after_review():
    import pandas as pd

    from analysis import WaveResult
    from reports.integration_annex import integration_section

    table = pd.DataFrame({"unit": ["a", "b"], "qr": [88.0, 80.0], "verified": [None, None],
                          "field": [80.0, 79.5], "combined": [81.0, 79.8], "gap": [8.0, 0.5],
                          "gap_low": [3.0, -2.0], "gap_high": [13.0, 3.0], "flag": [True, False]})
    sectors = pd.DataFrame({"unit": ["a", "b"], "name_zh": ["甲行业", "乙行业"]})
    result = WaveResult({"integration_sectors": table, "sectors": sectors}, settings={})
    before = integration_section(result, None)
    assert before["flags"] == [] and before["unreviewed"] == 1
    after = integration_section(result, ["a"])
    assert after["flags"] == ["甲行业"] and after["unreviewed"] == 0
    assert after["rows"][0]["gap"] == "+8.0" and after["rows"][0]["gap_ci"] == "[3.0, 13.0]"


def test_gap_review_keeps_only_flagged_sectors_and_is_audited(demo_app, demo, computed):
    from survey.model import AuditEntry, ComputedResult
    from survey.ops.compute import latest_result

    wave_id, result = computed
    flagged = {str(u) for u, f in zip(result.tables["integration_sectors"]["unit"],
                                      result.tables["integration_sectors"]["flag"], strict=True)
               if f is True}
    client = demo_app.test_client()
    login(client, "analyst2@bureau.test")
    url = f"/console/waves/{wave_id}/results"
    reply = client.post(f"/console/waves/{wave_id}/gap-review",
                        data={"csrf_token": csrf(client, url), "unit": ["catering", *flagged]})
    assert reply.status_code == 303
    demo.commit()
    demo.expire_all()
    row = latest_result(demo, demo.get(Wave, wave_id))
    assert isinstance(row, ComputedResult) and set(row.gap_review) == flagged
    assert demo.scalars(select(AuditEntry).where(AuditEntry.entity == "gap_flags")).first()


def test_bulletin_html_prints_the_samples_and_the_method(demo_app, demo, computed):
    import datetime as dt

    from reports.render import bulletin_html
    from survey.ops.bulletin_context import context_of, snapshot_meta

    wave_id, result = computed
    with demo_app.app_context():
        meta = snapshot_meta(demo, demo.get(Wave, wave_id))
    html = bulletin_html(context_of(result, None, meta, date=dt.date(2026, 11, 26), draft=True))
    section = html[html.index('id="field-sample"'):]
    assert "收据码" in section and "现场" in section and "GREG" in section
