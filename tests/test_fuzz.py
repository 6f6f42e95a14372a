"""Property-based fuzzing (hypothesis) of every form that writes: never a 5xx, never a bad row.

Each test sends generated input through the real app and then checks the whole database:
whatever was refused left no trace, whatever was stored obeys the rules. Examples are
bounded and derandomised, so the suite stays quick and its outcome reproducible.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

import instruments
from survey.model import Category, Enterprise, Response, Sector, User, Wave
from survey.ops import uscc
from survey.ops.uscc import make_code
from survey.web.answers import NA, rules_for
from tests import test_console_enterprises as enterprise_tests
from tests.conftest import csrf_and_key
from tests.test_console import PASSWORD, csrf
from tests.test_console_enterprises import upload, upload_id

# The import tests' fixtures: a logged-in admin and two sectors.
admin, log_in = enterprise_tests.admin, enterprise_tests.log_in
make_enterprise, sectors = enterprise_tests.make_enterprise, enterprise_tests.sectors
FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
# Text that breaks naive code: control characters (NUL included), markup, formulas,
# quotes, CSV separators, full-width digits, CJK and astral characters.
NASTY = st.sampled_from(["\x00", "<script>alert(1)</script>", "=1+2", "+cmd|' /C calc'!A0",
                         "-2", "@SUM(A1)", "\t", "\r\n", '"', ",", ";", "１２３", "NaN",
                         "sNaN", "Infinity", "-inf", "1e999", "0x10", "餐饮", "𠮷", "'", "\\"])
TEXT = st.lists(st.one_of(NASTY, st.text(max_size=12)), max_size=6).map("".join)
CODES = [make_code("210213", f"MA{n:06d}") for n in range(200, 260)]


def no_server_error(reply) -> None:
    assert reply.status_code < 500, reply.get_data(as_text=True)[:500]


# ---- survey POST ------------------------------------------------------------------------------


def field_value(allowed: frozenset[str]):
    """Mostly a valid answer (so that whole submissions pass), else an invalid one or none."""
    valid = st.sampled_from(sorted(allowed))
    return st.integers(0, 39).flatmap(
        lambda roll: TEXT if roll == 0 else st.just(None) if roll == 1 else valid)


def survey_posts(instrument):
    """Half complete, well-formed submissions with nasty comments; half anything at all."""
    rules = rules_for(instrument)
    valid = st.fixed_dictionaries({name: st.sampled_from(sorted(allowed))
                                   for name, allowed in rules.allowed.items()})
    wild = st.fixed_dictionaries({name: field_value(allowed)
                                  for name, allowed in rules.allowed.items()})
    comment = st.one_of(TEXT, st.text(min_size=990, max_size=1100))  # near the limit
    tidy = st.tuples(valid, comment, st.just({}), st.just("ok"), st.just("ok"))
    anything = st.tuples(
        wild, comment,
        st.dictionaries(st.text(min_size=1, max_size=8), TEXT, max_size=2),  # unknown fields
        st.sampled_from(["ok", "forged", "missing"]),  # CSRF token
        st.sampled_from(["ok", "forged", "missing"]),  # form key
    )
    return st.one_of(tidy, anything)


def assert_stored_responses_valid(db_session, instrument, limit: int) -> int:
    """Every stored response is complete and within the instrument; their number."""
    db_session.rollback()
    rules = rules_for(instrument)
    responses = db_session.scalars(select(Response)).all()
    for r in responses:
        assert len(r.comment) <= limit and "\x00" not in r.comment
        answers = {a.item_code: a.value for a in r.answers}
        assert set(answers) == set(rules.items)
        for code, value in answers.items():
            allowed = {int(v) for v in rules.allowed[code] if v != NA}
            assert value is None or value in allowed
            if code in rules.required and value is None:
                assert NA in rules.allowed[code]
        for column in ("age_band", "sex", "residence", "frequency"):
            value = getattr(r, column)
            assert value is None or value in rules.allowed.get(column, {value})
    return len(responses)


def test_fuzzed_survey_posts_never_fail_or_store_invalid_rows(app, client, make_link,
                                                              db_session):
    link = make_link("catering")
    instrument = instruments.get("catering")
    limit = app.config["COMMENT_MAX_LENGTH"]
    acknowledged: set[str] = set()

    @FUZZ
    @given(survey_posts(instrument))
    def post(example):
        fields, comment, extra, csrf_mode, key_mode = example
        page = client.get(f"/s/{link.token}")
        hidden = csrf_and_key(page.get_data(as_text=True))
        data = [(k, v) for k, v in fields.items() if v is not None]
        data += [("comment", comment), *extra.items()]
        for name, mode in (("csrf_token", csrf_mode), ("k", key_mode)):
            if mode != "missing":
                data.append((name, hidden[name] if mode == "ok" else hidden[name][::-1]))
        reply = client.post(f"/s/{link.token}", data=MultiDict(data))
        no_server_error(reply)
        if reply.status_code == 303:
            acknowledged.add(hidden["k"])

    post()
    assert acknowledged, "no generated submission was complete: the strategy is too wild"
    stored = assert_stored_responses_valid(db_session, instrument, limit)
    assert stored == len(acknowledged)
    keys = set(db_session.scalars(select(Response.idempotency_key)))
    assert keys == acknowledged


def test_oversized_survey_post_gets_the_friendly_413_and_stores_nothing(app, client,
                                                                         make_link, db_session):
    link = make_link("catering")
    hidden = csrf_and_key(client.get(f"/s/{link.token}").get_data(as_text=True))
    comment = "长" * (app.config["MAX_CONTENT_LENGTH"] // 3 + 10)
    reply = client.post(f"/s/{link.token}", data=hidden | {"comment": comment})
    assert reply.status_code == 413
    assert "shorten your comment" in reply.get_data(as_text=True) or "留言" in reply.get_data(
        as_text=True)
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(Response)) == 0


def test_script_in_a_comment_is_escaped_when_shown_again(client, make_link):
    link = make_link("catering")
    hidden = csrf_and_key(client.get(f"/s/{link.token}").get_data(as_text=True))
    bad = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    # Required answers missing: the page comes back with the comment filled in.
    reply = client.post(f"/s/{link.token}", data=hidden | {"comment": bad})
    html = reply.get_data(as_text=True)
    assert reply.status_code == 400
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "<img src=x" not in html


# ---- console login ----------------------------------------------------------------------------


def test_fuzzed_logins_never_fail_or_let_anyone_in(client, db_session):
    from survey.ops.accounts import hash_password

    db_session.add(User(email="chief@bureau.test", name="chief", role="admin",
                        password_hash=hash_password(PASSWORD)))
    db_session.commit()
    token = csrf(client)

    @FUZZ
    @given(st.one_of(TEXT, st.just("chief@bureau.test")), TEXT,
           st.sampled_from(["ok", "forged", "missing"]))
    def attempt(email, password, csrf_mode):
        data = {"email": email, "password": password}
        if csrf_mode != "missing":
            data["csrf_token"] = token if csrf_mode == "ok" else token[::-1]
        reply = client.post("/console/login", data=data)
        no_server_error(reply)
        assert reply.status_code != 302  # never logged in

    attempt()
    db_session.rollback()
    assert [u.email for u in db_session.scalars(select(User))] == ["chief@bureau.test"]


# ---- enterprise import ------------------------------------------------------------------------


def cell():
    return st.one_of(TEXT, st.sampled_from(CODES), st.sampled_from(["catering", "餐饮", "hotels"]),
                     st.integers(-5, 10**6).map(str), st.floats(allow_nan=True).map(str))


ROWS = st.lists(st.lists(cell(), min_size=3, max_size=7), min_size=1, max_size=8)
HEADERS = st.sampled_from([["名称", "统一社会信用代码", "行业", "街道", "客户量", "营业收入"],
                           ["name", "uscc", "sector"], ["名称", "行业"], ["", "x", "名称"]])


def encode(header, rows, kind: str) -> tuple[str, bytes]:
    """The table as an upload: CSV in an encoding, or an XLSX workbook."""
    if kind == "xlsx":
        book = Workbook()
        for row in [header, *rows]:
            book.active.append([re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", c) for c in row])
        out = io.BytesIO()
        book.save(out)
        return "fuzz.xlsx", out.getvalue()
    text = "\n".join(",".join(json.dumps(c, ensure_ascii=False) for c in row)
                     for row in [header, *rows])
    return "fuzz.csv", text.encode(kind, errors="replace")


def assert_enterprises_valid(db_session) -> None:
    db_session.rollback()
    known = set(db_session.scalars(select(Sector.id)))
    for e in db_session.scalars(select(Enterprise)):
        assert uscc.problem(e.uscc) is None and e.sector_id in known
        assert e.name and len(e.name) <= 200 and len(e.street) <= 100
        assert "\x00" not in e.name + e.street
        for amount in (e.customer_volume, e.revenue):
            assert amount is None or (math.isfinite(amount) and amount >= 0)


def test_fuzzed_imports_never_fail_or_store_invalid_enterprises(app, client, db_session,
                                                                admin):
    @FUZZ
    @given(HEADERS, ROWS, st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030", "xlsx"]),
           st.booleans())
    def import_file(header, rows, kind, only_valid):
        name, data = encode(header, rows, kind)
        reply = upload(client, name, data)
        no_server_error(reply)
        html = reply.get_data(as_text=True)
        if 'name="upload_id"' in html:
            token = csrf(client, "/console/enterprises/import")
            extra = {"only_valid": "y"} if only_valid else {}
            done = client.post("/console/enterprises/import/confirm",
                               data={"upload_id": upload_id(html), "csrf_token": token, **extra})
            no_server_error(done)

    import_file()
    assert_enterprises_valid(db_session)


@pytest.mark.parametrize(("name", "data"), [
    ("table.xlsx", b"PK\x03\x04" + b"\x00garbage" * 50),  # broken workbook
    ("table.xlsx", b"not a zip at all"),
    ("table.csv", b"\x00\x01\x02binary"),
    ("table.pdf", b"%PDF-1.7"),  # wrong type
    ("table", b"name,uscc,sector\n"),
    ("表.csv", "名称,统一社会信用代码,行业\n".encode("utf-16-le")),  # UTF-16 without BOM
])
def test_malformed_uploads_get_a_clear_message(client, admin, db_session, name, data):
    reply = upload(client, name, data)
    assert reply.status_code in (200, 400)
    assert 'class="err"' in reply.get_data(as_text=True)
    assert_enterprises_valid(db_session)
    assert db_session.scalar(select(func.count()).select_from(Enterprise)) == 0


def test_gbk_csv_is_decoded_and_imported(client, admin, db_session, sectors):
    text = f"名称,统一社会信用代码,行业,街道\n老北京涮肉,{CODES[0]},餐饮,友谊街道\n"
    reply = upload(client, "企业.csv", text.encode("gbk"))
    assert reply.status_code == 200
    token = csrf(client, "/console/enterprises/import")
    done = client.post("/console/enterprises/import/confirm",
                       data={"upload_id": upload_id(reply.get_data(as_text=True)),
                             "csrf_token": token})
    assert done.status_code == 302
    db_session.rollback()
    stored = db_session.scalars(select(Enterprise).where(Enterprise.uscc == CODES[0])).one()
    assert (stored.name, stored.street) == ("老北京涮肉", "友谊街道")


# ---- console forms ----------------------------------------------------------------------------


NUMBER = st.one_of(TEXT, st.floats(allow_nan=True, allow_infinity=True).map(str),
                   st.integers(-10**30, 10**30).map(str))
JSON_TEXT = st.one_of(TEXT, st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
              st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                  max_size=3),
    max_leaves=8).map(json.dumps))
DATE = st.one_of(TEXT, st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)).map(str))


def test_fuzzed_console_forms_never_fail_or_store_invalid_rows(client, admin, db_session,
                                                               make_wave, sectors):
    wave = make_wave()
    category = db_session.scalars(select(Category)).first()
    sector = sectors["catering"]

    @FUZZ
    @given(st.sampled_from(["category", "sector", "wave", "settings", "enterprise"]),
           NUMBER, NUMBER, TEXT, DATE, DATE, JSON_TEXT, JSON_TEXT)
    def post(form, a, b, text, d1, d2, j1, j2):
        url, data = {
            "category": (f"/console/categories/{category.id}",
                         {"target": a, "weight": b, "target_source": text}),
            "sector": (f"/console/sectors/{sector.id}",
                       {"weight": a, "weight_source": text, "instrument_code": text or "x"}),
            "wave": ("/console/waves/new", {"code": text, "opens_on": d1, "closes_on": d2}),
            "settings": (f"/console/waves/{wave.id}/settings",
                         {"analysis_settings": j1, "margins": j2, "quotas": j1}),
            "enterprise": ("/console/enterprises/new",
                           {"name": text, "uscc": text or CODES[5], "sector_id": a,
                            "street": text, "customer_volume": a, "revenue": b}),
        }[form]
        reply = client.post(url, data=data | {"csrf_token": csrf(client, url)})
        no_server_error(reply)

    post()
    db_session.rollback()
    for c in db_session.scalars(select(Category)):
        assert 0 <= c.target <= 100 and 0 <= c.weight <= 1000
    edited = db_session.get(Sector, sector.id)
    assert 0 <= edited.weight <= 1000
    instruments.get(edited.instrument_code)
    for w in db_session.scalars(select(Wave)):
        assert w.closes_on >= w.opens_on and re.fullmatch(r"[0-9A-Za-z-]{2,16}", w.code)
        json.dumps({"a": w.analysis_settings, "m": w.margins, "q": w.quotas}, allow_nan=False)
    assert_enterprises_valid(db_session)


# ---- odd integers in every route and query ------------------------------------------------------

# Beyond SQLite's 64-bit integers (OverflowError), beyond any id, and digits int() refuses.
ODD_INTS = ["9223372036854775808", "18446744073709551616", "1" + "0" * 30, "²", "١٢", "0"]
ODD_QUERY = {"wave": ODD_INTS[0], "revision": "²", "page": ODD_INTS[1], "enterprise": ODD_INTS[2],
             "sector": ODD_INTS[0], "lang": "²"}
SKIP = {"static", "console.logout", "portal.logout"}


def every_route(app, int_value: str):
    """(method, url, endpoint) of every rule, `int_value` in each <int:> part."""
    from werkzeug.routing import IntegerConverter

    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            url = rule.rule
            for name in rule.arguments:
                converter = rule._converters[name]
                if isinstance(converter, IntegerConverter):
                    value = int_value
                elif getattr(converter, "items", None):
                    value = sorted(converter.items)[0]
                else:
                    value = "2026Q4"
                url = re.sub(rf"<[^>]*{name}>", value, url)
            yield method, url, rule.endpoint


@pytest.fixture
def two_clients(app, client, admin, make_link, db_session):
    """An admin's client and an enterprise user's, each with a CSRF token."""
    from survey.ops.accounts import hash_password

    link = make_link("catering")
    db_session.add(User(email="shop@ent.test", name="shop", role="enterprise",
                        enterprise_id=link.enterprise_id, password_hash=hash_password(PASSWORD)))
    db_session.commit()
    shop = app.test_client()
    token = csrf(shop, "/portal/login")
    shop.post("/portal/login", data={"email": "shop@ent.test", "password": PASSWORD,
                                     "csrf_token": token})
    return {"console": (client, csrf(client, "/console/")),
            "portal": (shop, csrf(shop, "/portal/"))}


def _send(clients, method, url, endpoint, query=None):
    who, token = clients["portal" if endpoint.startswith("portal.") else "console"]
    data = {"csrf_token": token, "wave": ODD_INTS[0], "enterprise_id": "²"} \
        if method == "POST" else None
    reply = who.open(url, method=method, data=data, query_string=query)
    assert reply.status_code < 500, (method, url, query, reply.status_code)
    return reply


@pytest.mark.parametrize("value", ODD_INTS)
def test_odd_integers_in_any_route_are_never_a_server_error(app, two_clients, value):
    routes = list(every_route(app, value))
    assert len(routes) > 60
    for method, url, endpoint in routes:
        reply = _send(two_clients, method, url, endpoint)
        if value != "0" and "<int:" in str(app.url_map._rules_by_endpoint[endpoint][0].rule):
            assert reply.status_code in (302, 400, 403, 404, 405), (url, reply.status_code)


def test_odd_integer_parameters_on_every_page_are_never_a_server_error(app, two_clients):
    for method, url, endpoint in every_route(app, "1"):
        if method == "GET":
            _send(two_clients, method, url, endpoint, query=ODD_QUERY)
