"""The respondent's flow through the real app: happy path and every refusal."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

import instruments
from survey.model import Answer, Response
from tests.conftest import csrf_and_key


def count(db_session, model=Response) -> int:
    db_session.rollback()  # see rows committed by the app since the last look
    return db_session.scalar(select(func.count()).select_from(model))


def full_answers(instrument_code: str = "catering", value: str = "8") -> dict[str, str]:
    """A complete set of answers: `value` on rating items, 'no' on yes/no items."""
    inst = instruments.get(instrument_code)
    out = {}
    for item in inst.items:
        out[item.code] = value if item.scale.kind == "rating" else "0"
    return out


def static_file(client, name: str) -> bytes:
    with client.get(f"/static/{name}") as reply:
        return reply.data


def open_form(client, token: str) -> dict[str, str]:
    page = client.get(f"/s/{token}")
    assert page.status_code == 200
    return csrf_and_key(page.get_data(as_text=True))


def test_questionnaire_is_chinese_mobile_page_under_50kb(client, make_link):
    link = make_link()
    page = client.get(f"/s/{link.token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in html
    assert "顾客满意度调查" in html and "提交" in html
    assert 'name="viewport"' in html
    assert "隐私说明" in html and "/privacy" in html
    assert "不了解/不适用" in html
    css = static_file(client, "survey.css")
    js = static_file(client, "survey.js")
    assert len(page.data) + len(css) + len(js) <= 50 * 1024
    assert "http://" not in html.replace("http://survey.test", "") and "https://" not in html


def test_english_switch_is_visible_and_remembered(client, make_link):
    link = make_link()
    assert "English" in client.get(f"/s/{link.token}").get_data(as_text=True)
    english = client.get(f"/s/{link.token}?lang=en").get_data(as_text=True)
    assert "Submit" in english and '<html lang="en">' in english
    assert "What we keep" in client.get("/privacy").get_data(as_text=True)


def test_tap_targets_are_at_least_44px(client):
    css = static_file(client, "survey.css").decode()
    assert "min-height:48px" in css and "min-width:44px" in css


def test_happy_path_stores_one_complete_response(client, make_link, db_session):
    link = make_link()
    data = open_form(client, link.token) | full_answers()
    data |= {
        "sat_overall": "9",
        "pq_overall": "na",
        "comment": "上菜很快",
        "complain": "y",
        "age_band": "30_44",
        "sex": "undisclosed",
    }
    reply = client.post(f"/s/{link.token}", data=data)
    assert reply.status_code == 303
    assert reply.headers["Location"].endswith(f"/s/{link.token}/thanks")
    assert "感谢" in client.get(reply.headers["Location"]).get_data(as_text=True)

    response = db_session.scalars(select(Response)).one()
    answers = {a.item_code: a.value for a in db_session.scalars(select(Answer))}
    inst = instruments.get("catering")
    assert set(answers) == {i.code for i in inst.items}
    assert answers["sat_overall"] == 9
    assert answers["pq_overall"] is None  # "not applicable" is missing, never 0
    assert answers["cmp_filed"] == 0
    assert (response.comment, response.wants_complaint) == ("上菜很快", True)
    assert (response.age_band, response.sex, response.residence) == ("30_44", "undisclosed", None)
    assert (response.instrument_code, response.instrument_version) == ("catering", inst.version)
    assert response.enterprise_id == link.enterprise_id and response.wave_id == link.wave_id
    assert response.started_at is not None and response.submitted_at is not None


def test_no_raw_ip_or_user_agent_is_stored(client, make_link, db_session):
    link = make_link()
    data = open_form(client, link.token) | full_answers()
    client.post(
        f"/s/{link.token}",
        data=data,
        environ_base={"REMOTE_ADDR": "203.0.113.77"},
        headers={"User-Agent": "MicroMessenger/8.0"},
    )
    response = db_session.scalars(select(Response)).one()
    stored = " ".join(str(v) for v in vars(response).values())
    assert "203.0.113" not in stored and "MicroMessenger" not in stored
    assert len(response.ip_hash) == 32 and len(response.device_hash) == 32


def test_double_submit_stores_one_response(client, make_link, db_session):
    link = make_link()
    data = open_form(client, link.token) | full_answers()
    first = client.post(f"/s/{link.token}", data=data)
    again = client.post(f"/s/{link.token}", data=data)
    assert first.status_code == again.status_code == 303
    assert count(db_session) == 1
    inst = instruments.get("catering")
    assert count(db_session, Answer) == len(inst.items)


def test_two_phones_store_two_responses(client, make_link, db_session):
    link = make_link()
    for _ in range(2):
        client.delete_cookie("manyi_device", path="/s/")  # another phone
        client.post(f"/s/{link.token}", data=open_form(client, link.token) | full_answers())
    assert count(db_session) == 2


def _refused(client, link, db_session, data, status=400):
    reply = client.post(f"/s/{link.token}", data=data)
    assert reply.status_code == status
    assert count(db_session) == 0 and count(db_session, Answer) == 0
    return reply.get_data(as_text=True)


def test_missing_csrf_token_is_refused(client, make_link, db_session):
    link = make_link()
    data = open_form(client, link.token) | full_answers()
    del data["csrf_token"]
    assert "页面已过期" in _refused(client, link, db_session, data)


def test_forged_key_is_refused(client, make_link, db_session):
    link = make_link()
    data = open_form(client, link.token) | full_answers() | {"k": "made-up.key.value"}
    assert "表单已过期" in _refused(client, link, db_session, data)


@pytest.mark.parametrize("value", ["0", "11", "-1", "7.5", "abc", ""])
def test_out_of_range_value_is_refused_and_answers_kept(client, make_link, db_session, value):
    link = make_link()
    data = open_form(client, link.token) | full_answers(value="6") | {"sat_overall": value}
    html = _refused(client, link, db_session, data)
    assert 'id="q-sat_overall"' in html and 'class="q i bad" id="q-sat_overall"' in html
    assert 'name="sat_ideal" value="6" checked' in html  # other answers are kept


def test_unknown_item_is_refused(client, make_link, db_session):
    link = make_link()
    data = open_form(client, link.token) | full_answers() | {"pq_wifi": "9"}
    assert "pq_wifi" in _refused(client, link, db_session, data)


def test_item_of_another_sector_is_refused(client, make_link, db_session):
    link = make_link("catering")
    foreign = next(
        i.code
        for i in instruments.get("finance").items
        if i.code.startswith("pq_")
        and i.code not in {x.code for x in instruments.get("catering").items}
    )
    data = open_form(client, link.token) | full_answers() | {foreign: "9"}
    _refused(client, link, db_session, data)


def test_required_item_missing_shows_message_beside_it(client, make_link, db_session):
    link = make_link()
    data = open_form(client, link.token) | full_answers(value="7")
    del data["sat_overall"]
    html = _refused(client, link, db_session, data)
    start = html.index('id="q-sat_overall"')
    assert "请选择一个答案" in html[start : start + 3000]
    assert 'name="sat_ideal" value="7" checked' in html


def test_optional_items_may_be_skipped(client, make_link, db_session):
    link = make_link()
    inst = instruments.get("catering")
    data = open_form(client, link.token) | {i.code: "8" for i in inst.items if i.required}
    assert client.post(f"/s/{link.token}", data=data).status_code == 303
    answers = db_session.scalars(select(Answer)).all()
    assert sum(a.value is not None for a in answers) == sum(i.required for i in inst.items)


def test_over_long_comment_is_refused(client, make_link, db_session):
    link = make_link()
    data = open_form(client, link.token) | full_answers() | {"comment": "好" * 1001}
    html = _refused(client, link, db_session, data)
    assert "1000" in html


def test_comment_of_exactly_the_limit_is_accepted(client, make_link, db_session):
    link = make_link()
    data = open_form(client, link.token) | full_answers() | {"comment": "好" * 1000}
    assert client.post(f"/s/{link.token}", data=data).status_code == 303


def test_bad_profile_option_is_refused(client, make_link, db_session):
    link = make_link()
    data = open_form(client, link.token) | full_answers() | {"age_band": "99_plus"}
    _refused(client, link, db_session, data)


def test_oversized_request_is_refused(client, make_link, db_session):
    link = make_link()
    data = open_form(client, link.token) | full_answers() | {"comment": "x" * 300_000}
    html = _refused(client, link, db_session, data, status=413)
    assert "提交内容过多" in html


@pytest.mark.parametrize(
    "token", ["no-such-token", "x" * 500, "%00", "../../etc", "a" * 22 + "\u0000"]
)
def test_unknown_token_gets_chinese_404(client, make_link, db_session, token):
    make_link()
    for method in (client.get, client.post):
        reply = method(f"/s/{token}")
        assert reply.status_code == 404
        assert "页面不存在" in reply.get_data(as_text=True)
    assert count(db_session) == 0


def test_deactivated_link_gets_404(client, make_link, db_session):
    link = make_link()
    data = open_form(client, link.token) | full_answers()
    link.active = False
    db_session.commit()
    assert client.get(f"/s/{link.token}").status_code == 404
    assert client.post(f"/s/{link.token}", data=data).status_code == 404
    assert count(db_session) == 0


def test_closed_wave_refuses_new_answers(client, make_link, make_wave, db_session):
    open_wave = make_wave("2026Q4")
    link = make_link(wave=open_wave)
    data = open_form(client, link.token) | full_answers()
    open_wave.status = "closed"
    db_session.commit()
    page = client.get(f"/s/{link.token}")
    assert page.status_code == 410 and "已结束" in page.get_data(as_text=True)
    assert client.post(f"/s/{link.token}", data=data).status_code == 410
    assert count(db_session) == 0


def test_wave_past_its_close_date_refuses(client, make_link, make_wave, db_session):
    link = make_link(wave=make_wave("2026Q2", status="open", days=(-60, -1)))
    assert client.get(f"/s/{link.token}").status_code == 410


def test_draft_wave_says_not_open_yet(client, make_link, make_wave):
    link = make_link(wave=make_wave("2027Q1", status="draft", days=(5, 90)))
    page = client.get(f"/s/{link.token}")
    assert page.status_code == 403 and "尚未开始" in page.get_data(as_text=True)


def test_pinned_instrument_version_is_used(client, make_link, make_wave, db_session):
    wave = make_wave()
    version = instruments.get("catering").version
    wave.instrument_versions = {"catering": version}
    db_session.commit()
    link = make_link(wave=wave)
    client.post(f"/s/{link.token}", data=open_form(client, link.token) | full_answers())
    assert db_session.scalars(select(Response)).one().instrument_version == version


def test_privacy_page_says_what_is_kept(client):
    html = client.get("/privacy").get_data(as_text=True)
    assert "我们保存什么" in html and "不保存地址本身" in html


def test_started_time_comes_from_the_signed_key(client, make_link, db_session):
    link = make_link()
    before = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(seconds=1)
    client.post(f"/s/{link.token}", data=open_form(client, link.token) | full_answers())
    started = db_session.scalars(select(Response)).one().started_at
    started = started if started.tzinfo else started.replace(tzinfo=dt.UTC)
    assert before <= started <= dt.datetime.now(dt.UTC)


def test_wrong_method_gets_a_friendly_page(client, make_link):
    link = make_link()
    reply = client.put(f"/s/{link.token}")
    assert reply.status_code == 405 and "请重新打开调查链接" in reply.get_data(as_text=True)


def test_malformed_body_gets_a_friendly_page(client, make_link, db_session):
    link = make_link()
    reply = client.post(
        f"/s/{link.token}",
        data=b"--x\r\nContent-Disposition: form-data; name=\"sat_overall\"\r\n\r\n9",
        content_type="multipart/form-data; boundary=x",
    )
    assert reply.status_code == 400
    assert count(db_session) == 0


def test_session_signing_follows_a_secret_key_rotation(app, client, make_link):
    link = make_link()
    open_form(client, link.token)
    old = app.session_interface.get_signing_serializer(app)
    app.config["SECRET_KEY_FALLBACKS"] = [app.config["SECRET_KEY"]]
    app.secret_key = app.config["SECRET_KEY"] = "rotated-secret"
    new = app.session_interface.get_signing_serializer(app)
    assert new is not old and new.secret_keys[-1] == b"rotated-secret"
    # A fresh form under the new key is accepted end to end.
    data = open_form(client, link.token) | full_answers()
    assert client.post(f"/s/{link.token}", data=data).status_code == 303


def test_session_cookies_interoperate_with_flasks_default(app):
    from flask.sessions import SecureCookieSessionInterface

    ours = app.session_interface.get_signing_serializer(app)
    flasks = SecureCookieSessionInterface().get_signing_serializer(app)
    payload = {"csrf_token": "a" * 40, "_flashes": [("info", "已保存。")]}
    assert flasks.loads(ours.dumps(payload)) == payload
    assert ours.loads(flasks.dumps(payload | {"pad": "x" * 500})) == payload | {"pad": "x" * 500}
