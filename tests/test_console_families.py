# ruff: noqa: F811  (fixtures imported from test_console_enterprises are used by name)
"""Console forms of issue 16: a category's family, target kind and baseline wave; a unit's
kind with its owner, builder, brand, product category, dwellings and delivery date."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from survey.model import AuditEntry, Category, ComputedResult, Enterprise, Organisation
from survey.ops.uscc import make_code
from tests.test_console import csrf
from tests.test_console_enterprises import (  # noqa: F401  (fixtures are used by name)
    CODES,
    admin,
    enterprise_count,
    log_in,
    make_enterprise,
    sectors,
)

DEVELOPER = make_code("210213", "MA0DEW01")
BUILDER = make_code("210213", "MA0BLD01")


@pytest.fixture
def waves(make_wave, db_session):
    """An earlier closed wave with a stored result, an earlier one without, and the latest."""
    today = dt.date.today()
    old = make_wave("2026Q2", status="closed", days=(-200, -120))
    bare = make_wave("2026Q1", status="closed", days=(-300, -210))
    latest = make_wave("2026Q4", status="open", days=(-30, 30))
    db_session.add(ComputedResult(wave=old, input_sha256="0" * 64, settings={},
                                  result_json="{}", code_version="test"))
    db_session.commit()
    assert old.closes_on < today
    return {"old": old, "bare": bare, "latest": latest}


def _post_category(client, category_id, **fields):
    url = f"/console/categories/{category_id}"
    data = {"family": "service", "target_kind": "threshold", "target": "80",
            "baseline_wave_id": "", "target_source": "规划", "weight": "1",
            "weight_source": "x"} | fields
    return client.post(url, data=data | {"csrf_token": csrf(client, url)})


def _category(db_session, category_id) -> Category:
    db_session.rollback()
    db_session.expire_all()
    return db_session.get(Category, category_id)


def test_category_form_explains_each_kind_of_target(client, admin, sectors):
    url = f"/console/categories/{sectors['catering'].category_id}"
    page = client.get(url).get_data(as_text=True)
    for word in ("指数类别", "目标类型", "显著", "满意率", "基期"):
        assert word in page


def test_share_target_of_a_product_category_is_saved_and_audited(client, admin, sectors,
                                                                 db_session):
    cid = sectors["catering"].category_id
    reply = _post_category(client, cid, family="product", target_kind="share", target="80")
    assert reply.status_code == 302
    category = _category(db_session, cid)
    assert (category.family, category.target_kind, category.target) == ("product", "share", 80)
    entry = db_session.scalars(select(AuditEntry)).one()
    assert entry.before["target_kind"] == "threshold" and entry.after["family"] == "product"


def test_improvement_target_with_an_earlier_computed_baseline_is_saved(client, admin, sectors,
                                                                       waves, db_session):
    cid = sectors["catering"].category_id
    reply = _post_category(client, cid, family="construction", target_kind="improvement",
                           target="0", baseline_wave_id=str(waves["old"].id))
    assert reply.status_code == 302
    category = _category(db_session, cid)
    assert (category.target_kind, category.target, category.baseline_wave_id) == (
        "improvement", 0, waves["old"].id)


@pytest.mark.parametrize(("fields", "message"), [
    ({"target_kind": "improvement"}, "基期"),
    ({"target_kind": "improvement", "baseline": "bare"}, "计算"),
    ({"target_kind": "improvement", "baseline": "latest"}, "较早"),
    ({"target_kind": "improvement", "baseline_wave_id": "abc"}, ""),
    ({"family": "weather"}, ""),
    ({"target_kind": "median"}, ""),
    ({"target": "120"}, ""),
])
def test_bad_category_settings_change_nothing(client, admin, sectors, waves, db_session,
                                              fields, message):
    cid = sectors["catering"].category_id
    if "baseline" in fields:
        fields = fields | {"baseline_wave_id": str(waves[fields.pop("baseline")].id)}
    reply = _post_category(client, cid, **fields)
    assert reply.status_code == 200
    assert 'class="err"' in reply.get_data(as_text=True)
    assert message in reply.get_data(as_text=True)
    category = _category(db_session, cid)
    assert (category.family, category.target_kind, category.baseline_wave_id) == (
        "service", "threshold", None)
    assert db_session.scalars(select(AuditEntry)).first() is None


def test_a_threshold_target_keeps_no_baseline(client, admin, sectors, waves, db_session):
    cid = sectors["catering"].category_id
    reply = _post_category(client, cid, baseline_wave_id=str(waves["old"].id))
    assert reply.status_code == 302
    assert _category(db_session, cid).baseline_wave_id is None


def _post_unit(client, sector_id, url="/console/enterprises/new", **fields):
    data = {"kind": "housing_project", "name": "海景花园", "uscc": "",
            "sector_id": str(sector_id), "street": "友谊街道", "owner_uscc": DEVELOPER,
            "owner_name": "某置业有限公司", "builder_uscc": "", "builder_name": "",
            "brand": "", "product_category": "", "dwellings": "120",
            "delivered_on": "2025-06-30", "active": "y"} | fields
    return client.post(url, data=data | {"csrf_token": csrf(client, url)})


def test_housing_project_without_a_credit_code_names_its_developer_and_builder(
        client, admin, sectors, db_session):
    db_session.add(Organisation(name="某建工集团", uscc=BUILDER))
    db_session.commit()
    reply = _post_unit(client, sectors["catering"].id, builder_uscc=BUILDER.lower())
    assert reply.status_code == 302
    reply = _post_unit(client, sectors["catering"].id, name="山语小区", dwellings="0")
    assert reply.status_code == 302  # a second unit without a code: no clash
    db_session.rollback()
    first = db_session.scalars(select(Enterprise).where(Enterprise.name == "海景花园")).one()
    assert (first.kind, first.uscc, first.dwellings, first.delivered_on) == (
        "housing_project", None, 120, dt.date(2025, 6, 30))
    assert (first.owner.uscc, first.owner.name, first.builder.name) == (
        DEVELOPER, "某置业有限公司", "某建工集团")
    assert db_session.scalar(select(Organisation).where(Organisation.uscc == DEVELOPER))
    page = client.get("/console/enterprises?kind=housing_project").get_data(as_text=True)
    assert "楼盘" in page and "海景花园" in page and "某置业有限公司" in page


def test_edit_form_shows_the_owner_by_credit_code(client, admin, sectors, db_session):
    owner = Organisation(name="某食品厂", uscc=DEVELOPER)
    unit = Enterprise(name="某牌酱油", kind="product_line", sector=sectors["catering"],
                      owner=owner, brand="海味", product_category="food")
    db_session.add(unit)
    db_session.commit()
    page = client.get(f"/console/enterprises/{unit.id}").get_data(as_text=True)
    assert DEVELOPER in page and "海味" in page
    reply = _post_unit(client, sectors["catering"].id, url=f"/console/enterprises/{unit.id}",
                       kind="product_line", name="某牌酱油", owner_name="", dwellings="",
                       delivered_on="", brand="海味", product_category="condiments")
    assert reply.status_code == 302
    db_session.rollback()
    db_session.expire_all()
    unit = db_session.get(Enterprise, unit.id)
    assert (unit.product_category, unit.owner_id, unit.dwellings) == ("condiments", owner.id,
                                                                      None)


@pytest.mark.parametrize(("fields", "message"), [
    ({"kind": "enterprise"}, "请输入统一社会信用代码"),
    ({"dwellings": "-1"}, ""),
    ({"dwellings": "abc"}, ""),
    ({"dwellings": "99999999999"}, ""),
    ({"delivered_on": "2025-13-45"}, ""),
    ({"owner_uscc": DEVELOPER[:-1] + ("0" if DEVELOPER[-1] != "0" else "1")}, ""),
    ({"owner_name": ""}, "名称"),
    ({"owner_uscc": "", "owner_name": ""}, "开发商或生产企业"),  # a project needs its developer
    ({"kind": "product_line", "owner_uscc": "", "owner_name": ""}, "开发商或生产企业"),
    ({"kind": "shop"}, ""),
    ({"uscc": "12345"}, ""),
])
def test_bad_unit_details_store_nothing(client, admin, sectors, db_session, fields, message):
    before = enterprise_count(db_session)
    reply = _post_unit(client, sectors["catering"].id, **fields)
    assert reply.status_code == 200
    html = reply.get_data(as_text=True)
    assert 'class="err"' in html and message in html
    assert enterprise_count(db_session) == before
    assert db_session.scalars(select(Organisation)).first() is None


def test_an_enterprise_still_needs_a_unique_credit_code(client, admin, sectors, make_enterprise,
                                                        db_session):
    make_enterprise(code=CODES[3])
    reply = _post_unit(client, sectors["catering"].id, kind="enterprise", uscc=CODES[3],
                       owner_uscc="", owner_name="")
    assert reply.status_code == 200 and "已" in reply.get_data(as_text=True)
