"""The bulletin's English edition, frozen with the Chinese one, and the landing page `/`."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, select, update

from analysis import WaveResult
from reports import bulletin_context, words
from survey import db as survey_db
from survey.model import Bulletin, Wave
from tests.test_bulletins import pdf_text

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def published(demo_app):
    """The demo's closed wave, published once for the whole module."""
    result = demo_app.test_cli_runner().invoke(args=["publish", "--wave", "2026Q3"])
    assert result.exit_code == 0, result.output
    yield demo_app
    session = survey_db.session_scope(demo_app, write=True)
    session.execute(delete(Bulletin))
    session.execute(update(Wave).where(Wave.code == "2026Q3").values(status="closed"))
    session.commit()
    session.close()


def _bulletin(app) -> Bulletin:
    session = survey_db.session_scope(app)
    row = session.scalars(select(Bulletin)).one()
    session.expunge(row)
    session.close()
    return row


def _proper_names(bulletin: Bulletin) -> set[str]:
    """Enterprise names (kept as registered) and recorded weight sources."""
    result = WaveResult.from_json(bulletin.result_json)
    names = set(result.tables["enterprises"]["name"].astype(str))
    return names | {r["source"] for r in bulletin.meta["aggregation_weights"]}


def test_both_editions_are_frozen_together(published):
    bulletin = _bulletin(published)
    assert bulletin.html_en.startswith("<!doctype html>") and 'lang="en"' in bulletin.html_en
    assert bulletin.pdf_en[:5] == b"%PDF-" and bulletin.pdf[:5] == b"%PDF-"
    assert "Customer Satisfaction Index Bulletin" in bulletin.html_en
    assert "服务业顾客满意度指数公报" in bulletin.html


def test_english_pdf_is_english_apart_from_proper_names(published):
    bulletin = _bulletin(published)
    text = pdf_text(bulletin.pdf_en)
    assert "Main results" in text and "Methodology" in text and "Page 1 of" in text
    # Runs of Chinese text (a name may wrap in a table cell): each must come from a name.
    names = "\n".join(_proper_names(bulletin))
    runs = re.findall(r"[\u3400-\u9fff\uff08\uff09\uff1a]+", text)
    leftover = {run for run in runs if CJK.search(run) and run not in names}
    assert leftover == set()


def test_english_summary_reads_like_a_statistical_release(published):
    bulletin = _bulletin(published)
    text = re.sub(r"<[^>]+>", "", bulletin.html_en)
    assert re.search(r"In Q3 2026 the Jinpu New Area customer satisfaction index stood at "
                     r"\d+\.\d \(95 % CI \d+\.\d–\d+\.\d\)\.", text)
    assert re.search(r"The producer-services index is \d+\.\d \(95 % CI \d+\.\d–\d+\.\d\), "
                     r"(significantly (above|below)|not significantly different from) the "
                     r"target of 85\.", text)


def test_english_charts_are_labelled_in_english():
    from reports.charts import sector_chart

    for value in words.CHARTS["en"].values():
        assert not CJK.search(str(value))
    group = {"target": 85.0, "rows": [{"name": "Catering", "value": 82.0, "low": 80.0,
                                       "high": 84.0, "verdict_key": "not_met",
                                       "published": True}]}
    assert sector_chart(group, "0", "en") != sector_chart(group, "0", "zh_CN")


@pytest.mark.parametrize(("key", "phrase"), [
    ("met", "significantly above the target of 85"),
    ("not_met", "significantly below the target of 85"),
    ("not_different", "not significantly different from the target of 85"),
])
def test_verdict_phrases(key, phrase):
    from reports.context import summary_en

    ctx = {"wave": "Q3 2026", "ci_level": "95%", "previous_wave": None,
           "headline": [{"label": "X customer satisfaction index", "estimate": "82.0",
                         "ci": "81.0–83.0", "change": "—"},
                        {"name": "Producer services", "estimate": "86.2", "ci": "84.9–87.5",
                         "target": "85", "verdict_key": key}]}
    expected = f"The producer-services index is 86.2 (95 % CI 84.9–87.5), {phrase}."
    assert summary_en(ctx)[1] == expected


def test_page_serves_the_english_edition_and_links_the_english_pdf(published):
    client = published.test_client()
    page = client.get("/bulletins/2026Q3?lang=en").get_data(as_text=True)
    assert "/bulletins/2026Q3.pdf?revision=1&amp;lang=en" in page
    assert "/bulletins/2026Q3/document?revision=1&amp;lang=en" in page
    doc = client.get("/bulletins/2026Q3/document?revision=1&lang=en").get_data(as_text=True)
    assert 'lang="en"' in doc and "Main results" in doc
    pdf = client.get("/bulletins/2026Q3.pdf?lang=en")
    assert pdf.data == _bulletin(published).pdf_en
    assert "bulletin-2026Q3-r1-en.pdf" in pdf.headers["Content-Disposition"]
    zh = client.get("/bulletins/2026Q3.pdf?lang=zh_CN")
    assert zh.data == _bulletin(published).pdf


def test_feed_per_language(published):
    client = published.test_client()
    zh = client.get("/bulletins/feed.atom?lang=zh_CN").get_data(as_text=True)
    en = client.get("/bulletins/feed.atom?lang=en").get_data(as_text=True)
    assert 'xml:lang="zh-CN"' in zh and "2026年第3期" in zh
    assert 'xml:lang="en"' in en and "No. 3, 2026" in en and "lang=en" in en
    assert 'type="application/pdf"' in en


def test_english_tables(published):
    client = published.test_client()
    csv = client.get("/bulletins/2026Q3/tables.csv?lang=en").data.decode("utf-8-sig")
    header = csv.splitlines()[0]
    assert header.startswith("Level,Code,Name,Satisfaction index")
    assert "Producer services" in csv and "Jinpu New Area" in csv
    assert not CJK.search(csv)


def test_landing_page_shows_the_latest_indices(published):
    client = published.test_client()
    reply = client.get("/")
    body = reply.get_data(as_text=True)
    assert reply.status_code == 200 and len(reply.data) <= 50 * 1024
    assert "<script" not in body and "style=" not in body
    assert "生产性服务业" in body and "2026年第3期" in body
    for path in ("/bulletins/", "/console/", "/portal/"):
        assert f'href="{path}' in body
    assert "<svg" in body and "/bulletins/2026Q3" in body
    en = client.get("/?lang=en").get_data(as_text=True)
    assert "Producer services" in en and "No. 3, 2026" in en


def test_landing_page_without_a_bulletin(client):
    body = client.get("/").get_data(as_text=True)
    assert "/bulletins/" in body and "/console/" in body


def test_english_context_refuses_unknown_locales():
    with pytest.raises(ValueError, match="locale"):
        words.check("fr")
    with pytest.raises(ValueError, match="locale"):
        bulletin_context(None, wave_code="x", issue_no=1, title="t",  # type: ignore[arg-type]
                         date=None, district_name="d", locale="fr")


def test_bulletin_command_writes_the_english_pdf(published, tmp_path):
    out = tmp_path / "en.pdf"
    result = published.test_cli_runner().invoke(
        args=["bulletin", "--wave", "2026Q3", "--out", str(out), "--lang", "en"])
    assert result.exit_code == 0 and "English" in result.output
    assert out.read_bytes() == _bulletin(published).pdf_en
