"""The bulletin's integrity annex: what was held, released and why, by reason and sector,
the enterprises not ranked while under review, and the method paragraph."""

from __future__ import annotations

from analysis.integrity import methodology_paragraph
from analysis.quality import reason_names
from analysis.settings import Settings
from reports.fmt import count

FLAGS_ZH = reason_names("zh_CN")
DEFAULTS = Settings()


def integrity_annex(integrity: dict | None, settings: dict) -> dict:
    """Plain rows for the annex from the frozen ``integrity`` metadata (held per sector and
    reason, under review) and the result's settings (the day cap)."""
    data = integrity or {}
    cap = settings.get("influence_cap")
    rows = [{"sector": r["sector"], "reason": FLAGS_ZH.get(r["reason"], r["reason"]),
             "held": count(r["held"]), "released": count(r["released"])}
            for r in data.get("by_sector", [])]
    paragraph = methodology_paragraph(
        "zh", cap=cap, floor=settings.get("influence_floor", DEFAULTS.influence_floor),
        influence_alpha=settings.get("influence_alpha", DEFAULTS.influence_alpha),
        day_cv2=settings.get("influence_day_cv2", DEFAULTS.influence_day_cv2))
    return {"paragraph": paragraph, "rows": rows,
            "under_review": [r["name"] for r in data.get("under_review", [])]}


def ranked_out(integrity: dict | None) -> set[str]:
    """Units (enterprise ids as text) the bulletin does not rank: under review, undecided."""
    return {str(r["enterprise_id"]) for r in (integrity or {}).get("under_review", [])}
