"""The dashboard on the demo district: figures read from the stored result, charts, trend."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sqlalchemy import select

from analysis import change
from survey import db as survey_db
from survey.model import User, Wave
from survey.ops.accounts import hash_password
from survey.ops.compute import latest_result, parsed
from tests.portal_support import PASSWORD, demo_portal, portal_login  # noqa: F401

pytestmark = pytest.mark.slow


def _result(demo_app, code):
    session = survey_db.session_scope(demo_app)
    try:
        wave = session.scalar(select(Wave).where(Wave.code == code))
        return parsed(latest_result(session, wave).result_json)
    finally:
        session.close()


@pytest.fixture
def demo_client(demo_app, demo_portal):  # noqa: F811
    client = demo_app.test_client()
    assert portal_login(client, demo_portal["email"]).status_code == 302
    return client


def _text(html: str) -> str:
    html = re.sub(r"<svg.*?</svg>", "", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_dashboard_shows_index_benchmarks_and_charts(demo_app, demo_portal, demo_client):  # noqa: F811
    ent_id = demo_portal["enterprise_id"]
    result = _result(demo_app, "2026Q3")
    ent = result.tables["enterprises"]
    row = ent[ent["unit"].astype(str) == str(ent_id)].iloc[0]
    html = demo_client.get(f"/portal/?wave={demo_portal['waves']['2026Q3']}").get_data(
        as_text=True)
    text = _text(html)
    assert f"{row['estimate']:.1f}" in text
    assert f"{row['ci_low']:.1f} – {row['ci_high']:.1f}" in text and f"{int(row['n'])}" in text
    peers = ent[(ent["sector"] == row["sector"]) & ent["published"].astype(bool)]
    assert f"{np.percentile(peers['estimate'], 75):.1f}" in text
    if row["ranking_tied"]:  # no leader and no rank where the sector's enterprises tie
        assert "do not differ beyond sampling error" in text or "抽样误差" in text
        assert row["percentile_rank"] != row["percentile_rank"]  # missing, not a fallback
    else:
        leader = peers.sort_values(["shrunk", "estimate"], ascending=False).iloc[0]["estimate"]
        assert f"{leader:.1f}" in text and str(leader) not in (peers["name"].tolist())
        assert f"{row['percentile_rank']:.0f}" in text
    sector = result.tables["sectors"].set_index("unit").loc[row["sector"], "estimate"]
    assert f"{sector:.1f}" in text
    assert html.count("<svg") >= 4  # profile, items, 四分图, trend
    assert "{subject}" not in text and "优先改进" in text
    for name in peers["name"]:
        if name != row["name"]:
            assert name not in html  # the leader and peers stay anonymous


def test_trend_shows_each_wave_with_significance(demo_app, demo_portal, demo_client):  # noqa: F811
    ent_id = demo_portal["enterprise_id"]
    q3, q4 = _result(demo_app, "2026Q3"), _result(demo_app, "2026Q4")
    html = demo_client.get(f"/portal/?wave={demo_portal['waves']['2026Q4']}").get_data(
        as_text=True)
    table = _text(html.split("各期趋势", 1)[1].split("</table>", 1)[0])
    assert "2026Q3" in table and "2026Q4" in table
    d = change(q3, q4)
    row = d[(d["level"] == "enterprise") & (d["unit"].astype(str) == str(ent_id))
            & (d["construct"] == "satisfaction")].iloc[0]
    assert f"{row['delta']:+.1f}" in table and row["change_zh"] in table


def test_an_unpublished_index_says_insufficient_sample(demo_app, demo_portal):  # noqa: F811
    ent = _result(demo_app, "2026Q4").tables["enterprises"]
    small = ent[~ent["published"].astype(bool)].iloc[0]
    session = survey_db.session_scope(demo_app, write=True)
    email = f"small{small['unit']}@demo.test"
    if session.scalar(select(User).where(User.email == email)) is None:
        session.add(User(email=email, role="enterprise", enterprise_id=int(small["unit"]),
                         password_hash=hash_password(PASSWORD)))
        session.commit()
    session.close()
    client = demo_app.test_client()
    portal_login(client, email)
    html = client.get(f"/portal/?wave={demo_portal['waves']['2026Q4']}").get_data(as_text=True)
    index = _text(html.split('id="index"', 1)[1].split("</div>", 1)[0])
    assert "样本不足" in index and f"{int(small['n'])}" in index
    assert f"{small['estimate']:.1f}" not in index
    assert "<svg" not in html.split("各期趋势", 1)[0]  # no profile or 四分图 from a thin sample


def test_english_dashboard(demo_portal, demo_client):  # noqa: F811
    html = demo_client.get(f"/portal/?wave={demo_portal['waves']['2026Q3']}&lang=en")
    text = html.get_data(as_text=True)
    assert "Satisfaction index" in text
    assert "Benchmark band" in text or "do not differ beyond sampling error" in text


def test_appeal_effect_uses_the_stored_item_weights(demo_app, demo_portal):  # noqa: F811
    from survey.model import Response
    from survey.ops.appeals import index_effect

    session = survey_db.session_scope(demo_app)
    try:
        response = session.scalars(select(Response).where(
            Response.enterprise_id == demo_portal["enterprise_id"],
            Response.quarantined.is_(False)).order_by(Response.id)).first()
        effect = index_effect(session, response)
    finally:
        session.close()
    assert effect["weights"] == "stored"
    assert effect["n_with"] == effect["n_without"] + 1
    assert 0 <= effect["without"] <= 100 and effect["with"] != effect["without"]


def test_the_compute_job_stores_each_dashboard_and_the_view_draws_none(
        demo_app, demo_portal, demo_client):  # noqa: F811
    from sqlalchemy import delete

    from reports import dashboard_charts
    from survey.model import ComputedResult, DashboardCharts
    from survey.ops.compute import compute_and_store

    ent_id = demo_portal["enterprise_id"]
    session = survey_db.session_scope(demo_app, write=True)
    wave = session.get(Wave, demo_portal["waves"]["2026Q3"])  # the enterprise is published
    with demo_app.app_context():
        row, _result = compute_and_store(session, wave)
    session.commit()
    try:
        stored = {c.locale: c.charts for c in session.scalars(select(DashboardCharts).where(
            DashboardCharts.result_id == row.id, DashboardCharts.enterprise_id == ent_id))}
        assert set(stored) == {"zh_CN", "en"}
        assert set(stored["zh_CN"]) == {"profile", "items", "quadrant", "trend"}
        before = dashboard_charts.DRAWN["dashboards"]
        for locale, lang in (("zh_CN", "zh_CN"), ("en", "en")):
            html = demo_client.get(f"/portal/?wave={wave.id}&lang={lang}").get_data(
                as_text=True)
            for svg in stored[locale].values():
                assert svg in html  # served as stored, byte for byte
        assert dashboard_charts.DRAWN["dashboards"] == before  # nothing drawn in the request
    finally:
        session.execute(delete(ComputedResult).where(ComputedResult.id == row.id))
        session.commit()
        assert not session.scalars(select(DashboardCharts).where(
            DashboardCharts.result_id == row.id)).all()  # removed with their result
        session.close()
