"""The index families in a bulletin and in `flask compute`: which categories are services
(the published district index), each family's headline, and the product (share satisfied)
and construction (improvement over a baseline wave) tables, as plain data and text lines.
"""

from __future__ import annotations

import pandas as pd
from scipy import stats

from analysis import WaveResult
from reports import words
from reports.fmt import DASH, count, interval, is_number, num, signed

FAMILY_NAMES = {"service": ("服务业", "Services"), "product": ("民生产品", "Consumer products"),
                "construction": ("建设工程", "Construction works")}
LEVEL_NAMES = {"category": ("类别", "category"), "sector": ("行业", "sector"),
               "enterprise": ("单位", "unit")}


def kind_text(kind: str, target, locale: str = "zh_CN") -> str:
    """A target's kind in words, e.g. "满意（8—10分）顾客占比不低于80%"."""
    t = num(target, 0) if is_number(target) else DASH
    if kind == "threshold" and t == DASH:  # the service family: one target per category
        return ("指数不低于所在类别的目标值（门槛目标）" if locale == "zh_CN"
                else "index at least its category's target (threshold target)")
    zh = {"threshold": f"指数不低于{t}（门槛目标）",
          "share": f"满意（8—10分）顾客占比不低于{t}%（占比目标）",
          "improvement": ("较基期显著提高（提高目标：单侧检验指数变化大于"
                          f"{t}分）")}
    en = {"threshold": f"index at least {t} (threshold target)",
          "share": f"share of satisfied respondents (8-10 of 10) at least {t} % (share target)",
          "improvement": ("a significant improvement over the baseline wave (improvement "
                          f"target: one-sided test that the change exceeds {t} points)")}
    return (zh if locale == "zh_CN" else en)[kind]


def _targets(result: WaveResult) -> pd.DataFrame:
    t = result.tables.get("targets")
    return t if t is not None else pd.DataFrame(columns=["level", "unit", "family", "kind"])


def service_categories(result: WaveResult) -> list[str]:
    """Codes of the threshold-kind (service) categories, in the result's order."""
    t = _targets(result)
    other = set(t.loc[t["level"] == "category", "unit"].astype(str))
    return [str(u) for u in result.tables["categories"]["unit"] if str(u) not in other]


def _names(result: WaveResult, locale: str) -> dict[tuple[str, str], str]:
    out = {}
    for level, table in (("category", "categories"), ("sector", "sectors")):
        for r in result.tables[table].to_dict("records"):
            out[level, str(r["unit"])] = words.name(r, locale)
    for r in result.tables["enterprises"].to_dict("records"):
        out["enterprise", str(r["unit"])] = str(r.get("name") or r["unit"])
    return out


def _ci(estimate, se, df, level: float) -> str:
    if not (is_number(estimate) and is_number(se)):
        return DASH
    q = stats.t.ppf(0.5 + level / 2, df) if is_number(df) and df > 0 else stats.norm.ppf(
        0.5 + level / 2)
    return interval(estimate - q * se, estimate + q * se)


def _verdict(row: dict, locale: str) -> str:
    key = "verdict_zh" if locale == "zh_CN" else "verdict_en"
    return str(row.get(key) or DASH)


def _p(value) -> str:
    return DASH if not is_number(value) else ("<0.001" if value < 0.001 else f"{value:.3f}")


def _rows(result: WaveResult, family: str, locale: str) -> list[dict]:
    """The family's target rows (category, sectors, units) as printed."""
    t = _targets(result)
    t = t[t["family"] == family]
    names = _names(result, locale)
    level = float(result.settings.get("ci_level", 0.95))
    shares = result.tables.get("shares")
    n_of = {}
    if shares is not None and "n" in shares.columns:
        n_of = {(r["level"], str(r["unit"])): r["n"] for r in shares.to_dict("records")}
    out = []
    for r in t.to_dict("records"):
        key = (r["level"], str(r["unit"]))
        out.append({
            "level": LEVEL_NAMES[r["level"]][0 if locale == "zh_CN" else 1],
            "level_key": r["level"], "name": names.get(key, str(r["unit"])),
            "kind": r["kind"], "target": num(r["target"], 0),
            "estimate": num(r["estimate"]), "ci": _ci(r["estimate"], r["se"], r["df"], level),
            "n": count(n_of[key]) if is_number(n_of.get(key)) else DASH,
            "baseline": num(r["baseline_estimate"]) if is_number(r["baseline_estimate"])
            else DASH,
            "change": signed(r["change"]) if is_number(r["change"]) else DASH,
            "change_ci": _ci(r["change"], r["se_change"], r["df"], level),
            "se_change": num(r["se_change"], 2) if is_number(r["se_change"]) else DASH,
            "p": _p(r["p_one_sided"]), "verdict": _verdict(r, locale),
            "verdict_key": r["verdict"]})
    return out


def family_sections(result: WaveResult, locale: str = "zh_CN") -> list[dict]:
    """One section per non-service family present: its index, target kind and table."""
    t = _targets(result)
    fam = result.tables.get("families")
    heads = {} if fam is None else {str(r["unit"]): r for r in fam.to_dict("records")}
    sections = []
    for family in ("product", "construction"):
        cats = t[(t["family"] == family) & (t["level"] == "category")]
        if not len(cats):
            continue
        head = heads.get(family)
        kinds = [kind_text(k, v, locale) for k, v in zip(cats["kind"], cats["target"],
                                                          strict=True)]
        sections.append({
            "key": family, "name": FAMILY_NAMES[family][0 if locale == "zh_CN" else 1],
            "kind": cats["kind"].iloc[0], "kind_text": "；".join(kinds) if locale == "zh_CN"
            else "; ".join(kinds),
            "estimate": num(head["estimate"]) if head is not None else DASH,
            "ci": interval(head["ci_low"], head["ci_high"]) if head is not None else DASH,
            "n": count(head["n"]) if head is not None else DASH,
            "rows": _rows(result, family, locale)})
    return sections


def compute_lines(result: WaveResult) -> list[str]:
    """The families, the share targets and the improvement targets as text lines."""
    lines = []
    fam = result.tables.get("families")
    if fam is not None and len(fam):
        lines.append(f"{'family':<16}{'index':>7}{'95% CI':>16}{'n':>7}")
        for r in fam.to_dict("records"):
            lines.append(f"{str(r['unit']):<16}{r['estimate']:>7.1f}"
                         f"{interval(r['ci_low'], r['ci_high']):>16}{int(r['n']):>7}")
        lines.append("")
    for s in family_sections(result, "en"):
        lines.append(f"{s['name']} index {s['estimate']} {s['ci']}, target: {s['kind_text']}")
        if s["kind"] == "share":
            lines.append(f"{'level':<11}{'unit':<20}{'share %':>8}{'95% CI':>16}{'target':>7}"
                         f"{'p':>8}  verdict")
            lines += [f"{r['level_key']:<11}{r['name'][:18]:<20}{r['estimate']:>8}"
                      f"{r['ci']:>16}{r['target']:>7}{r['p']:>8}  {r['verdict_key']}"
                      for r in s["rows"]]
        else:
            lines.append(f"{'level':<11}{'unit':<20}{'base':>7}{'now':>7}{'change':>8}"
                         f"{'SE':>6}{'p(1-sided)':>11}  verdict")
            lines += [f"{r['level_key']:<11}{r['name'][:18]:<20}{r['baseline']:>7}"
                      f"{r['estimate']:>7}{r['change']:>8}{r['se_change']:>6}{r['p']:>11}  "
                      f"{r['verdict_key']}" for r in s["rows"]]
        lines.append("")
    return lines
