"""The demo's families: services, consumer products and construction works with their
targets; `flask compute` prints their verdicts and the bulletin has a section per family."""

from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import func, select

from reports import bulletin_html, bulletin_pdf
from survey import db as survey_db
from survey.demo import family_spec
from survey.model import (
    Category,
    DwellingUse,
    Enterprise,
    Organisation,
    ReceiptBatch,
    Sector,
    Wave,
)
from survey.ops import publish
from survey.ops.compute import latest_result, parsed
from survey.ops.uscc import is_valid


def test_demo_has_the_three_families_and_their_target_kinds(demo):
    cats = {c.code: c for c in demo.scalars(select(Category))}
    assert {c: (cats[c].family, cats[c].target_kind) for c in cats} == {
        "producer": ("service", "threshold"), "consumer": ("service", "threshold"),
        "products": ("product", "share"), "construction": ("construction", "improvement")}
    assert cats["products"].target == 80.0 and "illustrative" in cats["products"].target_source
    assert "住宅质量" in cats["construction"].target_source
    assert cats["construction"].baseline_wave.code == "2026Q3"
    sectors = {s.code: s.category.code for s in demo.scalars(select(Sector))}
    assert {sectors[c] for c in ("postal", "telecom", "health")} == {"consumer"}
    assert {c for c, cat in sectors.items() if cat == "products"} == {
        "product_food", "product_appliance", "product_children", "product_building"}
    assert {c for c, cat in sectors.items() if cat == "construction"} == {
        "housing", "public_works"}


def test_demo_housing_projects_have_developers_builders_and_dwelling_codes(demo):
    projects = demo.scalars(select(Enterprise).where(Enterprise.kind == "housing_project")).all()
    assert len(projects) >= 6
    for p in projects:
        assert p.owner is not None and p.builder is not None and p.uscc is None
        assert p.street and p.dwellings > 0 and p.delivered_on is not None
    assert all(is_valid(o.uscc) for o in demo.scalars(select(Organisation)))
    open_wave = demo.scalars(select(Wave).where(Wave.status == "open")).one()
    issued = demo.scalars(select(ReceiptBatch).join(Enterprise).where(
        ReceiptBatch.wave_id == open_wave.id, Enterprise.kind == "housing_project")).all()
    assert {b.enterprise_id for b in issued} == {p.id for p in projects}
    assert all(len(b.dwelling_labels) == b.issued for b in issued)
    assert sum(b.issued for b in issued) == sum(p.dwellings for p in projects)
    # One response per dwelling and wave.
    uses = demo.execute(select(DwellingUse.enterprise_id, DwellingUse.wave_id,
                               func.count(), func.count(func.distinct(DwellingUse.label)))
                        .group_by(DwellingUse.enterprise_id, DwellingUse.wave_id)).all()
    assert uses and all(n == distinct for _e, _w, n, distinct in uses)
    assert demo.scalar(select(func.count()).select_from(Enterprise)
                       .where(Enterprise.kind == "public_work")) >= 2


def test_demo_product_lines_belong_to_manufacturers(demo):
    lines = demo.scalars(select(Enterprise).where(Enterprise.kind == "product_line")).all()
    assert {line.sector.code for line in lines} == {
        "product_food", "product_appliance", "product_children", "product_building"}
    assert all(line.owner and line.brand and line.product_category for line in lines)
    assert len({line.owner_id for line in lines}) >= 3


@pytest.fixture(scope="module")
def computed(demo_app):
    """`flask compute` of the baseline wave, then of the open wave (its output)."""
    runner = demo_app.test_cli_runner()
    base = runner.invoke(args=["compute", "--wave", "2026Q3"])
    assert base.exit_code == 0, base.output
    out = runner.invoke(args=["compute", "--wave", "2026Q4"])
    assert out.exit_code == 0, out.output
    return out.output


def _targets(demo_app):
    session = survey_db.session_scope(demo_app)
    try:
        wave = session.scalars(select(Wave).where(Wave.code == "2026Q4")).one()
        result = parsed(latest_result(session, wave).result_json)
        names = {e.id: e.name for e in session.scalars(select(Enterprise))}
    finally:
        session.close()
    t = result.tables["targets"]
    return t.assign(name=[names.get(int(u)) if lv == "enterprise" else u
                          for lv, u in zip(t["level"], t["unit"], strict=True)])


def test_compute_prints_product_and_construction_verdicts(computed, demo_app):
    assert "Consumer products index" in computed and "Construction works index" in computed
    assert "share of satisfied respondents" in computed and "improvement" in computed
    lines = {line.split()[1]: line for line in computed.splitlines()
             if line.startswith("enterprise ")}
    t = _targets(demo_app).set_index("name")
    for name in family_spec.IMPROVED:  # planted: 12-13 points up
        assert t.loc[name, "verdict"] == "met" and t.loc[name, "change"] > 5
        assert lines[name].split()[-1] == "met"
    flat = [t.loc[name, "verdict"] for name in family_spec.FLAT]
    assert flat.count("not_different") >= len(flat) - 1
    assert "not_different" in {lines[name].split()[-1] for name in family_spec.FLAT}
    shares = _targets(demo_app)
    shares = shares[shares["kind"] == "share"]
    assert set(shares["level"]) == {"category", "sector", "enterprise"}
    assert shares["estimate"].between(0, 100).all()


def test_bulletin_has_a_section_per_family(computed, demo_app):
    session = survey_db.session_scope(demo_app)
    try:
        wave = session.scalars(select(Wave).where(Wave.code == "2026Q4")).one()
        with demo_app.app_context():
            zh = publish.draft_context(session, wave, "zh_CN")
            en = publish.draft_context(session, wave, "en")
    finally:
        session.close()
    assert [f["key"] for f in zh["families"]] == ["product", "construction"]
    assert {g["code"] for g in zh["categories"]} == {"producer", "consumer"}
    html = bulletin_html(zh)
    for part in ('id="sectors"', 'id="family-product"', 'id="family-construction"',
                 "满意（8—10分）顾客占比不低于80%", "较基期显著提高", "基期指数", "海湾花园"):
        assert part in html
    english = bulletin_html(en)
    for part in ('id="family-product"', "share of satisfied respondents",
                 "significant improvement over the baseline wave", "Baseline"):
        assert part in english
    text = subprocess.run(["pdftotext", "-", "-"], input=bulletin_pdf(zh), capture_output=True,
                          check=True).stdout.decode()
    assert "民生产品满意度指数" in text and "建设工程满意度指数" in text
