"""Receipt codes through the product: issued by the CLI, entered on the survey page or in
the link, verifying one response each; used, foreign and forged codes lose nothing."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import func, select

from survey.keys import receipt_key
from survey.model import Enterprise, ReceiptBatch, ReceiptUse, Response, Wave
from survey.ops import receipt_codes, receipts
from tests.test_survey import full_answers, open_form


def issue(app, db_session, link, count=3):
    """Codes of a fresh batch for the link's enterprise and wave (canonical form)."""
    ent = db_session.get(Enterprise, link.enterprise_id)
    wave = db_session.get(Wave, link.wave_id)
    issued = receipts.issue(db_session, receipt_key(app.config), ent, wave, count)
    db_session.commit()
    return [code for _b, codes in issued.batches for code in codes]


def submit(client, link, code, **extra):
    data = open_form(client, link.token) | full_answers() | {"c": code} | extra
    return client.post(f"/s/{link.token}", data=data)


def responses(db_session):
    db_session.rollback()  # see rows committed by the app since the last look
    return db_session.scalars(select(Response).order_by(Response.id)).all()


def test_valid_code_verifies_the_response_once(app, client, make_link, db_session):
    link = make_link()
    code = issue(app, db_session, link)[0]
    reply = submit(client, link, receipt_codes.format_code(code).lower())
    assert reply.status_code == 303 and reply.headers["Location"].endswith("?r=verified")
    page = client.get(reply.headers["Location"]).get_data(as_text=True)
    assert "收据码" in page
    [row] = responses(db_session)
    assert row.verified and row.source == "qr"
    use = db_session.scalars(select(ReceiptUse)).one()
    assert use.response_id == row.id and use.serial == 0


def test_used_code_stores_the_second_response_unverified(app, make_link, db_session):
    link = make_link()
    code = issue(app, db_session, link)[0]
    first, second = app.test_client(), app.test_client()  # two phones
    assert submit(first, link, code).status_code == 303
    reply = submit(second, link, code)
    assert reply.headers["Location"].endswith("?r=used")
    assert "已被使用" in second.get(reply.headers["Location"]).get_data(as_text=True)
    rows = responses(db_session)
    assert [r.verified for r in rows] == [True, False]
    assert db_session.scalar(select(func.count()).select_from(ReceiptUse)) == 1


def test_race_on_one_code_verifies_one_response(app, make_link, db_session):
    """Two submissions that both saw the code unused: the unique hash keeps one verified."""
    from survey.db import get_writer
    from survey.ops.submission import RECEIPT_USED, STORED, Receipt, Submission, store

    link = make_link()
    code = issue(app, db_session, link)[0]
    verdict = receipts.check(get_writer(app), receipt_key(app.config), code, link.enterprise_id,
                             link.wave_id)
    assert verdict.ok
    receipt = Receipt(verdict.code_hash, verdict.batch_id, verdict.serial)
    subs = [Submission(key=f"k{i}", started_at=None, instrument_code="catering",
                       instrument_version=1, answers={}, profile={}, comment="",
                       wants_complaint=False, locale="zh_CN", ip_hash=None, device_hash=None,
                       receipt=receipt) for i in range(2)]
    outcomes = [store(get_writer(app), link, s) for s in subs]
    assert outcomes == [STORED, RECEIPT_USED]
    assert [r.verified for r in responses(db_session)] == [True, False]


def test_foreign_code_is_refused_with_a_message(app, client, make_link, db_session):
    mine, other = make_link(), make_link()
    code = issue(app, db_session, other)[0]
    reply = submit(client, mine, code)
    assert reply.headers["Location"].endswith("?r=foreign")
    assert "不属于本企业" in client.get(reply.headers["Location"]).get_data(as_text=True)
    assert [r.verified for r in responses(db_session)] == [False]


@pytest.mark.parametrize("mangle", [
    lambda c: c[:-1] + ("0" if c[-1] != "0" else "1"),  # a typing slip in the tag
    lambda c: "ZZZZZ" + c[5:],  # a batch that was never issued
])
def test_forged_code_is_refused_and_the_answers_kept(app, client, make_link, db_session, mangle):
    link = make_link()
    code = issue(app, db_session, link)[0]
    reply = submit(client, link, mangle(code))
    assert reply.status_code == 303 and reply.headers["Location"].endswith("?r=forged")
    assert [r.verified for r in responses(db_session)] == [False]


def test_malformed_code_is_refused_and_the_answers_kept(client, make_link, db_session):
    link = make_link()
    reply = submit(client, link, "12345")
    assert reply.headers["Location"].endswith("?r=malformed")
    assert "10位" in client.get(reply.headers["Location"]).get_data(as_text=True)
    assert len(responses(db_session)) == 1


def test_code_in_the_link_is_checked_and_filled_in(app, client, make_link, db_session):
    link = make_link()
    code = issue(app, db_session, link)[0]
    page = client.get(f"/s/{link.token}?c={code}").get_data(as_text=True)
    assert f'value="{code}"' in page and "收据码" in page
    forged = client.get(f"/s/{link.token}?c={code[:-1]}{'1' if code[-1] != '1' else '2'}")
    assert "收据码无效" in forged.get_data(as_text=True)


def test_page_without_a_code_has_an_empty_code_field(client, make_link):
    page = client.get(f"/s/{make_link().token}").get_data(as_text=True)
    assert 'name="c"' in page and "收据码" in page


def test_cli_issues_codes_to_a_csv(app, runner, make_link, db_session, tmp_path):
    link = make_link()
    ent = db_session.get(Enterprise, link.enterprise_id)
    out = tmp_path / "codes.csv"
    result = runner.invoke(args=["receipts", "issue", "--enterprise", ent.uscc, "--wave",
                                 "2026Q4", "--count", "2050", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert len(rows) == 2050 and len({r["code"] for r in rows}) == 2050
    assert {r["batch"] for r in rows} == {"0", "1"}  # 2048 codes per batch
    assert db_session.scalars(select(ReceiptBatch.issued)).all() == [2048, 2]
    key = receipt_key(app.config)
    assert receipt_codes.verify(key, rows[-1]["code"], ent.id, link.wave_id).ok


@pytest.mark.parametrize("args, message", [
    (["--enterprise", "999999", "--wave", "2026Q4", "--count", "3"], "no enterprise"),
    (["--wave", "1999Q1", "--count", "3"], "no wave"),
    (["--wave", "2026Q4", "--count", "0"], "count must be"),
])
def test_cli_refuses_bad_input_clearly(runner, make_link, tmp_path, args, message):
    link = make_link()
    if "--enterprise" not in args:
        args = ["--enterprise", str(link.enterprise_id), *args]
    result = runner.invoke(args=["receipts", "issue", *args, "--out", str(tmp_path / "c.csv")])
    assert result.exit_code != 0 and message in result.output
    assert not (tmp_path / "c.csv").exists()


def test_short_receipt_key_is_refused():
    with pytest.raises(ValueError, match="16 bytes"):
        receipt_key({"RECEIPT_KEY": "short", "SECRET_KEY": "x"})
    assert len(receipt_key({"RECEIPT_KEY": "", "SECRET_KEY": "x"})) == 32
