"""The bulletin's paragraph on the field sample, receipt codes and the QR-field gap."""

from __future__ import annotations

from analysis import WaveResult
from analysis.integration import integration_methodology
from reports.fmt import DASH, count, num


def _name_map(result: WaveResult) -> dict[str, str]:
    sectors = result.tables.get("sectors")
    if sectors is None or not len(sectors):
        return {}
    return {str(u): str(n) for u, n in zip(sectors["unit"], sectors["name_zh"], strict=True)}


def integration_section(result: WaveResult, reviewed=None) -> dict | None:
    """Sector rows (QR, verified, field, combined, gap with CI), the gap flags, receipt-code
    use and the method paragraph; None when the wave had no field or receipt-code sample.

    A flag reaches the bulletin only after review: ``reviewed`` lists the sector codes an
    analyst confirmed on the console's results page (None or empty: none is printed, and
    ``unreviewed`` counts the flags still waiting).
    """
    table = result.tables.get("integration_sectors")
    if table is None or not len(table) or "field" not in table.columns:
        return None
    names = _name_map(result)
    confirmed = {str(u) for u in reviewed or ()}
    rows = []
    for r in table.to_dict("records"):
        gap = r.get("gap")
        rows.append({"name": names.get(str(r["unit"]), str(r["unit"])),
                     "qr": num(r.get("qr"), 1), "verified": num(r.get("verified"), 1),
                     "field": num(r.get("field"), 1), "combined": num(r.get("combined"), 1),
                     "gap": DASH if gap is None or gap != gap else f"{gap:+.1f}",
                     "gap_ci": (f"[{num(r['gap_low'], 1)}, {num(r['gap_high'], 1)}]"
                                if gap is not None and gap == gap else DASH),
                     "flag": r.get("flag") is True and str(r["unit"]) in confirmed,
                     "pending": r.get("flag") is True and str(r["unit"]) not in confirmed})
    rates = result.tables.get("receipt_rates")
    issued = int(rates["issued"].sum()) if rates is not None and len(rates) else 0
    used = int(rates["used"].sum()) if rates is not None and len(rates) else 0
    sol = result.tables.get("solicitation")
    return {
        "rows": rows, "flags": [r["name"] for r in rows if r["flag"]],
        "unreviewed": sum(r["pending"] for r in rows),
        "receipts": {"issued": count(issued), "used": count(used),
                     "rate": f"{used / issued:.1%}" if issued else DASH},
        "solicitation": int(sol["flag"].astype(bool).sum()) if sol is not None and len(sol)
        else 0,
        "method": integration_methodology("zh_CN"),
    }
