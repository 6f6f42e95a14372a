"""The bulletin's words in each edition: Chinese (the official one) and English.

The English strings are written as a statistical office writes them, not translated word
for word; proper names (enterprises, documents) stay as registered.
"""

from __future__ import annotations

import datetime as dt
import re

from analysis.quality import reason_names

LOCALES = ("zh_CN", "en")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
ORDINAL = {"1": "first", "2": "second", "3": "third", "4": "fourth"}

CONSTRUCTS = {
    "zh_CN": {"image": "企业形象", "expectation": "顾客预期", "quality": "感知质量",
              "value": "感知价值", "satisfaction": "顾客满意", "complaint": "顾客抱怨",
              "loyalty": "顾客忠诚"},
    "en": {"image": "Image", "expectation": "Expectations", "quality": "Perceived quality",
           "value": "Perceived value", "satisfaction": "Satisfaction",
           "complaint": "Complaints", "loyalty": "Loyalty"},
}
VERDICTS = {
    "zh_CN": {"met": "达标", "not_met": "未达标", "not_different": "与目标无显著差异",
              "insufficient": "样本不足"},
    "en": {"met": "Target met", "not_met": "Target not met",
           "not_different": "Not significantly different from target",
           "insufficient": "Too few responses"},
}
CHANGES = {
    "zh_CN": {"up": "显著上升", "down": "显著下降", "none": "无显著变化"},
    "en": {"up": "significant rise", "down": "significant fall", "none": "no significant change"},
}
QUADRANTS = {
    "zh_CN": {"strength": "优势区", "fix_first": "修补区", "opportunity": "机会区",
              "maintain": "维持区"},
    "en": {"strength": "strength", "fix_first": "fix first", "opportunity": "opportunity",
           "maintain": "maintain"},
}
LEVELS = {
    "zh_CN": {"enterprise": "企业", "sector": "行业", "category": "大类", "district": "全区"},
    "en": {"enterprise": "Enterprise", "sector": "Sector", "category": "Category",
           "district": "District"},
}
EXCLUSIONS = {
    "zh_CN": {"no responses": "本期无有效样本", "no sector with data": "所属行业均无数据"},
    "en": {"no responses": "no valid responses this wave",
           "no sector with data": "none of its sectors has data"},
}
DESIGN = {
    "zh_CN": {
        "sample": "分层整群抽样：以行业为层、企业为初级抽样单位（PSU），企业内顾客为次级单位",
        "census": "企业普查：每家企业为一层，企业内顾客为抽样单位",
    },
    "en": {
        "sample": "Stratified cluster sample: sectors are the strata, enterprises the primary "
                  "sampling units and their customers the second-stage units",
        "census": "Census of enterprises: each enterprise is a stratum and its customers are "
                  "the sampling units",
    },
}
#: Words of the charts (axis labels, target marks, quadrant corners).
CHARTS = {
    "zh_CN": {"target": "目标 {:g}", "sector_axis": "满意度指数（点为估计值，线段为95%置信区间）",
              "index": "满意度指数", "importance": "重要性（对顾客满意的总效应）",
              "performance": "表现（指数）", "quadrant_title": "{}：改进优先级四分图",
              "corners": ("维持区", "优势区", "机会区", "修补区")},
    "en": {"target": "target {:g}",
           "sector_axis": "Satisfaction index (point estimate and 95% confidence interval)",
           "index": "Satisfaction index", "importance": "Importance (total effect on satisfaction)",
           "performance": "Performance (index)", "quadrant_title": "{}: improvement priorities",
           "corners": ("Maintain", "Strength", "Opportunity", "Fix first")},
}
MISC = {
    "zh_CN": {"uncalibrated": "未校准", "unstated": "未注明", "sep": "，", "colon": "：",
              "last_wave": "上期"},
    "en": {"uncalibrated": "not calibrated", "unstated": "not stated", "sep": ", ",
           "colon": ": ", "last_wave": "the previous wave"},
}


def check(locale: str) -> str:
    """``locale`` if the bulletin has an edition in it, else a ValueError."""
    if locale not in LOCALES:
        raise ValueError(f"locale must be one of {LOCALES}, got {locale!r}")
    return locale


def flags(locale: str) -> dict[str, str]:
    """Quarantine reason code -> its name in the edition's language."""
    return reason_names(locale)


def name(row: dict, locale: str) -> str:
    """A unit's name in the edition: ``name_en`` in English when there is one."""
    if locale == "en" and isinstance(row.get("name_en"), str) and row["name_en"].strip():
        return row["name_en"]
    return str(row.get("name_zh") or row.get("name") or row.get("unit") or "")


def date_en(date: dt.date) -> str:
    """A date as an English statistical release prints it.

    >>> date_en(dt.date(2026, 1, 5))
    '5 January 2026'
    """
    return f"{date.day} {MONTHS[date.month - 1]} {date.year}"


def wave_en(code: str) -> str:
    """A quarterly wave code in English; other codes are kept.

    >>> wave_en("2026Q3"), wave_en("2026H1")
    ('Q3 2026', '2026H1')
    """
    m = re.fullmatch(r"(\d{4})Q([1-4])", code or "")
    return f"Q{m[2]} {m[1]}" if m else code


def wave_long_en(code: str) -> str:
    """A quarterly wave code as running text: the third quarter of 2026.

    >>> wave_long_en("2026Q3")
    'the third quarter of 2026'
    """
    m = re.fullmatch(r"(\d{4})Q([1-4])", code or "")
    return f"the {ORDINAL[m[2]]} quarter of {m[1]}" if m else code


def issue_en(wave_code: str, issue, date: dt.date) -> str:
    """The issue line of the English edition: No. 3, 2026.

    >>> issue_en("2026Q3", "2026年第3期", dt.date(2026, 10, 9))
    'No. 3, 2026'
    """
    m = re.fullmatch(r"(\d{4})年第(\d+)期", str(issue)) if isinstance(issue, str) else None
    if m:
        return f"No. {m[2]}, {m[1]}"
    if isinstance(issue, int):
        return f"No. {issue}, {date.year}"
    q = re.fullmatch(r"(\d{4})Q([1-4])", wave_code or "")
    return f"No. {q[2]}, {q[1]}" if q else str(issue)


def compound(label: str) -> str:
    """A category name as the modifier of "index": Producer services → producer-services.

    >>> compound("Producer services"), compound("Traditional (consumer) services")
    ('producer-services', 'traditional (consumer) services')
    """
    text = label[:1].lower() + label[1:]
    return text.replace(" ", "-") if re.fullmatch(r"[\w]+ [\w]+", text) else text


CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def source(text: str, locale: str) -> str:
    """A recorded weight source as the edition prints it.

    The English edition uses the source's own English part when the bureau recorded one
    in brackets; otherwise the source is quoted as recorded.

    >>> source("演示数据：虚构的占比 （demo： invented shares）", "en")
    'demo: invented shares'
    """
    if locale != "en" or not CJK.search(text):
        return text
    for part in re.findall(r"[（(]([^（）()]*)[）)]", text):
        latin = re.sub(r"\s*：\s*", ": ", part).strip()
        if latin and not CJK.search(latin):
            return latin
    return text
