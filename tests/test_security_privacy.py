"""Privacy (access log, export threshold, masking), cache and cookie headers, the 403 page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config
from gunicorn.glogging import SafeAtoms

from survey.ops.masking import findings, mask
from survey.web.accesslog import FORMAT, PrivateLogger
from tests.conftest import csrf_and_key
from tests.portal_support import (  # noqa: F401  (fixtures)
    make_enterprise_user,
    make_response,
    portal_login,
)
from tests.test_console import csrf, login, make_user  # noqa: F401
from tests.test_survey import full_answers

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "aJNBLNy8gmk4S19V2CUcSA"
PHONE_IP, AGENT = "203.0.113.77", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1) MicroMessenger/8.0"


# ---- 6. the access log ------------------------------------------------------------------------


def access_line(path: str, query: str = "", fmt: str | None = None) -> str:
    """The access-log line PrivateLogger writes for a survey request from a phone."""
    cfg = Config()
    if fmt:
        cfg.set("access_log_format", fmt)
    logger = PrivateLogger(cfg)
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"{path}?{query}", "PATH_INFO": path,
               "QUERY_STRING": query, "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": PHONE_IP,
               "HTTP_USER_AGENT": AGENT, "HTTP_REFERER": f"http://x/s/{TOKEN}"}
    req = SimpleNamespace(headers=[("USER-AGENT", AGENT), ("X-FORWARDED-FOR", PHONE_IP)])
    resp = SimpleNamespace(status="200 OK", sent=1234,
                           headers=[("Set-Cookie", "manyi_device=abc")])
    atoms = logger.atoms(resp, req, environ, dt.timedelta(milliseconds=12))
    return cfg.access_log_format % SafeAtoms(atoms)


@pytest.mark.parametrize("fmt", [None, FORMAT, '%(h)s %(a)s "%(r)s" %(U)s%(q)s %({user-agent}i)s '
                                               '%({x-forwarded-for}i)s %({set-cookie}o)s %(f)s'])
def test_access_log_has_no_address_agent_or_survey_token(fmt):
    line = access_line(f"/s/{TOKEN}", "lang=en", fmt)
    for secret in (PHONE_IP, "iPhone", TOKEN, "lang=en", "manyi_device"):
        assert secret not in line, (secret, line)
    assert "/s/-" in line


def test_access_log_keeps_console_paths_and_hides_activation_tokens():
    assert '"GET /console/quarantine?wave=3 HTTP/1.1" 200' in access_line(
        "/console/quarantine", "wave=3", FORMAT)
    assert "/portal/activate/-" in access_line(f"/portal/activate/{TOKEN}", "", FORMAT)
    assert "/d/-" in access_line(f"/d/{TOKEN}", "", FORMAT)  # a counter display's secret URL


def test_make_run_uses_the_private_access_log():
    makefile = (ROOT / "Makefile").read_text()
    assert "--logger-class survey.web.accesslog.PrivateLogger" in makefile
    assert "%(h)s" not in makefile and "%(a)s" not in makefile


# ---- 6. the export honours the comment threshold ----------------------------------------------


def test_microdata_export_holds_no_comment_below_the_threshold(app, client, make_link,
                                                                make_response,  # noqa: F811
                                                                make_enterprise_user):  # noqa: F811
    link = make_link()
    user = make_enterprise_user(link)
    for k in range(app.config["COMMENT_MIN_RESPONSES"] - 1):
        make_response(link, comment=f"秘密留言{k}")
    portal_login(client, user.email)
    for kind in ("csv", "xlsx"):
        reply = client.get(f"/portal/waves/{link.wave_id}/responses.{kind}")
        assert reply.status_code == 200
        assert "秘密留言".encode() not in reply.data
    csv = client.get(f"/portal/waves/{link.wave_id}/responses.csv").get_data(as_text=True)
    assert len(csv.strip().splitlines()) == app.config["COMMENT_MIN_RESPONSES"]  # rows kept
    make_response(link, comment="秘密留言 last")
    assert "秘密留言" in client.get(f"/portal/waves/{link.wave_id}/responses.csv").get_data(
        as_text=True)


# ---- 6. masking of disguised numbers ----------------------------------------------------------


@pytest.mark.parametrize(("text", "kind"), [
    ("电话１３８１２３４５６７８谢谢", "mobile"),
    ("电话138.1234.5678谢谢", "mobile"),
    ("电话1\u200b3\u200b8\u200b1\u200b2\u200b3\u200b4\u200b5\u200b6\u200b7\u200b8谢谢", "mobile"),
    ("电话１３８－１２３４－５６７８", "mobile"),
    ("电话138\u00ad1234\u20605678", "mobile"),
    ("身份证１１０１０１１９９００３０７１２３Ｘ", "id"),
    ("身份证110101.19900307.123X", "id"),
    ("卡号6222\u200b0212\u200b3456\u200b7890", "card"),
    ("卡号６２２２．０２１２．３４５６．７８９０", "card"),
])
def test_disguised_numbers_are_masked(text, kind):
    assert kind in findings(text)
    masked = mask(text)
    assert not any(c.isdigit() for c in masked), masked
    assert masked.startswith(text[:2]) and "隐藏" in masked


def test_masking_keeps_ordinary_full_width_text_as_written():
    text = "价格１２．５元，排队１０分钟！服务很好。"
    assert mask(text) == text


# ---- 7. cache, cookies, 403 -------------------------------------------------------------------


def test_console_portal_and_exports_are_not_stored_but_the_survey_is_untouched(
        app, client, make_link, make_user, make_enterprise_user):  # noqa: F811
    link = make_link()
    login(client, make_user("admin").email)
    for path in ("/console/", "/console/login", f"/console/waves/{link.wave_id}/responses.csv"):
        assert client.get(path).headers.get("Cache-Control") == "no-store", path
    shop = app.test_client()
    portal_login(shop, make_enterprise_user(link).email)
    for path in ("/portal/", "/portal/login", f"/portal/waves/{link.wave_id}/responses.csv"):
        assert shop.get(path).headers.get("Cache-Control") == "no-store", path
    assert "no-store" not in client.get(f"/s/{link.token}").headers.get("Cache-Control", "")


def test_device_cookie_is_secure_over_https(client, make_link):
    link = make_link()
    base = "https://survey.test"
    page = client.get(f"/s/{link.token}", base_url=base)
    hidden = csrf_and_key(page.get_data(as_text=True))
    reply = client.post(f"/s/{link.token}", data=hidden | full_answers(), base_url=base)
    assert reply.status_code == 303
    device = [c for c in reply.headers.getlist("Set-Cookie") if c.startswith("manyi_device=")]
    assert device and "Secure" in device[0]


def test_forbidden_gets_the_friendly_page(client, make_user):  # noqa: F811
    login(client, make_user("analyst").email)
    reply = client.get("/console/audit")
    body = reply.get_data(as_text=True)
    assert reply.status_code == 403
    assert "/static/" in body and "您无权打开此页面" in body
    assert "You don't have the permission" not in body
