"""The index bulletin: plain-data context, escaped HTML, a PDF with embedded CJK fonts."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import warnings

import pytest
from sqlalchemy import select
from weasyprint.urls import FatalURLFetchingError

from analysis import WaveResult, change
from reports import bulletin_context, bulletin_html, bulletin_pdf, families
from reports.charts import bulletin_charts, sector_chart
from reports.fmt import issue_label, signed
from reports.render import DataOnlyFetcher, RefusedURLError, html_to_pdf
from survey import db as survey_db
from survey.model import Wave
from survey.ops.compute import compute

pytestmark = pytest.mark.filterwarnings(r"error:Glyph .* missing:UserWarning")
GLYPH = r"Glyph .* missing"
ARGS = dict(wave_code="2026Q4", previous_code="2026Q3", issue_no=4,
            title="金普新区顾客满意度指数公报", date=dt.date(2026, 11, 30),
            district_name="金普新区")


@pytest.fixture(scope="module", autouse=True)
def mplconfig(tmp_path_factory):
    """A fresh matplotlib config and font cache (charts import matplotlib on first use)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MPLCONFIGDIR", str(tmp_path_factory.mktemp("mpl")))
        yield


@pytest.fixture(scope="module")
def waves(demo_app):
    """The demo district's two waves computed from the database: (2026Q3, 2026Q4)."""
    session = survey_db.session_scope(demo_app)
    try:
        found = {w.code: w for w in session.scalars(select(Wave)).all()}
        return compute(session, found["2026Q3"]), compute(session, found["2026Q4"])
    finally:
        session.close()


@pytest.fixture(scope="module")
def context(waves):
    previous, current = waves
    return bulletin_context(current, previous, **ARGS)


@pytest.fixture(scope="module")
def charts(context):
    with warnings.catch_warnings():
        warnings.filterwarnings("error", GLYPH)
        return bulletin_charts(context["charts"])


@pytest.fixture(scope="module")
def pdf_file(context, charts, tmp_path_factory):
    path = tmp_path_factory.mktemp("pdf") / "bulletin.pdf"
    with warnings.catch_warnings():
        warnings.filterwarnings("error", GLYPH)
        path.write_bytes(bulletin_pdf(context, charts))
    return path


def _run(*args) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout


@pytest.fixture(scope="module")
def pdf_text(pdf_file) -> str:
    """pdftotext output with all white space removed (lines may wrap anywhere)."""
    return re.sub(r"\s+", "", _run("pdftotext", str(pdf_file), "-"))


@pytest.fixture(scope="module")
def pdf_rows(pdf_file) -> list[str]:
    """The lines of ``pdftotext -layout`` without white space: table rows stay together."""
    return [re.sub(r"\s+", "", line)
            for line in _run("pdftotext", "-layout", str(pdf_file), "-").splitlines()]


def _with_table(result: WaveResult, name: str, frame) -> WaveResult:
    return WaveResult(tables={**result.tables, name: frame}, settings=result.settings,
                      provenance=result.provenance)


def _service_sectors(result: WaveResult):
    """The sectors of the service family (the main tables); the others have family sections."""
    sectors = result.tables["sectors"]
    return sectors[sectors["category"].isin(families.service_categories(result))]


def test_pdf_holds_the_chinese_headline_and_the_figures_of_the_result(waves, pdf_text,
                                                                       pdf_rows):
    _, result = waves
    d = result.tables["district"].iloc[0]
    for text in ("金普新区顾客满意度指数公报", "2026年第4期", "2026年11月30日", "目录",
                 "金普新区顾客满意度指数", f"{d['estimate']:.1f}",
                 f"{d['ci_low']:.1f}–{d['ci_high']:.1f}", "测评方法说明"):
        assert text in pdf_text, text
    services = set(families.service_categories(result))
    assert services == {"producer", "consumer"}
    for c in result.tables["categories"].to_dict("records"):
        if c["unit"] in services:
            assert f"{c['name_zh']}满意度指数为{c['estimate']:.1f}" in pdf_text
            assert f"目标值{c['target']:.0f}，判定结果：{c['verdict_zh']}" in pdf_text
    # The product and construction families have sections of their own, with their kind.
    for name in ("民生产品满意度指数为", "建设工程满意度指数为", "目标类型："):
        assert name in pdf_text, name
    for s in _service_sectors(result).to_dict("records"):
        figures = f"{s['estimate']:.1f}{s['ci_low']:.1f}–{s['ci_high']:.1f}{s['n']:.0f}"
        row = re.compile(re.escape(s["name_zh"]) + "※?" + re.escape(figures))  # ※: caution
        assert any(row.match(line) for line in pdf_rows), row.pattern


def test_pdf_embeds_every_font_with_a_real_bold_face(pdf_file):
    rows = _run("pdffonts", str(pdf_file)).splitlines()[2:]
    assert rows
    for row in rows:
        assert row.split()[-5] == "yes", row  # the emb column
    assert any("CJK-SC-Bold" in r for r in rows) and any("CJK-SC " in r for r in rows)


def test_draft_is_marked_and_a_final_bulletin_is_not(context, charts, pdf_text):
    assert "草稿·未正式发布" in pdf_text
    final = bulletin_html(dict(context, draft=False), charts)
    assert "草稿" not in final and 'class="draft-banner"' not in final


def test_names_from_the_data_are_escaped_in_html(waves, charts):
    previous, result = waves
    bad = "<script>alert(1)</script>"
    ent = result.tables["enterprises"].copy()
    ent.loc[ent["published"], "name"] = bad
    sectors = result.tables["sectors"].assign(name_zh=bad + "餐饮")
    tampered = _with_table(_with_table(result, "enterprises", ent), "sectors", sectors)
    ctx = bulletin_context(tampered, previous, **dict(ARGS, title=bad, district_name=bad))
    with warnings.catch_warnings():
        warnings.filterwarnings("error", GLYPH)
        html = bulletin_html(ctx)
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("url", ["file:///etc/passwd", "FILE:///etc/hostname",
                                 "http://example.com/x.css", "https://example.com/f.woff"])
def test_the_fetcher_refuses_everything_but_data_urls(url):
    with pytest.raises(RefusedURLError):
        DataOnlyFetcher().fetch(url)


def test_a_file_url_in_the_document_stops_the_pdf():
    html = '<html lang="zh-CN"><body><img src="file:///etc/hostname"></body></html>'
    with pytest.raises(FatalURLFetchingError):
        html_to_pdf(html)


def test_data_urls_are_fetched():
    response = DataOnlyFetcher().fetch("data:text/plain;base64,5YWs5oql")
    assert response.read() == "公报".encode()


def test_context_is_plain_data(context):
    assert json.loads(json.dumps(context, ensure_ascii=False)) == context


def test_targets_come_from_the_result_not_constants(waves):
    previous, result = waves
    cats = result.tables["categories"]
    cats = cats.assign(target=cats["unit"].map({"producer": 88.0, "consumer": 77.0})
                       .fillna(cats["target"]))
    ctx = bulletin_context(_with_table(result, "categories", cats), previous, **ARGS)
    assert [r["target"] for r in ctx["headline"][1:]] == ["88", "77"]


def test_sector_changes_are_those_of_analysis_change(waves, context):
    previous, result = waves
    c = change(previous, result)
    c = c[(c["level"] == "sector") & (c["construct"] == "satisfaction")].set_index("unit")
    rows = [r for g in context["categories"] for r in g["rows"]]
    assert len(rows) == len(_service_sectors(result)) == 17
    for r in rows:
        assert r["change"] == signed(c.loc[r["code"], "delta"])
        assert r["change_sig"] == c.loc[r["code"], "change_zh"]


def test_ranking_lists_only_published_enterprises_by_shrunk_estimate(waves, context):
    ent = waves[1].tables["enterprises"]
    ranked = [r for g in context["ranking"]["groups"] for r in g["rows"]]
    tied = [r for g in context["ranking"]["groups"] for r in g.get("unranked", [])]
    assert len(ranked) + len(tied) == int(ent["published"].sum()) > 0
    names = set(ent.loc[ent["published"], "name"])
    assert {r["name"] for r in ranked + tied} == names
    for g in context["ranking"]["groups"]:
        shrunk = [float(r["shrunk"]) for r in g["rows"]]
        assert shrunk == sorted(shrunk, reverse=True)


def test_trend_needs_more_than_one_wave(waves):
    ctx = bulletin_context(waves[1], **ARGS)
    assert ctx["charts"]["trend"] is None and ctx["previous_wave"] is None
    assert all(r["change"] == "—" for r in ctx["headline"])


@pytest.mark.parametrize(("issue_no", "expected"), [(4, "2026年第4期"), (12, "2026年第12期"),
                                                    ("2026年增刊", "2026年增刊")])
def test_issue_number_format(issue_no, expected):
    assert issue_label(issue_no, dt.date(2026, 11, 30)) == expected


def test_a_missing_glyph_is_an_error():
    group = {"name": "x", "target": 80.0, "rows": [
        {"name": "\U0001f600", "value": 80.0, "low": 78.0, "high": 82.0, "verdict_key": "met",
         "published": True}]}
    with pytest.raises(UserWarning, match="Glyph"), warnings.catch_warnings():
        warnings.filterwarnings("error", GLYPH)
        sector_chart(group)


def test_a_tied_sector_is_listed_without_ranks_or_a_leader(waves):
    previous, current = waves
    sectors = current.tables["sectors"].copy()
    ent = current.tables["enterprises"]
    code = ent.loc[ent["published"], "sector"].iloc[0]
    sectors["ranking_tied"] = sectors["unit"] == code
    ctx = bulletin_context(_with_table(current, "sectors", sectors), previous, **ARGS)
    name = sectors.loc[sectors["unit"] == code, "name_zh"].iloc[0]
    group = next(g for g in ctx["ranking"]["groups"] if g["sector"] == name)
    members = ent[(ent["sector"] == code) & ent["published"]]
    assert group["tied"] and group["rows"] == []
    assert [r["name"] for r in group["unranked"]] == sorted(members["name"])
    assert ctx["ranking"]["tied"] == len(members)


@pytest.mark.parametrize("locale, reason, fragment", [
    ("zh_CN", "到达量异常激增", "估计中"),
    ("en", "Improbable surge of arrivals", "In the estimator")])
def test_integrity_annex_speaks_the_edition_and_describes_the_stored_rule(locale, reason, fragment):
    from analysis import Settings
    from reports.integrity_annex import integrity_annex

    frozen = {"by_sector": [{"sector": "S", "reason": "surge", "held": 3, "released": 1}]}
    today = integrity_annex(frozen, Settings().to_dict(), locale)
    assert today["rows"][0]["reason"] == reason
    assert fragment in today["paragraph"] and "3" in today["paragraph"]  # squared CV 3
    before_quantile = Settings().to_dict()
    del before_quantile["influence_alpha"], before_quantile["influence_day_cv2"]
    former = integrity_annex(frozen, before_quantile, locale)["paragraph"]
    assert ("whichever is larger" in former) if locale == "en" else ("较大者" in former)
    assert "negative binomial around" not in former and "负二项分布，已考虑" not in former
    no_cap = Settings().to_dict()
    del no_cap["influence_cap"]
    assert fragment not in integrity_annex(frozen, no_cap, locale)["paragraph"]
