"""Collection links, their QR codes and the `flask links` CLI."""

import io

from PIL import Image
from sqlalchemy import select

from survey.model import CollectionLink
from survey.ops.links import qr_png, qr_svg, survey_url
from survey.ops.tokens import sign_token, verify_token


def test_tokens_are_signed_distinct_and_url_safe():
    tokens = {sign_token(b"k", i, g) for i in range(1, 501) for g in (1, 2)}
    assert len(tokens) == 1000
    assert all(len(t) == 28 and t.replace("-", "").replace("_", "").isalnum() for t in tokens)
    assert all(verify_token(b"k", t) is not None for t in tokens)
    assert not any(verify_token(b"other key", t) for t in tokens)


def test_qr_codes_encode_the_survey_url(app):
    with app.app_context():
        url = survey_url("abc123")
    assert url == "http://survey.test/s/abc123"
    svg = qr_svg(url)
    assert svg.startswith(b"<svg") and b"</svg>" in svg
    png = Image.open(io.BytesIO(qr_png(url)))
    assert png.format == "PNG" and png.size[0] == png.size[1] >= 200
    png.close()


def test_cli_creates_links_and_prints_their_urls(runner, make_link, db_session, tmp_path):
    link = make_link()
    enterprise = link.enterprise
    result = runner.invoke(args=["links", "create", "--enterprise", enterprise.uscc,
                                 "--wave", "2026Q4", "--location", "一楼大厅",
                                 "--location", "二楼", "--qr-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    db_session.rollback()
    links = db_session.scalars(
        select(CollectionLink).where(CollectionLink.enterprise_id == enterprise.id,
                                     CollectionLink.location != "")
    ).all()
    assert sorted(x.location for x in links) == ["一楼大厅", "二楼"]
    for x in links:
        assert f"http://survey.test/s/{x.token}" in result.output
        assert (tmp_path / f"{x.token}.svg").exists() and (tmp_path / f"{x.token}.png").exists()


def test_cli_refuses_unknown_enterprise_or_wave(runner, make_link):
    link = make_link()
    bad = runner.invoke(args=["links", "create", "--enterprise", "91350100M000100Y43",
                              "--wave", "2026Q4"])
    assert bad.exit_code != 0 and "no enterprise" in bad.output
    bad = runner.invoke(args=["links", "create", "--enterprise", str(link.enterprise_id),
                              "--wave", "1999Q1"])
    assert bad.exit_code != 0 and "no wave" in bad.output


def test_cli_lists_active_links(runner, make_link, db_session):
    active, retired = make_link(), make_link()
    retired.active = False
    db_session.commit()
    result = runner.invoke(args=["links", "list", "--wave", "2026Q4"])
    assert active.token in result.output and retired.token not in result.output


def test_a_link_retired_in_this_process_is_refused_at_once(client, make_link, db_session):
    link = make_link()
    assert client.get(f"/s/{link.token}").status_code == 200  # now kept in the link cache
    link.active = False
    db_session.commit()
    assert client.get(f"/s/{link.token}").status_code == 404


def test_a_wave_closed_in_bulk_is_seen_at_once(client, make_link, db_session):
    from sqlalchemy import update

    from survey.model import Wave

    link = make_link()
    assert client.get(f"/s/{link.token}").status_code == 200
    db_session.execute(update(Wave).where(Wave.id == link.wave_id).values(status="closed"))
    db_session.commit()
    assert client.get(f"/s/{link.token}").status_code == 410


def test_a_change_from_another_process_is_seen_within_the_cache_time(app, client, make_link,
                                                                      monkeypatch):
    from sqlalchemy import text

    from survey import db
    from survey.ops import link_lookup

    link = make_link()
    assert client.get(f"/s/{link.token}").status_code == 200
    with db.get_engine(app).begin() as conn:  # no ORM session: as another process would
        conn.execute(text("UPDATE collection_link SET active = false WHERE id = :id"),
                     {"id": link.id})
    assert client.get(f"/s/{link.token}").status_code == 200  # still kept
    later = link_lookup.time.monotonic() + app.config["LINK_CACHE_SECONDS"] + 0.01
    monkeypatch.setattr(link_lookup.time, "monotonic", lambda: later)
    assert client.get(f"/s/{link.token}").status_code == 404
