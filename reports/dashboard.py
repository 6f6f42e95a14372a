"""One enterprise's dashboard data from a stored result and its own item scores.

Pure: the portal's view and the compute job (which draws and stores the charts) build the
same plain dicts here, so a chart stored by the job is the chart the view would draw.
"""

from __future__ import annotations

import hashlib

import pandas as pd

import instruments
from analysis import WaveResult, quadrants
from reports import enterprise

SHORT = 14  # characters of a question kept as a chart label
SUBJECT = {"zh_CN": "本单位", "en": "this business"}  # {subject} in the questions


def item_labels(instrument_code: str, locale: str, subject: str) -> dict[str, str]:
    """Rating item code → its question in the sector's instrument, {subject} filled in.

    Yes/no items (such as "did you complain?") are left out: as shares they are not scores,
    and the complaint rate is shown with the construct profile.
    """
    inst = instruments.get(instrument_code)
    return {item.code: item.label.get(locale).replace("{subject}", subject)
            for item in inst.items if item.scale.kind == "rating"}


def construct_labels(locale: str) -> dict[str, str]:
    """Construct code → its name in `locale`."""
    return {c.code: c.label.get(locale) for inst in instruments.load_all().values()
            for c in inst.constructs}


def items_and_quadrant(own: dict[str, dict], result: WaveResult, sector: str,
                       instrument_code: str, locale: str, subject: str) -> tuple[list, dict]:
    """The enterprise's item rows (its 0-100 mean beside the sector's, in the questionnaire's
    order) and its 四分图 (items by importance and score, split as the wave's settings say)."""
    sector_means = enterprise.sector_items(result, sector)
    importance = enterprise.item_importance(result, sector)
    rows = []
    for code, label in item_labels(instrument_code, locale, subject).items():
        value = own.get(code)
        if value is None or code not in sector_means:
            continue
        rows.append({"code": code, "label": label, "mean": value["mean"], "n": value["n"],
                     "sector": sector_means.get(code),
                     "short": label if len(label) <= SHORT else label[:SHORT] + "…"})
    points = pd.DataFrame([{"code": r["code"], "importance": importance[r["code"]],
                            "performance": r["mean"]} for r in rows if r["code"] in importance])
    quad = {"points": [], "importance_cut": None, "performance_cut": None}
    if len(points) >= 2:
        q = quadrants(points, split=result.settings.get("quadrant_split", "mean"))
        by_code = {r["code"]: r for r in rows}
        quad["points"] = [{"number": i + 1, "label": str(i + 1),
                           "text": by_code[p["code"]]["label"], "code": p["code"],
                           "importance": p["importance"], "performance": p["performance"],
                           "quadrant": p["quadrant"]}
                          for i, p in enumerate(q.to_dict("records"))]
        quad["importance_cut"] = float(q["importance_cut"].iloc[0])
        quad["performance_cut"] = float(q["performance_cut"].iloc[0])
    return rows, quad


def chart_data(result: WaveResult, enterprise_id: int, sector: str, instrument_code: str,
               own_items: dict[str, dict], trend: list[dict], locale: str,
               subject: str | None = None) -> dict:
    """What the dashboard's charts show: profile, items, quadrant and trend."""
    subject = subject if subject is not None else SUBJECT.get(locale, SUBJECT["en"])
    rows, quad = items_and_quadrant(own_items, result, sector, instrument_code, locale,
                                    subject)
    return {"profile": enterprise.profile(result, enterprise_id, sector), "items": rows,
            "quadrant": quad, "trend": trend}


def fingerprint(history: list[tuple[int, str]], own_items: dict[str, dict]) -> str:
    """SHA-256 of what a stored dashboard depends on besides its own result: the ids and
    input hashes of the earlier waves' stored results (the trend) and the enterprise's item
    scores (which an upheld appeal changes)."""
    items = sorted((code, repr(v["mean"]), int(v["n"])) for code, v in own_items.items())
    text = repr((sorted(history), items))
    return hashlib.sha256(text.encode()).hexdigest()
