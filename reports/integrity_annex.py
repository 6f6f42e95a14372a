"""The bulletin's integrity annex: what was held, released and why, by reason and sector,
the enterprises not ranked while under review, and the method paragraph."""

from __future__ import annotations

from analysis.integrity import methodology_paragraph
from analysis.quality import reason_names
from analysis.settings import Settings
from reports.fmt import count


def integrity_annex(integrity: dict | None, settings: dict, locale: str = "zh_CN") -> dict:
    """Plain rows for the annex in ``locale``'s language ("zh…" Chinese, else English) from
    the frozen ``integrity`` metadata (held per sector and reason, under review) and the
    result's settings (the day cap)."""
    data = integrity or {}
    names = reason_names(locale)
    stored = Settings.from_stored(settings)
    rows = [{"sector": r["sector"], "reason": names.get(r["reason"], r["reason"]),
             "held": count(r["held"]), "released": count(r["released"])}
            for r in data.get("by_sector", [])]
    paragraph = methodology_paragraph(
        "zh" if locale.lower().startswith("zh") else "en", cap=stored.influence_cap,
        floor=stored.influence_floor, influence_alpha=stored.influence_alpha,
        day_cv2=stored.influence_day_cv2)
    return {"paragraph": paragraph, "rows": rows,
            "under_review": [r["name"] for r in data.get("under_review", [])]}


def ranked_out(integrity: dict | None) -> set[str]:
    """Units (enterprise ids as text) the bulletin does not rank: under review, undecided."""
    return {str(r["enterprise_id"]) for r in (integrity or {}).get("under_review", [])}
