"""Console imports of housing projects and product lines: preview, row errors, confirmation."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from console import unit_imports
from survey.model import AuditEntry, Category, CollectionLink, Enterprise, Organisation, Sector
from survey.ops.uscc import make_code
from tests.test_console import csrf
from tests.test_console_enterprises import (  # noqa: F401  (fixtures)
    admin,
    csv_bytes,
    log_in,
    make_enterprise,
    sectors,
    stored_files,
    upload_id,
    xlsx_bytes,
)

DEV, BUILDER, MAKER, OTHER = (make_code("210213", f"MB{n:06d}") for n in range(1, 5))
BAD_CODE = DEV[:-1] + ("0" if DEV[-1] != "0" else "1")
HOUSING_HEADER = ["楼盘名称", "开发商统一社会信用代码", "开发商", "施工单位统一社会信用代码",
                  "施工单位", "街道", "户数", "交付日期"]
PRODUCT_HEADER = ["生产企业统一社会信用代码", "生产企业", "品牌", "产品类别", "产品线"]


@pytest.fixture
def unit_sectors(db_session):
    """The housing sector and the four product sectors, in their families' categories."""
    construction = Category(code="construction", name_zh="建设工程", name_en="Construction",
                            target=0, family="construction", target_kind="improvement")
    products = Category(code="products", name_zh="民生产品", name_en="Consumer products",
                        target=80, family="product", target_kind="share")
    rows = [Sector(code="housing", name_zh="住宅", name_en="Housing", category=construction,
                   instrument_code="housing")]
    names = {"product_food": ("食品", "Food"), "product_appliance": ("家用电器", "Appliances"),
             "product_children": ("儿童用品", "Children's products"),
             "product_building": ("建材", "Building materials")}
    rows += [Sector(code=code, name_zh=zh, name_en=en, category=products, instrument_code=code)
             for code, (zh, en) in names.items()]
    db_session.add_all(rows)
    db_session.commit()
    return {s.code: s for s in rows}


def upload(client, kind: str, filename: str, data: bytes):
    import io

    token = csrf(client, f"/console/units/import/{kind}")
    return client.post(f"/console/units/import/{kind}", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), filename), "csrf_token": token})


def confirm(client, kind: str, ident: str, **extra):
    token = csrf(client, f"/console/units/import/{kind}")
    return client.post(f"/console/units/import/{kind}/confirm",
                       data={"upload_id": ident, "csrf_token": token, **extra})


def units(db_session, kind: str) -> list[Enterprise]:
    db_session.rollback()  # see what the app committed
    return db_session.scalars(select(Enterprise).where(Enterprise.kind == kind)
                              .order_by(Enterprise.id)).all()


def count(db_session, model) -> int:
    db_session.rollback()
    return db_session.scalar(select(func.count()).select_from(model))


def problems_of(html: str) -> list[tuple[int, str, str]]:
    """(row, column, message) of every row of the preview's error table."""
    table = html.split('class="problems"', 1)[1].split("</table>", 1)[0]
    return [(int(n), col, msg) for n, col, msg in re.findall(
        r'<tr><td class="num">(\d+)</td><td>([^<]*)</td><td><code>.*?</code></td>'
        r"<td>([^<]*)</td></tr>", table)]


HOUSING_ROWS = [
    ["海韵花园", DEV, "大连海韵置业有限公司", BUILDER, "中建八局", "友谊街道", "480", "2025-06-30"],
    ["星海湾一期", DEV, "", "", "", "星海街道", "1,200", "2024/12/1"],
]


@pytest.mark.parametrize(("filename", "encoding"), [("楼盘.csv", "utf-8-sig"),
                                                    ("gbk.csv", "gbk"), ("plain.csv", "utf-8")])
def test_housing_projects_are_previewed_then_imported_with_their_organisations(
        client, admin, unit_sectors, db_session, app, filename, encoding):  # noqa: F811
    reply = upload(client, "housing_project", filename,
                   csv_bytes([HOUSING_HEADER, *HOUSING_ROWS], encoding))
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200 and "有效 2 行" in html and "海韵花园" in html
    assert count(db_session, Enterprise) == 0 and count(db_session, Organisation) == 0
    assert confirm(client, "housing_project", upload_id(html)).status_code == 302
    first, second = units(db_session, "housing_project")
    assert (first.name, first.street, first.dwellings) == ("海韵花园", "友谊街道", 480)
    assert first.delivered_on == dt.date(2025, 6, 30) and first.uscc is None
    assert first.owner.uscc == DEV and first.owner.name == "大连海韵置业有限公司"
    assert first.builder.uscc == BUILDER and first.builder.name == "中建八局"
    assert first.sector.code == "housing"
    assert second.owner_id == first.owner_id and second.builder_id is None
    assert (second.dwellings, second.delivered_on) == (1200, dt.date(2024, 12, 1))
    assert stored_files(app) == []
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "import"))
    assert entry.entity == "housing_project" and entry.after["added"] == 2


def test_reimporting_updates_by_natural_key_and_adds_nothing(client, admin, unit_sectors,  # noqa: F811
                                                             db_session, tmp_path):
    data = xlsx_bytes([HOUSING_HEADER, *HOUSING_ROWS], tmp_path / "a.xlsx")
    html = upload(client, "housing_project", "a.xlsx", data).get_data(as_text=True)
    confirm(client, "housing_project", upload_id(html))
    changed = [list(HOUSING_ROWS[0]), list(HOUSING_ROWS[1])]
    changed[0][6] = "500"
    changed[1][0] = " 星海湾一期 "  # as typed with blanks: still the same project
    data = xlsx_bytes([HOUSING_HEADER, *changed], tmp_path / "b.xlsx")
    html = upload(client, "housing_project", "b.xlsx", data).get_data(as_text=True)
    assert "2 行更新已登记的单位" in html
    confirm(client, "housing_project", upload_id(html))
    rows = units(db_session, "housing_project")
    assert len(rows) == 2 and rows[0].dwellings == 500
    assert count(db_session, Organisation) == 2
    entries = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "import")).all()
    assert [(e.after["added"], e.after["updated"]) for e in entries] == [(2, 0), (0, 2)]


BAD_HOUSING = [
    ["好楼盘", DEV, "开发商甲", "", "", "友谊街道", "100", "2025-01-01"],   # 2: valid
    ["坏代码", BAD_CODE, "开发商乙", "", "", "", "", ""],                    # 3
    ["", DEV, "", "", "", "", "", ""],                                       # 4
    ["非数字", DEV, "", "", "", "", "一百", ""],                             # 5
    ["坏日期", DEV, "", "", "", "", "", "2025-02-30"],                       # 6
    ["好楼盘", DEV, "", "", "", "友谊街道", "", ""],                         # 7: same key as 2
    ["无名开发商", OTHER, "", "", "", "", "", ""],                           # 8
    ["半户", DEV, "", "", "", "", "12.5", ""],                               # 9
]
EXPECTED_HOUSING = [
    (3, "开发商统一社会信用代码", "校验码"), (4, "名称", "不能为空"), (5, "户数", "不是整数"),
    (6, "交付日期", "不是日期"), (7, "名称", "第 2 行"), (8, "开发商", "请在名称列"),
    (9, "户数", "不是整数"),
]


def test_bad_housing_rows_are_reported_and_never_half_written(client, admin, unit_sectors,  # noqa: F811
                                                              db_session):
    reply = upload(client, "housing_project", "bad.csv",
                   csv_bytes([HOUSING_HEADER, *BAD_HOUSING]))
    html = reply.get_data(as_text=True)
    found = problems_of(html)
    for row, column, words in EXPECTED_HOUSING:
        assert any(r == row and c == column and words in m for r, c, m in found), (row, found)
    assert {r for r, _c, _m in found} == {r for r, _c, _m in EXPECTED_HOUSING}
    refused = confirm(client, "housing_project", upload_id(html))
    assert refused.status_code == 400 and "未导入" in refused.get_data(as_text=True)
    assert count(db_session, Enterprise) == 0 and count(db_session, Organisation) == 0
    assert confirm(client, "housing_project", upload_id(html), only_valid="y").status_code == 302
    (unit,) = units(db_session, "housing_project")
    assert unit.name == "好楼盘" and count(db_session, Organisation) == 1  # not 开发商乙


PRODUCT_ROWS = [
    [MAKER, "大连美味食品有限公司", "海之味", "product_food", "即食海参"],
    [MAKER, "", "海之味", "食品", "海苔"],
    [OTHER, "大连宝宝用品厂", "乐童", "Children's products", "儿童座椅"],
]


def test_product_lines_are_imported_with_their_manufacturer(client, admin, unit_sectors,  # noqa: F811
                                                            db_session, tmp_path):
    data = xlsx_bytes([PRODUCT_HEADER, *PRODUCT_ROWS], tmp_path / "p.xlsx")
    html = upload(client, "product_line", "产品.xlsx", data).get_data(as_text=True)
    assert "有效 3 行" in html
    assert confirm(client, "product_line", upload_id(html)).status_code == 302
    rows = units(db_session, "product_line")
    assert [(u.name, u.brand, u.product_category, u.sector.code) for u in rows] == [
        ("即食海参", "海之味", "product_food", "product_food"),
        ("海苔", "海之味", "product_food", "product_food"),
        ("儿童座椅", "乐童", "product_children", "product_children")]
    assert rows[0].owner.uscc == MAKER and rows[2].owner.name == "大连宝宝用品厂"
    assert all(u.uscc is None and u.builder_id is None for u in rows)
    html = upload(client, "product_line", "again.csv",
                  csv_bytes([PRODUCT_HEADER, *PRODUCT_ROWS], "gbk")).get_data(as_text=True)
    confirm(client, "product_line", upload_id(html))
    assert len(units(db_session, "product_line")) == 3


def test_bad_product_rows_are_reported(client, admin, unit_sectors, db_session):  # noqa: F811
    rows = [PRODUCT_ROWS[0],
            [MAKER, "", "海之味", "product_toys", "玩具"],          # 3: unknown category
            [BAD_CODE, "某厂", "某牌", "product_food", "某品"],     # 4: bad code
            [MAKER, "", "", "product_food", "无品牌"],              # 5: missing brand
            [MAKER, "", "海之味", "product_food", "即食海参"]]      # 6: duplicate of 2
    html = upload(client, "product_line", "bad.csv",
                  csv_bytes([PRODUCT_HEADER, *rows])).get_data(as_text=True)
    found = {(r, c) for r, c, _m in problems_of(html)}
    assert found == {(3, "产品类别"), (4, "生产企业统一社会信用代码"), (5, "品牌"), (6, "名称")}
    assert "product_food, product_appliance" in html
    assert count(db_session, Enterprise) == 0


def test_missing_columns_and_missing_sector_are_file_errors(client, admin, db_session):  # noqa: F811
    reply = upload(client, "product_line", "x.csv", csv_bytes([["品牌", "产品线"], ["a", "b"]]))
    assert reply.status_code == 400 and "生产企业统一社会信用代码" in reply.get_data(as_text=True)
    reply = upload(client, "housing_project", "x.csv", csv_bytes([HOUSING_HEADER, HOUSING_ROWS[0]]))
    assert reply.status_code == 400 and "housing" in reply.get_data(as_text=True)
    assert count(db_session, Enterprise) == 0


def test_only_admins_may_import_units(client, log_in):  # noqa: F811
    log_in("analyst")
    assert client.get("/console/units/import/housing_project").status_code == 403


def test_import_pages_render_in_english(client, admin, unit_sectors):  # noqa: F811
    reply = client.get("/console/units/import/product_line?lang=en")
    body = reply.get_data(as_text=True)
    assert reply.status_code == 200 and "Import product lines" in body


def test_check_units_reads_dates_and_dwellings():
    table = [(1, ["name", "developer_uscc", "developer_name", "dwellings", "delivery_date"]),
             (2, ["甲", DEV, "开发商", "0", "2025年6月30日"]),
             (3, ["乙", DEV, "", "99", "2025-06-30T00:00:00"])]
    report = unit_imports.check_units(unit_imports.HOUSING, table, {})
    assert [(p.row, p.column, p.code) for p in report.problems] == [(2, "dwellings",
                                                                     "out_of_range")]
    assert report.rows[0].delivered_on == dt.date(2025, 6, 30) and report.rows[0].dwellings == 99


@pytest.mark.parametrize(("kind", "call"), [("housing_project", "扫码评价该楼盘"),
                                            ("product_line", "扫码评价该产品")])
def test_imported_units_get_links_and_posters_in_their_own_words(
        client, admin, unit_sectors, db_session, make_wave, kind, call):  # noqa: F811
    from tests.test_console_collection import pdf_text

    rows = HOUSING_ROWS[:1] if kind == "housing_project" else PRODUCT_ROWS[:1]
    header = HOUSING_HEADER if kind == "housing_project" else PRODUCT_HEADER
    html = upload(client, kind, "u.csv", csv_bytes([header, *rows])).get_data(as_text=True)
    confirm(client, kind, upload_id(html))
    (unit,) = units(db_session, kind)
    wave = make_wave()
    token = csrf(client, f"/console/waves/{wave.id}/links")
    reply = client.post(f"/console/waves/{wave.id}/links",
                        data={"enterprise_id": unit.id, "location": "售楼处", "csrf_token": token})
    assert reply.status_code == 303
    db_session.rollback()
    link = db_session.scalar(select(CollectionLink).where(CollectionLink.enterprise_id == unit.id))
    text = pdf_text(client.get(f"/console/links/{link.id}/poster.pdf").data)
    assert call in text and unit.name in text and "服务业" not in text


def test_an_imported_unit_is_edited_without_a_credit_code(client, admin, unit_sectors,  # noqa: F811
                                                          db_session):
    html = upload(client, "housing_project", "u.csv",
                  csv_bytes([HOUSING_HEADER, HOUSING_ROWS[0]])).get_data(as_text=True)
    confirm(client, "housing_project", upload_id(html))
    (unit,) = units(db_session, "housing_project")
    url = f"/console/enterprises/{unit.id}"
    data = {"kind": "housing_project", "name": "海韵花园二期", "uscc": "",
            "sector_id": str(unit.sector_id), "street": "友谊街道", "active": "y",
            "owner_uscc": DEV, "builder_uscc": BUILDER, "dwellings": "480",
            "delivered_on": "2025-06-30", "csrf_token": csrf(client, url)}
    assert client.post(url, data=data).status_code == 302
    (unit,) = units(db_session, "housing_project")
    assert unit.name == "海韵花园二期" and unit.uscc is None and unit.owner.uscc == DEV
    assert count(db_session, Organisation) == 2  # the edit reuses the imported organisations
    data["uscc"], data["csrf_token"] = BAD_CODE, csrf(client, url)
    assert "统一社会信用代码无效" in client.post(url, data=data).get_data(as_text=True)
