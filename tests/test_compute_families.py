"""The one compute path hands analysis each category's family and target kind, and the stored
result of an improvement target's baseline wave."""

from __future__ import annotations

import inspect

from sqlalchemy import select

from analysis import WaveResult
from survey.db import session_scope
from survey.model import Category, ComputedResult, Wave
from survey.ops import compute as compute_ops


def _spy(monkeypatch) -> list[dict]:
    """Record what reaches compute_wave, then run the real one."""
    calls, real = [], compute_ops.compute_wave

    def spy(*args, baselines=None, **kwargs):
        calls.append({"categories": args[3].copy(), "baselines": baselines})
        if "baselines" in inspect.signature(real).parameters:
            kwargs["baselines"] = baselines
        return real(*args, **kwargs)

    monkeypatch.setattr(compute_ops, "compute_wave", spy)
    return calls


def _wave(session, code: str) -> Wave:
    return session.scalars(select(Wave).where(Wave.code == code)).one()


def test_compute_passes_family_kind_and_the_stored_baseline(demo_app, monkeypatch):
    with demo_app.app_context():
        session = session_scope(write=True)
        consumer = session.scalars(select(Category).where(Category.code == "consumer")).one()
        before = (consumer.target_kind, consumer.target, consumer.baseline_wave_id)
        try:
            baseline = _wave(session, "2026Q3")
            row = compute_ops.latest_result(session, baseline)
            if row is None:
                row, _result = compute_ops.compute_and_store(session, baseline)
                session.commit()
            consumer.target_kind, consumer.target = "improvement", 0.0
            consumer.baseline_wave = baseline
            session.commit()
            calls = _spy(monkeypatch)
            result = demo_app.test_cli_runner().invoke(args=["compute", "--wave", "2026Q4"])
            assert result.exit_code == 0, result.output
        finally:
            session.rollback()
            consumer = session.scalars(select(Category).where(Category.code == "consumer")).one()
            consumer.target_kind, consumer.target, consumer.baseline_wave_id = before
            session.commit()
            session.close()
    assert calls, "compute_wave was not called"
    frame = calls[0]["categories"].set_index("category")
    assert {"family", "target_kind", "target"} <= set(frame.columns)
    assert frame.loc["consumer", ["family", "target_kind", "target"]].tolist() == [
        "service", "improvement", 0.0]
    assert frame.loc["producer", ["family", "target_kind", "target"]].tolist() == [
        "service", "threshold", 85.0]
    found = calls[0]["baselines"]
    # The demo's construction category has its own improvement target on 2026Q3.
    assert set(found) == {"consumer", "construction"}
    assert isinstance(found["consumer"], WaveResult)
    assert found["consumer"].provenance["input_sha256"] == row.input_sha256


def test_no_stored_baseline_means_no_baseline(demo_app):
    with demo_app.app_context():
        session = session_scope(write=True)
        try:
            wave = _wave(session, "2026Q4")
            empty = Wave(code="2025Q1", opens_on=wave.opens_on.replace(year=2025),
                         closes_on=wave.opens_on.replace(year=2025), status="closed",
                         instrument_versions={})
            consumer = session.scalars(select(Category).where(Category.code == "consumer")).one()
            consumer.target_kind, consumer.baseline_wave = "improvement", empty
            session.flush()
            assert session.scalar(select(ComputedResult).where(
                ComputedResult.wave_id == empty.id)) is None
            assert "consumer" not in compute_ops.baselines(session, wave)
            consumer.baseline_wave = wave  # its own wave is no baseline either
            session.flush()
            assert "consumer" not in compute_ops.baselines(session, wave)
        finally:
            session.rollback()
            session.close()
