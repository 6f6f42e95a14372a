"""Dwelling codes of housing projects: issued per dwelling, required on the survey page,
one response per dwelling and wave even under a race, whatever the device."""

from __future__ import annotations

import csv
import io
import threading

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from survey.db import get_writer
from survey.keys import receipt_key
from survey.model import DwellingUse, Enterprise, ReceiptBatch, ReceiptUse, Response, Wave
from survey.ops import dwellings, receipt_codes, receipts
from survey.ops.submission import DWELLING_USED, STORED, Receipt, Submission, store
from tests.test_console import csrf, login, make_user  # noqa: F401  (make_user: a fixture)
from tests.test_survey import full_answers, open_form


@pytest.fixture
def project_link(make_link, db_session):
    """A link to a housing project of 6 dwellings (its sector uses the catering instrument)."""
    link = make_link()
    project = db_session.get(Enterprise, link.enterprise_id)
    project.kind, project.uscc, project.dwellings = "housing_project", None, 6
    db_session.commit()
    return link


def issue(app, db_session, link, labels=None):
    """{label: canonical code} of a fresh dwelling batch for the link's project and wave."""
    project = db_session.get(Enterprise, link.enterprise_id)
    wave = db_session.get(Wave, link.wave_id)
    issued = dwellings.issue(db_session, receipt_key(app.config), project, wave, labels)
    db_session.commit()
    codes = [c for _b, batch in issued.batches for c in batch]
    return dict(zip(issued.dwellings(), codes, strict=True))


def submit(client, link, code):
    data = open_form(client, link.token) | full_answers() | {"c": code}
    return client.post(f"/s/{link.token}", data=data)


def stored(db_session):
    db_session.rollback()
    return db_session.scalars(select(Response).order_by(Response.id)).all()


def test_page_of_a_housing_project_asks_for_the_dwelling_code(client, project_link):
    page = client.get(f"/s/{project_link.token}").get_data(as_text=True)
    assert "住户码" in page and "收据码（选填）" not in page


def test_valid_dwelling_code_stores_one_verified_response(app, client, project_link,
                                                          db_session):
    codes = issue(app, db_session, project_link, ["3-2-501", "3-2-502"])
    reply = submit(client, project_link, receipt_codes.format_code(codes["3-2-501"]))
    assert reply.status_code == 303 and reply.headers["Location"].endswith("?r=dwelling")
    assert "住户码" in client.get(reply.headers["Location"]).get_data(as_text=True)
    [row] = stored(db_session)
    assert row.verified and row.client_hash is None and row.device_hash is None
    use = db_session.scalars(select(DwellingUse)).one()
    assert (use.label, use.response_id, use.wave_id) == ("3-2-501", row.id, project_link.wave_id)


@pytest.mark.parametrize(("code", "message"), [
    ("", "请输入住户码"),
    ("0000000000", "住户码无效"),
    ("12345", "住户码格式不正确"),
])
def test_missing_or_bad_dwelling_code_stores_nothing(app, client, project_link, db_session,
                                                     code, message):
    issue(app, db_session, project_link)
    reply = submit(client, project_link, code)
    assert reply.status_code == 400
    assert message in reply.get_data(as_text=True)
    assert stored(db_session) == []


def test_used_dwelling_code_is_refused_and_nothing_more_is_stored(app, project_link,
                                                                  db_session):
    code = issue(app, db_session, project_link)["1"]
    assert submit(app.test_client(), project_link, code).status_code == 303
    reply = submit(app.test_client(), project_link, code)
    assert reply.status_code == 409 and "每户每期只能评价一次" in reply.get_data(as_text=True)
    assert len(stored(db_session)) == 1


def test_second_code_of_the_same_dwelling_is_refused(app, client, project_link, db_session):
    """A reissued batch gives dwelling 2 a second code: it still answers once per wave."""
    first = issue(app, db_session, project_link)["2"]
    second = issue(app, db_session, project_link)["2"]
    assert submit(client, project_link, first).status_code == 303
    assert submit(app.test_client(), project_link, second).status_code == 409
    assert len(stored(db_session)) == 1


def test_code_of_another_project_is_foreign(app, client, project_link, make_link, db_session):
    other = make_link()
    project = db_session.get(Enterprise, other.enterprise_id)
    project.kind, project.uscc, project.dwellings = "housing_project", None, 2
    db_session.commit()
    code = issue(app, db_session, other)["1"]
    reply = submit(client, project_link, code)
    assert reply.status_code == 400 and "不属于本楼盘" in reply.get_data(as_text=True)
    assert stored(db_session) == []


def test_plain_receipt_code_is_no_dwelling_code(app, client, project_link, make_link,
                                                db_session):
    """Plain receipt codes are refused for a housing project, and not accepted as dwelling
    codes on its page."""
    project = db_session.get(Enterprise, project_link.enterprise_id)
    wave = db_session.get(Wave, project_link.wave_id)
    with pytest.raises(ValueError, match="dwelling codes"):
        receipts.issue(db_session, receipt_key(app.config), project, wave, 3)
    db_session.rollback()
    project = db_session.get(Enterprise, project_link.enterprise_id)
    project.kind = "enterprise"
    db_session.commit()
    wave = db_session.get(Wave, project_link.wave_id)
    code = receipts.issue(db_session, receipt_key(app.config), project, wave, 1).batches[0][1][0]
    project.kind = "housing_project"
    db_session.commit()
    reply = submit(client, project_link, code)
    assert reply.status_code == 400 and "住户码无效" in reply.get_data(as_text=True)
    assert stored(db_session) == []


def test_one_phone_may_answer_for_two_dwellings(app, client, project_link, db_session):
    codes = issue(app, db_session, project_link)
    assert submit(client, project_link, codes["1"]).status_code == 303
    assert submit(client, project_link, codes["2"]).status_code == 303
    assert len(stored(db_session)) == 2


def test_the_database_refuses_a_second_response_for_a_dwelling(app, make_link, db_session):
    link = make_link()
    rows = []
    for key in ("a", "b"):
        response = Response(link_id=link.id, enterprise_id=link.enterprise_id,
                            wave_id=link.wave_id, instrument_code="catering",
                            instrument_version=1, idempotency_key=key, locale="zh_CN")
        db_session.add(response)
        rows.append(response)
    db_session.flush()
    values = dict(enterprise_id=link.enterprise_id, wave_id=link.wave_id, label="1-101")
    db_session.execute(insert(DwellingUse).values(**values, response_id=rows[0].id))
    with pytest.raises(IntegrityError):
        db_session.execute(insert(DwellingUse).values(**values, response_id=rows[1].id))
    db_session.rollback()


def test_race_of_two_codes_for_one_dwelling_stores_one_response(app, project_link,
                                                                db_session):
    """Two threads store responses for dwelling 5 with two different codes at once."""
    codes = [issue(app, db_session, project_link)["5"] for _ in range(2)]
    engine = get_writer(app)
    verdicts = [dwellings.check(engine, receipt_key(app.config), c, project_link.enterprise_id,
                                project_link.wave_id) for c in codes]
    assert all(v.ok and v.label == "5" for v in verdicts)
    subs = [Submission(key=f"race{i}", started_at=None, instrument_code="catering",
                       instrument_version=1, answers={}, profile={}, comment="",
                       wants_complaint=False, locale="zh_CN", ip_hash=None, device_hash=None,
                       receipt=_claim(v), dwelling=v.label) for i, v in enumerate(verdicts)]
    outcomes, barrier = [], threading.Barrier(2)

    def run(sub):
        barrier.wait()
        outcomes.append(store(engine, project_link, sub))

    threads = [threading.Thread(target=run, args=(s,)) for s in subs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == sorted([STORED, DWELLING_USED])
    assert len(stored(db_session)) == 1
    assert db_session.scalar(select(func.count()).select_from(DwellingUse)) == 1
    assert db_session.scalar(select(func.count()).select_from(ReceiptUse)) == 1


def _claim(verdict):
    r = verdict.receipt
    return Receipt(r.code_hash, r.batch_id, r.serial)


def test_cli_issues_codes_from_a_labels_file(app, runner, project_link, db_session, tmp_path):
    labels = tmp_path / "dwellings.csv"
    labels.write_text("dwelling\n1-1-101\n1-1-102\n\n2-1-101\n", encoding="utf-8")
    out = tmp_path / "codes.csv"
    wave = db_session.get(Wave, project_link.wave_id)
    result = runner.invoke(args=["dwellings", "issue", "--project", str(project_link.enterprise_id),
                                 "--wave", wave.code, "--labels", str(labels), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert [r["dwelling"] for r in rows] == ["1-1-101", "1-1-102", "2-1-101"]
    assert rows[0]["uscc"] == ""


def test_cli_numbers_the_dwellings_without_a_file(runner, project_link, db_session, tmp_path):
    out = tmp_path / "codes.csv"
    wave = db_session.get(Wave, project_link.wave_id)
    result = runner.invoke(args=["dwellings", "issue", "--project", str(project_link.enterprise_id),
                                 "--wave", wave.code, "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = csv.DictReader(out.read_text(encoding="utf-8").splitlines())
    assert [r["dwelling"] for r in rows] == ["1", "2", "3", "4", "5", "6"]


@pytest.mark.parametrize(("text", "message"), [
    ("1-101\n1-101\n", "repeats row 1"),
    ("x" * 40 + "\n", "longer than 32"),
    ("\n\n", "no dwelling"),
])
def test_bad_labels_files_are_refused(text, message):
    with pytest.raises(ValueError, match=message):
        dwellings.labels_from_csv(text)


def test_cli_refuses_a_unit_that_is_not_a_housing_project(runner, make_link, db_session,
                                                          tmp_path):
    link = make_link()
    wave = db_session.get(Wave, link.wave_id)
    result = runner.invoke(args=["dwellings", "issue", "--project", str(link.enterprise_id),
                                 "--wave", wave.code, "--out", str(tmp_path / "c.csv")])
    assert result.exit_code != 0 and "housing projects only" in result.output


def _console_issue(client, link, ref, **data):
    url = f"/console/waves/{link.wave_id}/receipts"
    return client.post(url, data={"csrf_token": csrf(client, url), "enterprise": ref, **data},
                       content_type="multipart/form-data")


def test_console_issues_dwelling_codes_with_their_labels(app, client, project_link,
                                                         make_user, db_session):  # noqa: F811
    login(client, make_user("admin").email)
    labels = (io.BytesIO("\ufeff住户\n1-101\n1-102\n".encode()), "dwellings.csv")
    reply = _console_issue(client, project_link, str(project_link.enterprise_id),
                           labels=labels)
    assert reply.status_code == 302, reply.get_data(as_text=True)
    sheet = client.get(reply.headers["Location"]).get_data(as_text=True)
    assert "1-101" in sheet and "1-102" in sheet
    batch = db_session.scalars(select(ReceiptBatch)).one()
    assert batch.dwelling_labels == ["1-101", "1-102"]
    body = client.get(f"/console/receipts/{batch.id}.csv").get_data().decode("utf-8-sig")
    assert [r["dwelling"] for r in csv.DictReader(body.splitlines())] == ["1-101", "1-102"]
    reply = _console_issue(client, project_link, str(project_link.enterprise_id))
    assert reply.status_code == 302  # no file: dwellings 1..6
    db_session.rollback()
    assert sorted(b.issued for b in db_session.scalars(select(ReceiptBatch))) == [2, 6]


def test_console_refuses_a_bad_labels_file(app, client, project_link, make_user,  # noqa: F811
                                           db_session):
    login(client, make_user("admin").email)
    labels = (io.BytesIO(b"1-101\n1-102\n1-101\n"), "dwellings.csv")
    reply = _console_issue(client, project_link, str(project_link.enterprise_id),
                           labels=labels)
    page = client.get(reply.headers["Location"]).get_data(as_text=True)
    assert "第 3 行与第 1 行的住户重复" in page
    db_session.rollback()
    assert db_session.scalars(select(ReceiptBatch)).first() is None


def test_dwelling_code_in_the_link_is_checked_and_kept_on_the_page(app, client, project_link,
                                                                  db_session):
    code = issue(app, db_session, project_link)["3"]
    page = client.get(f"/s/{project_link.token}?c={code}").get_data(as_text=True)
    assert "住户码有效" in page and code in page
    page = client.get(f"/s/{project_link.token}?c=0000000000").get_data(as_text=True)
    assert "住户码无效" in page
