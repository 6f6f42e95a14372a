"""Console: waves, links and QR codes, posters, the collection monitor."""

from __future__ import annotations

import io
import subprocess
import zipfile

import pytest
from sqlalchemy import select

from survey.model import AuditEntry, CollectionLink, Wave
from tests.test_console import csrf, login, make_user  # noqa: F401  (fixture)


@pytest.fixture
def admin(client, make_user):  # noqa: F811
    login(client, make_user("admin").email)
    return client


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()


def urls(link, wave):
    return [
        ("GET", "/console/waves"), ("GET", f"/console/waves/{wave.id}/links"),
        ("GET", f"/console/waves/{wave.id}/monitor"),
        ("GET", f"/console/links/{link.id}/qr.svg"), ("GET", f"/console/links/{link.id}/qr.png"),
        ("GET", f"/console/links/{link.id}/poster.pdf"),
        ("GET", f"/console/waves/{wave.id}/posters.zip"),
        ("GET", "/console/waves/new"), ("GET", f"/console/waves/{wave.id}/settings"),
        ("POST", f"/console/waves/{wave.id}/close"), ("POST", f"/console/links/{link.id}/retire"),
    ]


WRITES = {"/console/waves/new", "settings", "/close", "/retire"}


def is_write(url: str) -> bool:
    return any(w in url for w in WRITES)


def test_role_matrix(client, make_user, make_link, db_session):  # noqa: F811
    link = make_link()
    wave = link.wave
    for method, url in urls(link, wave):
        reply = client.open(url, method=method)
        assert reply.status_code in (302, 400), (url, reply.status_code)  # login or CSRF
    login(client, make_user("analyst").email)
    for method, url in urls(link, wave):
        if method == "GET":
            assert client.get(url).status_code == (403 if is_write(url) else 200), url
        else:
            token = csrf(client, "/console/")
            assert client.post(url, data={"csrf_token": token}).status_code == 403, url


def test_enterprise_user_gets_403_on_collection_pages(client, make_user, make_link):  # noqa: F811
    link = make_link()
    login(client, make_user("enterprise", enterprise_id=link.enterprise_id).email)
    for method, url in urls(link, link.wave):
        if method == "GET":
            assert client.get(url).status_code == 403, url


def test_poster_carries_the_link(admin, make_link):
    link = make_link(location="一楼大厅")
    reply = admin.get(f"/console/links/{link.id}/poster.pdf")
    assert reply.status_code == 200 and reply.mimetype == "application/pdf"
    text = pdf_text(reply.data)
    assert f"http://survey.test/s/{link.token}" in text.replace("\n", "").replace(" ", "")
    assert "扫码评价" in text and "一楼大厅" in text and link.enterprise.name in text


def test_posters_zip_has_one_pdf_per_active_link(admin, make_link, db_session):
    links = [make_link() for _ in range(3)]
    links[0].active = False
    db_session.commit()
    reply = admin.get(f"/console/waves/{links[0].wave_id}/posters.zip")
    archive = zipfile.ZipFile(io.BytesIO(reply.data))
    names = sorted(archive.namelist())
    assert names == sorted(f"poster-{x.id}.pdf" for x in links[1:])
    for x in links[1:]:
        assert x.token in pdf_text(archive.read(f"poster-{x.id}.pdf")).replace("\n", "")


def test_qr_downloads(admin, make_link):
    link = make_link()
    svg = admin.get(f"/console/links/{link.id}/qr.svg")
    png = admin.get(f"/console/links/{link.id}/qr.png")
    assert svg.mimetype == "image/svg+xml" and svg.data.startswith(b"<svg")
    assert png.mimetype == "image/png" and png.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_create_open_close_wave_is_audited(admin, db_session):
    data = {"code": "2027Q1", "opens_on": "2027-01-01", "closes_on": "2027-03-31",
            "csrf_token": csrf(admin, "/console/waves/new")}
    assert admin.post("/console/waves/new", data=data).status_code == 302
    wave = db_session.scalars(select(Wave).where(Wave.code == "2027Q1")).one()
    assert wave.status == "draft"
    token = csrf(admin, "/console/waves")
    refused = admin.post(f"/console/waves/{wave.id}/close", data={"csrf_token": token})
    assert refused.status_code == 303
    db_session.rollback()
    db_session.expire_all()
    assert db_session.get(Wave, wave.id).status == "draft"  # a draft cannot be closed
    admin.post(f"/console/waves/{wave.id}/open", data={"csrf_token": token})
    admin.post(f"/console/waves/{wave.id}/close", data={"csrf_token": token})
    db_session.rollback()
    db_session.expire_all()
    assert db_session.get(Wave, wave.id).status == "closed"
    actions = [e.action for e in db_session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["create", "open", "close"]


@pytest.mark.parametrize(
    "data",
    [{"code": "bad code!", "opens_on": "2027-01-01", "closes_on": "2027-03-31"},
     {"code": "2027Q2", "opens_on": "2027-04-01", "closes_on": "2027-03-31"},
     {"code": "2027Q3", "opens_on": "not a date", "closes_on": "2027-03-31"}],
)
def test_bad_wave_is_refused(admin, db_session, data):
    data = data | {"csrf_token": csrf(admin, "/console/waves/new")}
    assert admin.post("/console/waves/new", data=data).status_code == 200
    assert db_session.scalars(select(Wave)).first() is None


def test_duplicate_wave_code_is_refused(admin, make_wave, db_session):
    make_wave("2026Q4")
    data = {"code": "2026Q4", "opens_on": "2027-01-01", "closes_on": "2027-03-31",
            "csrf_token": csrf(admin, "/console/waves/new")}
    reply = admin.post("/console/waves/new", data=data)
    assert reply.status_code == 200
    assert len(db_session.scalars(select(Wave)).all()) == 1


def test_settings_and_margins_are_validated(admin, make_wave, db_session):
    wave = make_wave()
    url = f"/console/waves/{wave.id}/settings"
    bad = [
        {"analysis_settings": "{not json", "margins": "{}"},
        {"analysis_settings": '{"design": "guess"}', "margins": "{}"},
        {"analysis_settings": "{}", "margins": '{"catering": {"sex": {"male": -1}}}'},
        {"analysis_settings": "[]", "margins": "{}"},
    ]
    for data in bad:
        assert admin.post(url, data=data | {"csrf_token": csrf(admin, url)}).status_code == 200
    for quotas in ('{"sectors": {"catering": -1}}', '{"colours": {}}', '{"enterprises": 5}',
                   '{"enterprise_default": 2.5}'):
        data = {"analysis_settings": "{}", "margins": "{}", "quotas": quotas}
        assert admin.post(url, data=data | {"csrf_token": csrf(admin, url)}).status_code == 200
    good = {"analysis_settings": '{"design": "census", "raking": false}',
            "margins": '{"catering": {"sex": {"male": 0.5, "female": 0.5}}}',
            "quotas": '{"sectors": {"catering": 40}, "enterprise_default": 4}'}
    assert admin.post(url, data=good | {"csrf_token": csrf(admin, url)}).status_code == 302
    db_session.rollback()
    db_session.expire_all()
    wave = db_session.get(Wave, wave.id)
    assert wave.analysis_settings == {"design": "census", "raking": False}
    assert wave.margins["catering"]["sex"]["male"] == 0.5
    assert wave.quotas == {"sectors": {"catering": 40}, "enterprise_default": 4}


def test_add_and_retire_links(admin, make_link, db_session, client):
    link = make_link()
    url = f"/console/waves/{link.wave_id}/links"
    reply = admin.post(url, data={"enterprise_id": str(link.enterprise_id), "location": "二楼",
                                  "csrf_token": csrf(admin, url)})
    assert reply.status_code == 303
    new = db_session.scalars(select(CollectionLink).where(CollectionLink.location == "二楼")).one()
    assert admin.get(f"/s/{new.token}").status_code == 200
    admin.post(f"/console/links/{new.id}/retire", data={"csrf_token": csrf(admin, url)})
    assert admin.get(f"/s/{new.token}").status_code == 404
    bad = admin.post(url, data={"enterprise_id": "999999", "csrf_token": csrf(admin, url)})
    assert bad.status_code == 303
    assert len(db_session.scalars(select(CollectionLink)).all()) == 2


def test_monitor_counts_responses(admin, make_link, db_session):
    from tests.conftest import csrf_and_key
    from tests.test_survey import full_answers

    link = make_link()
    for _ in range(2):
        admin.delete_cookie("manyi_device", path="/s/")  # two phones
        fields = csrf_and_key(admin.get(f"/s/{link.token}").get_data(as_text=True))
        admin.post(f"/s/{link.token}", data=fields | full_answers())
    link.wave.quotas = {"enterprise_default": 4, "sectors": {"catering": 8}}
    db_session.commit()
    html = admin.get(f"/console/waves/{link.wave_id}/monitor").get_data(as_text=True)
    row = html[html.index(link.enterprise.name):]
    assert '<td class="num">2</td><td class="num">2</td><td class="num">4</td>' in row
    assert "50%" in row and "25%" in html  # enterprise 2 of 4, sector 2 of 8
