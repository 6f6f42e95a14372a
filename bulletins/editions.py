"""The two editions of a published bulletin: Chinese (official) and English.

Both are frozen at publication; a bulletin published before the English edition existed
falls back to its Chinese page and PDF.
"""

from __future__ import annotations

import pandas as pd

from analysis import WaveResult
from reports.words import issue_en, name
from survey.model import Bulletin
from survey.ops.bulletin_context import ENGLISH_DEFAULTS
from survey.web.i18n import current_locale

EN = "en"
ZH = "zh_CN"


def edition() -> str:
    """The edition the request asks for: English under ?lang=en (or its cookie), else Chinese."""
    return EN if current_locale() == EN else ZH


def has_english(bulletin: Bulletin) -> bool:
    """True when the English edition was frozen with the bulletin."""
    return bool(bulletin.html_en) and bulletin.pdf_en is not None


def shown(bulletin: Bulletin, lang: str) -> str:
    """The edition actually served for ``lang``: Chinese when there is no English one."""
    return EN if lang == EN and has_english(bulletin) else ZH


def title(bulletin: Bulletin, lang: str) -> str:
    """The bulletin's title in the edition."""
    if lang == EN:
        return bulletin.meta.get("title_en") or ENGLISH_DEFAULTS["title_en"]
    return bulletin.title


def issue(bulletin: Bulletin, lang: str) -> str:
    """The issue line in the edition: 2026年第3期 or No. 3, 2026."""
    if lang == EN:
        return issue_en(bulletin.wave.code, bulletin.issue_label, bulletin.published_at.date())
    return bulletin.issue_label


def district(bulletin: Bulletin, lang: str) -> str:
    """The district's name as the edition prints it."""
    if lang == EN:
        return bulletin.meta.get("district_name_en") or ENGLISH_DEFAULTS["district_name_en"]
    return bulletin.meta.get("district_name", "")


def html(bulletin: Bulletin, lang: str) -> str:
    """The frozen HTML of the edition served for ``lang``."""
    return bulletin.html_en if shown(bulletin, lang) == EN else bulletin.html


def pdf(bulletin: Bulletin, lang: str) -> bytes:
    """The frozen PDF of the edition served for ``lang``."""
    return bulletin.pdf_en if shown(bulletin, lang) == EN else bulletin.pdf


HEADERS = {
    ZH: {"level": "层级", "unit": "代码", "name": "名称", "estimate": "满意度指数",
         "ci_low": "95%置信下限", "ci_high": "95%置信上限", "se": "标准误", "n": "样本量",
         "n_eff": "有效样本量", "target": "目标值", "verdict": "判定", "published": "达到发布要求"},
    EN: {"level": "Level", "unit": "Code", "name": "Name", "estimate": "Satisfaction index",
         "ci_low": "95% CI lower", "ci_high": "95% CI upper", "se": "Standard error",
         "n": "Responses", "n_eff": "Effective sample size", "target": "Target",
         "verdict": "Verdict", "published": "Meets the publication rule"},
}
LEVELS = {ZH: (("district", "全区"), ("categories", "服务类别"), ("sectors", "行业")),
          EN: (("district", "District"), ("categories", "Category"), ("sectors", "Sector"))}
VERDICTS_EN = {"met": "Target met", "not_met": "Target not met",
               "not_different": "Not significantly different from target"}


def tables(bulletin: Bulletin, lang: str = ZH) -> pd.DataFrame:
    """The published figures of a bulletin (district, categories, sectors) as one table, with
    the headers, names and verdicts of the edition."""
    result = WaveResult.from_json(bulletin.result_json)
    parts = []
    for key, level in LEVELS[lang]:
        frame = result.tables[key].copy()
        frame.insert(0, "level", level)
        if key == "district":
            frame["name"] = district(bulletin, lang)
        else:
            frame["name"] = [name(r, lang) for r in frame.to_dict("records")]
        if lang == EN:
            frame["verdict"] = frame["verdict"].map(VERDICTS_EN) if "verdict" in frame else None
        else:
            frame["verdict"] = frame["verdict_zh"] if "verdict_zh" in frame else None
        parts.append(frame[[c for c in HEADERS[lang] if c in frame.columns]])
    table = pd.concat(parts, ignore_index=True)
    for column in ("estimate", "ci_low", "ci_high", "se", "n_eff"):
        table[column] = table[column].round(2)
    return table.rename(columns=HEADERS[lang])
