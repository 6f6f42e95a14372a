"""Console enterprises: roles, list and search, audited create and edit, bulk import."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from console import imports
from console.enterprise_forms import USCC_PROBLEMS
from survey.model import AuditEntry, Enterprise, Sector, User
from survey.ops import uscc
from survey.ops.accounts import hash_password
from survey.ops.uscc import make_code
from tests.test_console import PASSWORD, csrf, login

CODES = [make_code("210213", f"MA{n:06d}") for n in range(1, 80)]
CN_HEADER = ["名称", "统一社会信用代码", "行业", "街道", "客户量", "营业收入"]
EN_HEADER = ["name", "uscc", "sector", "street", "customer_volume", "revenue"]


@pytest.fixture
def sectors(make_sector, db_session):
    """Two sectors; the catering sector's Chinese name is 餐饮."""
    catering, hotels = make_sector("catering"), make_sector("hotels")
    catering.name_zh, hotels.name_zh = "餐饮", "住宿"
    db_session.commit()
    return {"catering": catering, "hotels": hotels}


@pytest.fixture
def make_enterprise(db_session, sectors):
    def make(name="老字号饭店", code=CODES[0], sector="catering", street="友谊街道", **kw):
        ent = Enterprise(name=name, uscc=code, sector=sectors[sector], street=street, **kw)
        db_session.add(ent)
        db_session.commit()
        return ent

    return make


@pytest.fixture
def log_in(client, db_session, make_enterprise):
    """Factory: log the client in with a new user of the role (None = stay anonymous)."""

    def log_in(role):
        if role is None:
            return None
        owner = make_enterprise("某企业", CODES[-1]).id if role == "enterprise" else None
        user = User(email=f"{role}@bureau.test", name=role, role=role, enterprise_id=owner,
                    password_hash=hash_password(PASSWORD))
        db_session.add(user)
        db_session.commit()
        assert login(client, user.email).status_code == 302
        return user

    return log_in


@pytest.fixture
def admin(log_in, app, tmp_path):
    """A logged-in admin; uploads are kept in a temporary folder."""
    app.config["IMPORT_UPLOAD_DIR"] = str(tmp_path / "uploads")
    return log_in("admin")


def enterprise_count(db_session) -> int:
    db_session.rollback()  # end the read transaction: see what the app committed since
    return db_session.scalar(select(func.count()).select_from(Enterprise))


def registered(db_session) -> list[Enterprise]:
    db_session.rollback()
    return db_session.scalars(select(Enterprise)).all()


def audit_entries(db_session, action: str) -> list[AuditEntry]:
    db_session.rollback()
    return db_session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


# ---- roles ----------------------------------------------------------------------------------


def pages(ent_id: int) -> list[tuple[str, str]]:
    return [("GET", "/console/enterprises"), ("GET", "/console/enterprises/new"),
            ("GET", f"/console/enterprises/{ent_id}"), ("GET", "/console/enterprises/import"),
            ("POST", "/console/enterprises/new"), ("POST", f"/console/enterprises/{ent_id}"),
            ("POST", "/console/enterprises/import"),
            ("POST", "/console/enterprises/import/confirm")]


def request_as(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    # A valid CSRF token, so that the access rule (not the CSRF check) decides.
    return client.post(url, data={"csrf_token": csrf(client, "/console/login")})


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(None, set()), ("enterprise", set()), ("analyst", {"GET /console/enterprises"}),
     ("admin", "all")],
)
def test_role_matrix(client, log_in, make_enterprise, role, allowed):
    ent = make_enterprise()
    log_in(role)
    for method, url in pages(ent.id):
        reply = request_as(client, method, url)
        if role is None:
            assert reply.status_code == 302, url
            assert "/console/login" in reply.headers["Location"], url
        elif allowed == "all" or f"{method} {url}" in allowed:
            assert reply.status_code in (200, 302, 400), (method, url)
        else:
            assert reply.status_code == 403, (method, url)


# ---- list, create, edit ---------------------------------------------------------------------


def test_list_searches_by_name_and_code_and_filters(client, log_in, make_enterprise):
    make_enterprise("老字号饭店", CODES[0], "catering", "友谊街道")
    make_enterprise("海景酒店", CODES[1], "hotels", "金石滩街道")
    sector_id = make_enterprise("小面馆", CODES[2], "catering", "金石滩街道").sector_id
    log_in("analyst")

    def names(query: str) -> set[str]:
        html = client.get(f"/console/enterprises?{query}").get_data(as_text=True)
        return {n for n in ("老字号饭店", "海景酒店", "小面馆") if n in html}

    assert names("") == {"老字号饭店", "海景酒店", "小面馆"}
    assert names("q=酒店") == {"海景酒店"}
    assert names(f"q={CODES[1][-6:].lower()}") == {"海景酒店"}
    assert names(f"sector={sector_id}") == {"老字号饭店", "小面馆"}
    assert names("street=金石滩街道") == {"海景酒店", "小面馆"}
    assert names(f"street=金石滩街道&sector={sector_id}") == {"小面馆"}
    assert names("q=%25") == set()  # LIKE wildcards are searched for literally


def test_list_is_paginated(client, log_in, db_session, sectors):
    db_session.add_all(Enterprise(name=f"企业{n:03d}", uscc=CODES[n], sector=sectors["hotels"])
                       for n in range(55))
    db_session.commit()
    log_in("analyst")
    first = client.get("/console/enterprises").get_data(as_text=True)
    second = client.get("/console/enterprises?page=2").get_data(as_text=True)
    assert "企业000" in first and "企业049" in first and "企业050" not in first
    assert "企业050" in second and "企业054" in second and "企业000" not in second
    assert client.get("/console/enterprises?page=99").status_code == 200


def form_data(sector: Sector, **changes) -> dict:
    data = {"name": "新开超市", "uscc": CODES[5], "sector_id": str(sector.id),
            "street": "友谊街道", "customer_volume": "1200", "revenue": "35.5", "active": "y"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def post_form(client, url: str, data: dict):
    return client.post(url, data={**data, "csrf_token": csrf(client, url)})


def test_admin_creates_enterprise_with_normalised_code_audited(client, admin, sectors,
                                                               db_session):
    typed = " ".join([CODES[5][:9].lower(), CODES[5][9:]])
    reply = post_form(client, "/console/enterprises/new", form_data(sectors["hotels"], uscc=typed))
    assert reply.status_code == 302
    ent = db_session.scalars(select(Enterprise).where(Enterprise.name == "新开超市")).one()
    assert (ent.uscc, ent.customer_volume, ent.revenue, ent.active) == (CODES[5], 1200, 35.5, True)
    (entry,) = audit_entries(db_session, "create")
    assert entry.user_id == admin.id and entry.entity_id == str(ent.id) and entry.before is None
    assert entry.after["uscc"] == CODES[5]


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"uscc": CODES[5][:-1] + ("0" if CODES[5][-1] != "0" else "1")}, "校验码（第18位）不符"),
     ({"uscc": "12345"}, "应为18位"),
     ({"uscc": ""}, "请输入统一社会信用代码"),
     ({"name": "  "}, "请输入名称"),
     ({"customer_volume": "-3"}, "不能为负数"),
     ({"revenue": "很多"}, "不是数字"),
     ({"revenue": "inf"}, "不是数字")],
)
def test_bad_create_is_refused_with_reason(client, admin, sectors, db_session, changes, message):
    before = enterprise_count(db_session)
    reply = post_form(client, "/console/enterprises/new", form_data(sectors["hotels"], **changes))
    assert reply.status_code == 200
    assert message in reply.get_data(as_text=True)
    assert enterprise_count(db_session) == before
    assert not audit_entries(db_session, "create")


def test_duplicate_code_is_refused(client, admin, make_enterprise, sectors, db_session):
    make_enterprise("老字号饭店", CODES[5])
    reply = post_form(client, "/console/enterprises/new", form_data(sectors["hotels"]))
    assert "已登记" in reply.get_data(as_text=True) and "老字号饭店" in reply.get_data(as_text=True)
    assert enterprise_count(db_session) == 1


def test_edit_is_audited_with_before_and_after(client, admin, make_enterprise, db_session):
    ent = make_enterprise(revenue=10.0)
    url = f"/console/enterprises/{ent.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'value="10"' in page  # whole numbers without ".0"
    data = form_data(ent.sector, name=ent.name, uscc=ent.uscc, street="拥政街道", revenue="12",
                     customer_volume="", active=None)
    assert post_form(client, url, data).status_code == 302
    db_session.expire_all()
    ent = db_session.get(Enterprise, ent.id)
    assert (ent.street, ent.revenue, ent.active) == ("拥政街道", 12.0, False)
    (entry,) = audit_entries(db_session, "update")
    assert entry.before["street"] == "友谊街道" and entry.after["street"] == "拥政街道"
    assert entry.before["active"] is True and entry.after["active"] is False


def test_edit_cannot_take_another_enterprises_code(client, admin, make_enterprise, db_session):
    make_enterprise("甲", CODES[0])
    other = make_enterprise("乙", CODES[1])
    url = f"/console/enterprises/{other.id}"
    reply = post_form(client, url, form_data(other.sector, name="乙", uscc=CODES[0]))
    assert reply.status_code == 200 and "已登记" in reply.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Enterprise, other.id).uscc == CODES[1]
    assert not audit_entries(db_session, "update")


def test_unknown_enterprise_is_404(client, admin):
    assert client.get("/console/enterprises/999999").status_code == 404


# ---- import ---------------------------------------------------------------------------------


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)  # as Excel writes it: quoted where needed, CRLF
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list], path) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path.read_bytes()


def upload(client, filename: str, data: bytes):
    token = csrf(client, "/console/enterprises/import")
    return client.post("/console/enterprises/import", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), filename), "csrf_token": token})


def upload_id(html: str) -> str:
    return re.search(r'name="upload_id" type="hidden" value="([^"]+)"', html).group(1)


def confirm(client, ident: str, **extra):
    token = csrf(client, "/console/enterprises/import")
    return client.post("/console/enterprises/import/confirm",
                       data={"upload_id": ident, "csrf_token": token, **extra})


def stored_files(app) -> list:
    folder = app.config["IMPORT_UPLOAD_DIR"]
    return sorted(p.name for p in Path(folder).glob("*"))


GOOD_ROWS = [
    ["老字号饭店", CODES[10], "catering", "友谊街道", "12000", "350.5"],
    ["海景酒店", CODES[11].lower(), "住宿", "金石滩街道", "1,500", ""],
    ["=1+2", CODES[12], "HOTELS", "", "", "0"],
]


@pytest.mark.parametrize(
    ("filename", "encoding", "header"),
    [("企业名单.csv", "utf-8-sig", CN_HEADER), ("list.csv", "utf-8", EN_HEADER),
     ("gbk.csv", "gbk", CN_HEADER), ("gb18030.csv", "gb18030", EN_HEADER)],
)
def test_good_csv_is_previewed_then_imported(client, admin, app, sectors, db_session,
                                             filename, encoding, header):
    reply = upload(client, filename, csv_bytes([header, *GOOD_ROWS], encoding))
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200 and "有效 3 行" in html
    assert enterprise_count(db_session) == 0  # the preview saves nothing
    assert len(stored_files(app)) == 2
    assert confirm(client, upload_id(html)).status_code == 302
    imported = {e.uscc: e for e in registered(db_session)}
    assert set(imported) == set(CODES[10:13])
    assert imported[CODES[10]].customer_volume == 12000 and imported[CODES[10]].revenue == 350.5
    assert imported[CODES[11]].sector.code == "hotels" and imported[CODES[11]].revenue is None
    assert imported[CODES[11]].customer_volume == 1500
    assert imported[CODES[12]].name == "=1+2"  # stored as typed, never evaluated
    (entry,) = audit_entries(db_session, "import")
    assert entry.after == {"file": filename, "count": 3, "skipped": 0}
    assert entry.user_id == admin.id
    assert stored_files(app) == []


def test_good_xlsx_is_imported_with_cells_as_typed(client, admin, sectors, db_session,
                                                  tmp_path):
    rows = [CN_HEADER, ["老字号饭店", CODES[20], "餐饮", "友谊街道", 12000, 350.5],
            [None, None, None, None, None, None],
            ["=HYPERLINK(\"http://x.test\",\"点我\")", CODES[21], "hotels", "@街道", 7, 0],
            ["+86 餐厅", CODES[22], "catering", "-", None, None]]
    reply = upload(client, "名单.xlsx", xlsx_bytes(rows, tmp_path / "good.xlsx"))
    html = reply.get_data(as_text=True)
    assert "有效 3 行" in html
    confirm(client, upload_id(html))
    imported = {e.uscc: e for e in registered(db_session)}
    assert imported[CODES[20]].customer_volume == 12000 and imported[CODES[20]].revenue == 350.5
    assert imported[CODES[21]].name == '=HYPERLINK("http://x.test","点我")'
    assert imported[CODES[21]].street == "@街道"
    assert (imported[CODES[22]].name, imported[CODES[22]].street) == ("+86 餐厅", "-")
    assert audit_entries(db_session, "import")[0].after["count"] == 3


BAD_ROWS = [
    ["好企业甲", CODES[30], "catering", "友谊街道", "10", "1"],  # row 2: valid
    ["坏代码", CODES[31][:-1] + ("0" if CODES[31][-1] != "0" else "1"), "catering", "", "", ""],
    ["未知行业", CODES[32], "美容美发", "", "", ""],  # row 4
    ["文件内重复", CODES[30], "catering", "", "", ""],  # row 5
    ["已登记", CODES[0], "catering", "", "", ""],  # row 6
    ["", CODES[33], "catering", "", "", ""],  # row 7: missing name
    ["非数字", CODES[34], "catering", "", "很多", ""],  # row 8
    ["负数", CODES[35], "catering", "", "", "-5"],  # row 9
    ["坏名单", "BAD", "<script>alert(1)</script>", "", "", ""],  # row 10
    ["好企业乙", CODES[36], "住宿", "", "", ""],  # row 11: valid
]
EXPECTED = [(3, "校验码（第18位）不符"), (4, "未知行业"), (5, "与第 2 行的统一社会信用代码相同"),
            (6, "已登记"), (7, "不能为空"), (8, "不是数字"), (9, "不能为负数"), (10, "应为18位")]


def test_file_with_errors_is_reported_and_nothing_imported(client, admin, make_enterprise,
                                                           db_session, app):
    make_enterprise("老字号饭店", CODES[0])
    reply = upload(client, "bad.csv", csv_bytes([CN_HEADER, *BAD_ROWS]))
    html = reply.get_data(as_text=True)
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td>[^<]*</td><td><code>.*?</code></td>'
                      r"<td>([^<]*)</td></tr>", html)
    for number, message in EXPECTED:
        assert any(int(n) == number and message in m for n, m in rows), (number, message)
    assert {int(n) for n, _m in rows} == {n for n, _m in EXPECTED}
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert enterprise_count(db_session) == 1

    refused = confirm(client, upload_id(html))  # without ticking "only the valid rows"
    assert refused.status_code == 400 and "未导入" in refused.get_data(as_text=True)
    assert enterprise_count(db_session) == 1 and not audit_entries(db_session, "import")

    assert confirm(client, upload_id(html), only_valid="y").status_code == 302
    names = {e.name for e in registered(db_session)}
    assert names == {"老字号饭店", "好企业甲", "好企业乙"}
    (entry,) = audit_entries(db_session, "import")
    assert entry.after == {"file": "bad.csv", "count": 2, "skipped": 8}
    assert stored_files(app) == []


def make_bad(kind: str, tmp_path) -> tuple[str, bytes]:
    header_only = csv_bytes([CN_HEADER])
    return {
        "broken xlsx": ("名单.xlsx", b"PK\x03\x04" + b"\x00garbage" * 50),
        "xlsx that is not a zip": ("名单.xlsx", b"just some text, not a workbook"),
        "truncated xlsx": ("名单.xlsx", xlsx_bytes([CN_HEADER], tmp_path / "t.xlsx")[:300]),
        "image": ("logo.png", b"\x89PNG\r\n\x1a\n" + bytes(100)),
        "binary csv": ("data.csv", b"\x00\x01\x02 binary"),
        "empty": ("empty.csv", b""),
        "header only": ("header.csv", header_only),
        "missing columns": ("cols.csv", csv_bytes([["名称", "街道"], ["甲", "友谊街道"]])),
        "too many rows": ("big.csv", csv_bytes([CN_HEADER, *[GOOD_ROWS[0]] * 6])),
    }[kind]


@pytest.mark.parametrize(
    ("kind", "message"),
    [("broken xlsx", "无法读取"), ("xlsx that is not a zip", "无法读取"),
     ("truncated xlsx", "无法读取"), ("image", ".xlsx"), ("binary csv", ".xlsx"),
     ("empty", "文件为空"), ("header only", "文件为空"),
     ("missing columns", "统一社会信用代码、行业"), ("too many rows", "超过 5 行")],
)
def test_unusable_file_gets_a_clear_message_and_changes_nothing(client, admin, app, sectors,
                                                                db_session, tmp_path, kind,
                                                                message):
    app.config["IMPORT_MAX_ROWS"] = 5
    filename, data = make_bad(kind, tmp_path)
    reply = upload(client, filename, data)
    assert reply.status_code == 400
    assert message in reply.get_data(as_text=True)
    assert enterprise_count(db_session) == 0 and stored_files(app) == []
    assert not audit_entries(db_session, "import")


def test_workbook_that_inflates_too_much_is_refused(monkeypatch, tmp_path):
    monkeypatch.setattr(imports, "MAX_UNPACKED_BYTES", 1000)
    data = xlsx_bytes([CN_HEADER, *[GOOD_ROWS[0]] * 50], tmp_path / "big.xlsx")
    with pytest.raises(imports.ImportFileError, match="too_large"):
        imports.read_table("big.xlsx", data, max_rows=100)


def test_admin_may_upload_more_than_the_respondent_limit(client, admin, app, sectors):
    rows = [[f"大连市甘井子区某某餐饮管理有限公司第{n}分店", make_code("210213", f"MB{n:06d}"),
             "catering", "友谊街道", "10", "1"]
            for n in range(3000)]
    data = csv_bytes([CN_HEADER, *rows])
    assert len(data) > app.config["MAX_CONTENT_LENGTH"]
    reply = upload(client, "big.csv", data)
    assert reply.status_code == 200 and "有效 3000 行" in reply.get_data(as_text=True)


def test_analyst_cannot_send_a_large_body(client, log_in, app):
    log_in("analyst")
    token = csrf(client, "/console/enterprises")
    body = {"file": (io.BytesIO(b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)), "a.csv"),
            "csrf_token": token}
    reply = client.post("/console/enterprises/import", data=body,
                        content_type="multipart/form-data")
    assert reply.status_code == 413


def test_missing_file_is_refused(client, admin):
    token = csrf(client, "/console/enterprises/import")
    reply = client.post("/console/enterprises/import", data={"csrf_token": token})
    assert reply.status_code == 400 and "请选择文件" in reply.get_data(as_text=True)


def test_cancel_deletes_the_upload(client, admin, app, sectors, db_session):
    html = upload(client, "a.csv", csv_bytes([CN_HEADER, GOOD_ROWS[0]])).get_data(as_text=True)
    assert confirm(client, upload_id(html), cancel="y").status_code == 302
    assert stored_files(app) == [] and enterprise_count(db_session) == 0
    assert confirm(client, upload_id(html)).status_code == 302  # gone: nothing to import
    assert enterprise_count(db_session) == 0


@pytest.mark.parametrize("ident", ["../../etc/passwd", "x" * 32, "", "a/b"])
def test_forged_upload_ids_import_nothing(client, admin, sectors, db_session, ident):
    reply = confirm(client, ident)
    assert reply.status_code == 302 and reply.headers["Location"].endswith("/import")
    assert enterprise_count(db_session) == 0


def test_another_admin_cannot_confirm_my_upload(client, admin, app, sectors, db_session):
    html = upload(client, "a.csv", csv_bytes([CN_HEADER, GOOD_ROWS[0]])).get_data(as_text=True)
    other = app.test_client()
    db_session.add(User(email="other@bureau.test", role="admin",
                        password_hash=hash_password(PASSWORD)))
    db_session.commit()
    login(other, "other@bureau.test")
    confirm(other, upload_id(html))
    assert enterprise_count(db_session) == 0


def test_file_is_revalidated_at_confirmation(client, admin, make_enterprise, db_session):
    html = upload(client, "a.csv", csv_bytes([CN_HEADER, GOOD_ROWS[0]])).get_data(as_text=True)
    make_enterprise("抢先登记", CODES[10])  # registered between preview and confirmation
    assert confirm(client, upload_id(html)).status_code == 400
    assert enterprise_count(db_session) == 1


# ---- the pure parts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text"),
    [("名称".encode("utf-8-sig"), "名称"), ("名称".encode(), "名称"),
     ("名称".encode("gbk"), "名称"), ("名称".encode("utf-16"), "名称")],
)
def test_csv_decoding(data, text):
    assert imports.decode_csv(data) == text


@pytest.mark.parametrize(
    ("text", "value", "problem"),
    [("1,234", 1234.0, None), ("１２", 12.0, None), (" 0 ", 0.0, None), ("", None, None),
     ("-1", None, "negative"), ("abc", None, "not_a_number"), ("nan", None, "not_a_number"),
     ("=1+2", None, "not_a_number")],
)
def test_amounts(text, value, problem):
    found = []
    assert imports._amount(text, "revenue", lambda _c, code, _d="": found.append(code)) == value
    assert found == ([problem] if problem else [])


def test_header_aliases_and_duplicates():
    assert imports.columns(["Name", " 统一社会信用代码 ", "行业", "备注"]) == {
        "name": 0, "uscc": 1, "sector": 2}
    with pytest.raises(imports.ImportFileError, match="duplicate_column"):
        imports.columns(["名称", "name", "uscc", "sector"])


@pytest.mark.parametrize(
    "code", ["123", "91350100M000100Y4I", "H1350100M000100Y43", "91350100M000100Y53",
             "91350100M000100Y44"],
)
def test_every_uscc_problem_has_a_translation(code):
    assert uscc.problem(code) in USCC_PROBLEMS


def test_pages_render_in_english(client, admin, make_enterprise):
    ent = make_enterprise()
    assert "Unified social credit code" in client.get(
        "/console/enterprises?lang=en").get_data(as_text=True)
    assert "Street or park" in client.get(f"/console/enterprises/{ent.id}").get_data(as_text=True)
    reply = upload(client, "a.csv", csv_bytes([EN_HEADER, ["x", "BAD", "nope", "", "-1", ""]]))
    html = reply.get_data(as_text=True)
    assert "must be 18 characters" in html and "Unknown sector" in html
    assert "Must be zero or more." in html
