"""Computing a wave: load its frames, call `analysis.compute_wave`, store the result."""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import subprocess
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analysis import Settings, WaveResult, compute_wave
from survey.model import Category, ComputedResult, Response, Wave
from survey.ops import dashboard, frames, integration, integrity, quality, under_review
from survey.ops.bulletin_context import console_charts

Progress = Callable[[int, str], None]

ROOT = Path(__file__).resolve().parents[2]  # the repository


def code_version() -> str:
    """The git commit of this checkout, or 'unknown' outside a git checkout."""
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def wave_inputs(session: Session, wave: Wave) -> dict:
    """The plain inputs of `analysis.compute_wave` for `wave`, read from the database."""
    responses = frames.responses_frame(session, wave)
    if not responses.empty:  # field interviews have their own design (integration tables)
        field_ids = integration.field_response_ids(session, wave)
        responses = responses[~responses["response_id"].isin(field_ids)].reset_index(drop=True)
    if responses.empty:
        raise ValueError(f"wave {wave.code} has no responses")
    sectors = frames.sectors_frame(session)
    present = set(responses["sector"])
    sectors = sectors[sectors["sector"].isin(present)].reset_index(drop=True)
    return {
        "responses": responses,
        "enterprises": frames.enterprises_frame(session),
        "sectors": sectors,
        "categories": frames.categories_frame(session),
        "models": frames.models_frame(responses, sectors),
        "margins": {k: v for k, v in (wave.margins or {}).items() if k in present} or None,
        "baselines": baselines(session, wave),
    }


def baselines(session: Session, wave: Wave) -> dict[str, WaveResult]:
    """The stored result of each improvement-kind category's baseline wave, by category code.

    A category whose baseline wave has no stored result (or is ``wave`` itself) is left
    out: its improvement target then has no baseline (verdict ``no_baseline``).
    """
    out = {}
    for category in session.scalars(select(Category).where(
            Category.target_kind == "improvement", Category.baseline_wave_id.is_not(None),
            Category.baseline_wave_id != wave.id)):
        row = latest_result(session, category.baseline_wave)
        if row is not None:
            out[category.code] = parsed(row.result_json)
    return out


def analyse(inputs: dict, settings: Settings, responses=None) -> WaveResult:
    """``analysis.compute_wave`` on the inputs of :func:`wave_inputs` (``responses``, when
    given, replace the wave's), with the baselines when this analysis takes them."""
    extra = {}
    if "baselines" in inspect.signature(compute_wave).parameters:
        extra["baselines"] = inputs.get("baselines") or None
    return compute_wave(
        inputs["responses"] if responses is None else responses, inputs["enterprises"],
        inputs["sectors"], inputs["categories"], inputs["models"], settings,
        margins=inputs["margins"], **extra,
    )


def wave_settings(wave: Wave) -> Settings:
    """The wave's method settings: those it configures, the defaults for the rest."""
    return Settings.from_dict(wave.analysis_settings or {})


def compute(session: Session, wave: Wave, settings: Settings | None = None) -> WaveResult:
    """Compute `wave` with its stored settings (or `settings`)."""
    settings = settings or wave_settings(wave)
    return analyse(wave_inputs(session, wave), settings)


def store_result(session: Session, wave: Wave, result: WaveResult) -> ComputedResult:
    """Keep a computed result with its provenance; the caller commits."""
    row = ComputedResult(
        wave=wave,
        input_sha256=result.provenance["input_sha256"],
        settings=result.settings,
        result_json=result.to_json(),
        code_version=code_version(),
    )
    session.add(row)
    return row


def compute_and_store(session: Session, wave: Wave, progress: Progress | None = None,
                      ) -> tuple[ComputedResult, WaveResult]:
    """The one path from responses to a stored result, used by the CLI, the console's job
    and the bulletins: refresh the quality flags (committed, so they stand even if the
    computation fails) and the surge holds (:mod:`survey.ops.integrity`), compute (field
    interviews apart), add the QR / verified / field / combined integration tables, store the
    result with its console charts, the surges and the enterprises under review
    (``integrity``), the portal dashboards' charts (:mod:`survey.ops.dashboard`) and the
    indices with and without quarantined responses. The caller
    commits the stored row.

    ``progress(percent, message)`` is told as each step starts.
    """
    say = progress or (lambda _percent, _message: None)
    say(10, "checking response quality")
    quality.refresh(session, wave)
    say(15, "screening arrivals for surges")
    _counts, screening = integrity.refresh(session, wave)
    session.commit()
    say(20, "computing indices")
    result = compute(session, wave)
    say(50, "comparing QR, verified and field samples")
    result.tables.update(integration.wave_tables(session, wave, result))
    say(60, "drawing charts")
    row = store_result(session, wave, result)
    row.charts = console_charts(session, wave, result)
    row.integrity = under_review.integrity_charts(
        session, wave, result, screening, previous_result(session, wave))
    session.flush()  # the dashboards' charts refer to the row
    dashboard.store_charts(session, row, wave, parsed)
    say(80, "comparing with quarantined responses")
    row.with_quarantined = with_quarantined(session, wave, result)
    session.flush()
    return row, result


def previous_result(session: Session, wave: Wave) -> WaveResult | None:
    """The result of the latest wave that closed before ``wave`` opened: its stored result,
    else computed now (not stored); None when there is none or it has no responses."""
    prev = session.scalars(select(Wave).where(Wave.closes_on < wave.opens_on)
                           .order_by(Wave.closes_on.desc()).limit(1)).first()
    if prev is None:
        return None
    row = latest_result(session, prev)
    if row is not None:
        return parsed(row.result_json)
    try:
        return compute(session, prev)
    except ValueError:
        return None


COMPARED_LEVELS = ("district", "categories", "sectors", "enterprises")


def with_quarantined(session: Session, wave: Wave, result: WaveResult,
                     settings: Settings | None = None) -> list[dict] | None:
    """Each unit's index without (as published) and with the quarantined responses, or
    None when the wave has no quarantined response or the result already includes them."""
    settings = settings or wave_settings(wave)
    quarantined = session.scalar(select(func.count()).select_from(Response).where(
        Response.wave_id == wave.id, Response.quarantined.is_(True)))
    if not quarantined or settings.include_quarantined:
        return None
    other = compute(session, wave, dataclasses.replace(settings, include_quarantined=True))
    return compare_results(result, other)


def compare_results(without: WaveResult, including: WaveResult) -> list[dict]:
    """Rows of (level, unit, name, index and n without and with), matched by unit."""
    rows = []
    for level in COMPARED_LEVELS:
        a, b = without.tables.get(level), including.tables.get(level)
        if a is None or b is None:
            continue
        other = b.set_index(b["unit"].astype(str))
        for rec in a.to_dict("records"):
            match = other.loc[str(rec["unit"])] if str(rec["unit"]) in other.index else None
            rows.append({
                "level": level, "unit": str(rec["unit"]),
                "name": str(rec.get("name_zh") or rec.get("name") or rec["unit"]),
                "without": _number(rec["estimate"]), "n_without": int(rec["n"]),
                "with": _number(match["estimate"]) if match is not None else None,
                "n_with": int(match["n"]) if match is not None else None,
            })
    return rows


def _number(value) -> float | None:
    value = float(value)
    return round(value, 3) if value == value else None


_PARSED: OrderedDict[str, WaveResult] = OrderedDict()
_PARSED_MAX = 8


def parsed(result_json: str) -> WaveResult:
    """The WaveResult of a stored JSON document, parsed once per process and kept (LRU)."""
    key = hashlib.sha256(result_json.encode()).hexdigest()
    if key in _PARSED:
        _PARSED.move_to_end(key)
        return _PARSED[key]
    result = WaveResult.from_json(result_json)
    _PARSED[key] = result
    while len(_PARSED) > _PARSED_MAX:
        _PARSED.popitem(last=False)
    return result


def latest_result(session: Session, wave: Wave) -> ComputedResult | None:
    """The most recent stored computation of `wave`."""
    return session.scalars(
        select(ComputedResult).where(ComputedResult.wave_id == wave.id)
        .order_by(ComputedResult.id.desc()).limit(1)
    ).first()


def summary_lines(result: WaveResult) -> list[str]:
    """The district, category and sector table as text lines."""
    lines = [f"{'unit':<16}{'index':>7}{'95% CI':>16}{'n':>7}{'n_eff':>8}{'target':>8}  verdict"]
    for name in ("district", "categories", "sectors"):
        for row in result.tables[name].to_dict("records"):
            ci = f"[{row['ci_low']:.1f}, {row['ci_high']:.1f}]"
            target = row.get("target")
            target = "" if target is None or target != target else f"{target:.0f}"
            verdict = row.get("verdict_en")
            if not isinstance(verdict, str):  # a share or improvement target: listed apart
                verdict = "" if name != "categories" else "target of its own kind (below)"
            if not row.get("published", True):
                verdict = "insufficient sample"
            lines.append(
                f"{str(row['unit']):<16}{row['estimate']:>7.1f}{ci:>16}{int(row['n']):>7}"
                f"{row['n_eff']:>8.0f}{target:>8}  {verdict}"
            )
        lines.append("")
    return lines
