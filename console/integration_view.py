"""The results page's QR / verified / field / combined comparison, from the stored result."""

from __future__ import annotations

from analysis import WaveResult

SIDES = ("qr", "verified", "field", "combined")


def _names(result: WaveResult, table: str) -> dict[str, str]:
    frame = result.tables.get(table)
    if frame is None or not len(frame):
        return {}
    col = "name_zh" if "name_zh" in frame.columns else "name"
    return {str(u): str(n) for u, n in zip(frame["unit"], frame[col], strict=True)}


def _number(value):
    return None if value is None or value != value else float(value)


def _rows(result: WaveResult, level: str) -> list[dict]:
    frame = result.tables.get(f"integration_{level}s")
    if frame is None or not len(frame):
        return []
    names = _names(result, f"{level}s")
    rows = []
    for rec in frame.to_dict("records"):
        row = {"unit": str(rec["unit"]), "name": names.get(str(rec["unit"]), str(rec["unit"]))}
        for side in SIDES:
            row[side] = _number(rec.get(side))
            row[f"{side}_se"] = _number(rec.get(f"{side}_se"))
        for key in ("gap", "gap_low", "gap_high"):
            row[key] = _number(rec.get(key))
        row["flag"] = bool(rec.get("flag") is True)
        if level == "sector" or row["field"] is not None or row["verified"] is not None:
            rows.append(row)
    return rows


def integration_context(result: WaveResult | None, reviewed: list | None = None) -> dict:
    """Sector and enterprise rows (enterprises with field or verified data), the flagged
    sectors and which of them were confirmed for the bulletin."""
    if result is None:
        return {"sectors": [], "enterprises": [], "flagged": [], "reviewed": []}
    sectors, enterprises = _rows(result, "sector"), _rows(result, "enterprise")
    return {"sectors": sectors, "enterprises": enterprises,
            "flagged": [r for r in sectors if r["flag"]], "reviewed": list(reviewed or [])}
