"""Publishing bulletins: the CLI, frozen snapshots, revisions and the public pages."""

from __future__ import annotations

import re
import subprocess

import pytest
from sqlalchemy import delete, select, update

from analysis import WaveResult
from reports import bulletin_html
from survey import db as survey_db
from survey.model import Bulletin, Category, Wave
from survey.ops import bulletin_context


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()


@pytest.fixture(scope="module")
def published(demo_app):
    """The demo's closed wave, published once for the whole module."""
    runner = demo_app.test_cli_runner()
    result = runner.invoke(args=["publish", "--wave", "2026Q3"])
    assert result.exit_code == 0, result.output
    yield demo_app
    # Leave the shared demo database as other modules expect it.
    session = survey_db.session_scope(demo_app, write=True)
    session.execute(delete(Bulletin))
    session.execute(update(Wave).where(Wave.code == "2026Q3").values(status="closed"))
    session.commit()
    session.close()


def test_publishing_freezes_revision_1(published, demo):
    wave = demo.scalars(select(Wave).where(Wave.code == "2026Q3")).one()
    bulletin = demo.scalars(select(Bulletin).where(Bulletin.wave_id == wave.id)).one()
    assert (bulletin.revision, bulletin.issue_label, wave.status) == (1, "2026年第3期", "published")
    result = WaveResult.from_json(bulletin.result_json)
    district = result.tables["district"]["estimate"].iloc[0]
    text = pdf_text(bulletin.pdf)
    assert "顾客满意度指数" in text and "2026年第3期" in text
    assert f"{district:.1f}" in text
    fonts = subprocess.run(["pdffonts", "-"], input=bulletin.pdf, capture_output=True).stdout
    rows = fonts.decode().splitlines()[2:]
    assert rows and all(" yes " in row for row in rows)


def test_later_edits_do_not_change_a_published_bulletin(published, demo):
    bulletin = demo.scalars(select(Bulletin).join(Wave).where(Wave.code == "2026Q3")).first()
    before = bulletin.html
    targets = dict(demo.execute(select(Category.code, Category.target)).all())
    demo.execute(update(Category).values(target=50.0))
    demo.commit()
    try:
        client = published.test_client()
        page = "".join(client.get(path).get_data(as_text=True)
                       for path in ("/bulletins/2026Q3", "/bulletins/2026Q3/document"))
        demo.expire_all()
        assert demo.get(Bulletin, bulletin.id).html == before
        # Re-rendering from the stored snapshot reproduces the same figures.
        with published.test_request_context():
            again = bulletin_html(bulletin_context.published_context(bulletin))
        figures = re.findall(r"\d+\.\d", re.sub(r"<svg.*?</svg>", "", before, flags=re.S))
        assert figures == re.findall(r"\d+\.\d", re.sub(r"<svg.*?</svg>", "", again, flags=re.S))
        assert "2026年第3期" in page and "目标值 50" not in page
    finally:
        for code, target in targets.items():
            demo.execute(update(Category).where(Category.code == code).values(target=target))
        demo.commit()


def test_a_correction_is_a_new_revision_that_says_what_changed(published, demo):
    runner = published.test_cli_runner()
    refused = runner.invoke(args=["publish", "--wave", "2026Q3"])
    assert refused.exit_code != 0 and "what changed" in refused.output
    fixed = runner.invoke(args=["publish", "--wave", "2026Q3", "--changes", "更正零售业样本"])
    assert fixed.exit_code == 0, fixed.output
    revisions = demo.scalars(
        select(Bulletin.revision).join(Wave).where(Wave.code == "2026Q3")).all()
    assert sorted(revisions) == [1, 2]
    client = published.test_client()
    assert "更正零售业样本" in client.get("/bulletins/2026Q3").get_data(as_text=True)
    assert client.get("/bulletins/2026Q3?revision=1").status_code == 200


def test_an_open_wave_cannot_be_published(published):
    result = published.test_cli_runner().invoke(args=["publish", "--wave", "2026Q4"])
    assert result.exit_code != 0 and "close it" in result.output


def test_bulletin_command_renders_drafts_and_published(published, tmp_path):
    runner = published.test_cli_runner()
    draft = tmp_path / "draft.pdf"
    result = runner.invoke(args=["bulletin", "--wave", "2026Q4", "--out", str(draft)])
    assert result.exit_code == 0, result.output
    assert "draft" in result.output and "草稿" in pdf_text(draft.read_bytes())
    final = tmp_path / "final.pdf"
    result = runner.invoke(args=["bulletin", "--wave", "2026Q3", "--out", str(final)])
    assert "revision" in result.output and "草稿" not in pdf_text(final.read_bytes())


def test_public_pages_and_feed(published):
    client = published.test_client()
    index = client.get("/bulletins/").get_data(as_text=True)
    assert "2026年第3期" in index and "2026Q4" not in index
    pdf = client.get("/bulletins/2026Q3.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    feed = client.get("/bulletins/feed.atom")
    assert feed.mimetype == "application/atom+xml"
    assert b"<feed" in feed.data and b"2026Q3" in feed.data
    assert client.get("/bulletins/2026Q4").status_code == 404
    assert client.get("/bulletins/nope.pdf").status_code == 404
    english = client.get("/bulletins/2026Q3?lang=en").get_data(as_text=True)
    assert "English edition, published together" in english and "All bulletins" in english
    assert "English edition, published together" not in client.get(
        "/bulletins/2026Q3?lang=zh_CN").get_data(as_text=True)


def test_tables_downloads_match_the_snapshot(published, demo):
    import io

    import openpyxl
    import pandas as pd

    bulletin = demo.scalars(select(Bulletin).join(Wave).where(Wave.code == "2026Q3")
                            .order_by(Bulletin.revision)).first()
    result = WaveResult.from_json(bulletin.result_json)
    client = published.test_client()
    csv = pd.read_csv(io.BytesIO(client.get("/bulletins/2026Q3/tables.csv").data),
                      encoding="utf-8-sig")
    sectors = csv[csv["层级"] == "行业"].set_index("代码")
    for row in result.tables["sectors"].to_dict("records"):
        assert sectors.loc[row["unit"], "满意度指数"] == round(row["estimate"], 2)
    book = openpyxl.load_workbook(io.BytesIO(client.get("/bulletins/2026Q3/tables.xlsx").data))
    assert book.active.max_row == len(csv) + 1
    assert client.get("/bulletins/2026Q4/tables.csv").status_code == 404


def test_issue_label():
    assert bulletin_context.issue_label(Wave(code="2026Q4")) == "2026年第4期"
    assert bulletin_context.issue_label(Wave(code="2026-special")) == "2026-special"


def test_table_downloads_neutralise_names_that_look_like_formulas(published, demo):
    import dataclasses
    import io

    import openpyxl
    import pandas as pd

    bulletin = demo.scalars(select(Bulletin).join(Wave).where(Wave.code == "2026Q3")
                            .order_by(Bulletin.revision.desc())).first()
    original = bulletin.result_json
    result = WaveResult.from_json(original)
    sectors = result.tables["sectors"].copy()
    sectors.loc[sectors.index[0], "name_zh"] = '=HYPERLINK("http://evil.test","点我")'
    sectors.loc[sectors.index[1], "name_zh"] = "\t-2+3"
    tables = dict(result.tables, sectors=sectors)
    bulletin.result_json = dataclasses.replace(result, tables=tables).to_json()
    demo.commit()
    try:
        client = published.test_client()
        csv = pd.read_csv(io.BytesIO(client.get("/bulletins/2026Q3/tables.csv").data),
                          encoding="utf-8-sig", keep_default_na=False)
        names = set(csv["名称"])
        assert '\'=HYPERLINK("http://evil.test","点我")' in names and "'\t-2+3" in names
        book = openpyxl.load_workbook(io.BytesIO(client.get("/bulletins/2026Q3/tables.xlsx").data))
        cells = [c.value for row in book.active.iter_rows() for c in row]
        assert not any(isinstance(v, str) and v.startswith(("=", "+", "-", "@", "\t"))
                       for v in cells)
    finally:
        bulletin.result_json = original
        demo.commit()
