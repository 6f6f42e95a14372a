"""`flask compute`: a wave's frames go through analysis and the result is stored."""

import json

from sqlalchemy import select

from analysis import WaveResult
from survey.demo import family_spec, spec
from survey.model import ComputedResult, Wave


def test_compute_stores_the_result_and_prints_the_table(demo_app, demo):
    result = demo_app.test_cli_runner().invoke(args=["compute", "--wave", "2026Q3"])
    assert result.exit_code == 0, result.output
    for word in ("district", "producer", "consumer", "catering", "95% CI"):
        assert word in result.output
    demo.rollback()
    wave = demo.scalars(select(Wave).where(Wave.code == "2026Q3")).one()
    row = demo.scalars(select(ComputedResult).where(ComputedResult.wave_id == wave.id)).all()[-1]
    stored = WaveResult.from_json(row.result_json)
    assert stored.provenance["input_sha256"] == row.input_sha256
    assert row.settings == stored.settings and row.code_version
    assert len(row.charts["sectors"]) == 2 and row.charts["sectors"][0].startswith("<svg")
    sectors = stored.tables["sectors"].set_index("unit")
    services = spec.SECTORS + family_spec.SERVICE_SECTORS
    others = [c for c, *_ in family_spec.PRODUCT_SECTORS + family_spec.CONSTRUCTION_SECTORS]
    assert set(sectors.index) == {s.code for s in services} | set(others)
    # The demo's truth: most 95% sector intervals cover it, categories land near it.
    truth = {s.code: s.truth["2026Q3"] for s in services}
    covered = sum(
        sectors.loc[c, "ci_low"] <= t <= sectors.loc[c, "ci_high"] for c, t in truth.items()
    )
    assert covered >= 13  # of 17
    categories = stored.tables["categories"].set_index("unit")
    for code, *_rest in spec.CATEGORIES:
        members = [s for s in services if s.category == code]
        true = sum(s.weight * s.truth["2026Q3"] for s in members) / sum(
            s.weight for s in members)
        assert abs(categories.loc[code, "estimate"] - true) < 2.5
    assert json.loads(row.result_json)


def test_compute_refuses_an_unknown_wave(demo_app):
    result = demo_app.test_cli_runner().invoke(args=["compute", "--wave", "1999Q1"])
    assert result.exit_code != 0 and "no wave" in result.output


def test_compute_refuses_a_wave_without_responses(app, runner, make_wave):
    make_wave("2027Q1", status="draft", days=(10, 90))
    result = runner.invoke(args=["compute", "--wave", "2027Q1"])
    assert result.exit_code != 0 and "no responses" in result.output


def test_a_result_computed_for_a_bulletin_has_charts_and_the_quarantine_comparison(demo_app):
    """The bulletin path stores through the one compute path (it once skipped both)."""
    from survey.db import session_scope
    from survey.ops.publish import current_result

    with demo_app.app_context():
        session = session_scope(write=True)
        try:
            wave = session.scalars(select(Wave).where(Wave.code == "2026Q3")).one()
            for row in session.scalars(
                    select(ComputedResult).where(ComputedResult.wave_id == wave.id)):
                session.delete(row)
            session.commit()
            current_result(session, wave)
            row = session.scalars(select(ComputedResult)
                                  .where(ComputedResult.wave_id == wave.id)).one()
            assert row.charts and row.charts["sectors"][0].startswith("<svg")
            assert row.with_quarantined, "the demo has quarantined responses to compare"
        finally:
            session.close()
