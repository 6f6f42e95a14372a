"""Console: instrument versions, the respondent's-eye preview, pinning a version to a wave."""

from __future__ import annotations

from sqlalchemy import select

import instruments
from survey.model import AuditEntry, Wave
from tests.test_console import csrf, login, make_user  # noqa: F401


def test_list_and_preview(client, make_user):  # noqa: F811
    assert client.get("/console/instruments").status_code == 302
    login(client, make_user("analyst").email)
    page = client.get("/console/instruments").get_data(as_text=True)
    assert "catering" in page and "finance" in page
    inst = instruments.get("catering")
    preview = client.get(f"/console/instruments/catering/{inst.version}").get_data(as_text=True)
    for item in inst.items:
        assert item.label.zh_CN in preview
    assert "disabled" in preview and 'action="#"' in preview
    assert client.get("/console/instruments/catering/99").status_code == 404


def test_enterprise_user_cannot_see_instruments(client, make_user, make_link):  # noqa: F811
    link = make_link()
    login(client, make_user("enterprise", enterprise_id=link.enterprise_id).email)
    assert client.get("/console/instruments").status_code == 403


def test_pin_a_version_for_a_draft_wave(client, make_user, make_wave, db_session):  # noqa: F811
    draft, running = make_wave("2027Q1", status="draft", days=(10, 90)), make_wave("2026Q4")
    login(client, make_user("admin").email)
    token = csrf(client, "/console/instruments")
    version = instruments.get("retail").version
    for wave, expected in ((draft, {"retail": version}), (running, {})):
        client.post(f"/console/waves/{wave.id}/instruments",
                    data={"code": "retail", "version": str(version), "csrf_token": token})
        db_session.rollback()
        db_session.expire_all()
        assert db_session.get(Wave, wave.id).instrument_versions == expected
    bad = client.post(f"/console/waves/{draft.id}/instruments",
                      data={"code": "retail", "version": "99", "csrf_token": token})
    assert bad.status_code == 303
    assert [e.action for e in db_session.scalars(select(AuditEntry))] == ["pin_instrument"]
