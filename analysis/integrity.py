"""One entry point for the integrity checks that need no network or device identity, and the
bulletin annex's paragraph describing them."""

from __future__ import annotations

import dataclasses

import pandas as pd

from analysis import influence
from analysis.arrivals import expected_arrivals
from analysis.quality import COPIED_LINK, SHIFTED_SURGE, SURGE
from analysis.shifted_surge import detect_shifted_surges
from analysis.surge import ALPHA, SurgeResult, detect_surges

METHODOLOGY = {
    "en": (
        "Responses are screened for ballot-stuffing without relying on networks or devices. "
        "For each enterprise and link an expected hourly arrival rate is built from its own "
        "earlier waves, its declared customer volume and its sector peers (Gamma-Poisson "
        "empirical Bayes) with the district's day-of-week and hour-of-day pattern within "
        "opening hours. Windows from five minutes to the whole wave are scanned; a window "
        "whose count is improbable under a negative-binomial model (a Mecke bound on the scan "
        "p-value, Bonferroni over enterprises, links and window lengths, family-wise error "
        "{alpha:g} per wave) is a surge, and its responses are held for review, not deleted. "
        "Answers inside a surge are compared with the rest of the wave and the previous wave. "
        "Windows of one day to the whole wave are also tested for a count above expectation "
        "together with answers shifted against the enterprise's other responses (negative-"
        "binomial count and Mann-Whitney tests combined by Fisher's method, Bonferroni over "
        "enterprises and windows, family-wise error {alpha:g} per wave); the responses of such "
        "a shifted surge on the shifted side are held likewise. An enterprise whose index "
        "jumps between waves is not ranked until an analyst decides, unless the wave's field "
        "interviews or receipt-verified responses show the jump. In the estimator no local "
        "day may carry more of its enterprise's weight than the largest of {cap:g} typical "
        "days, {floor:g} responses and the count an honest day exceeds with chance "
        "{ialpha:g} per wave (a negative binomial around the typical day with squared "
        "coefficient of variation {cv2:g}, allowing for promotion days and groups), so that "
        "only improbable days are capped; "
        "on simulated honest data this changes indices by less than 0.1 point."),
    "zh": (
        "刷票筛查不依赖网络或设备标识。每家企业及每个链接的预期每小时到达率，由其往期数据、"
        "申报客流量及同行业企业（伽马-泊松经验贝叶斯）估计，并按全区营业时间内的星期×小时分布"
        "刻画。以五分钟至整期的时间窗扫描；若窗内答卷数在负二项模型下极不可能（扫描p值取Mecke"
        "上界，对企业、链接与窗长作Bonferroni校正，每期总体误差{alpha:g}），即判为异常激增，"
        "窗内答卷暂缓计入、待复核，不予删除。激增窗内的答案与本期其余答卷及上期答卷比较。"
        "另以一天至整期的时间窗，检验答卷数是否高于预期且答案相对该企业其他答卷发生偏移"
        "（负二项计数检验与Mann-Whitney检验以Fisher法合并，对企业与时间窗作Bonferroni校正，"
        "每期总体误差{alpha:g}）；此类评分偏移激增窗内偏向一侧的答卷同样暂缓计入。"
        "企业指数在两期之间大幅跳变的，除非本期实地访问或凭证核验答卷也显示该跳变，"
        "经分析员裁定前不参与排名。估计中任一自然日"
        "在该企业权重中所占的分量，不超过以下三者中的最大者：典型日的{cap:g}倍、{floor:g}份答卷、"
        "真实答卷日每期超过概率仅为{ialpha:g}的答卷数（以典型日为均值、变异系数平方为{cv2:g}的"
        "负二项分布，已考虑促销日与结伴作答），即仅对极不可能的日子封顶；"
        "在模拟的真实数据上对指数的影响小于0.1分。"),
}


# The day cap's sentence under the former rule K = max(cap m, floor) (influence_day_cv2
# None), for the annex of a result computed before the quantile term existed.
FORMER_DAY_CAP = {
    "en": ("In the estimator no local day may carry more of its enterprise's weight than "
           "{cap:g} typical days or {floor:g} responses, whichever is larger."),
    "zh": ("估计中任一自然日在该企业权重中所占的分量，"
           "不超过典型日的{cap:g}倍与{floor:g}份答卷中的较大者。"),
}
CAP_SENTENCE_START = {"en": "In the estimator", "zh": "估计中"}


def methodology_paragraph(lang: str = "zh", *, cap: float | None = 5.0, floor: float = 10.0,
                          alpha: float = ALPHA, influence_alpha: float = influence.ALPHA,
                          day_cv2: float | None = influence.DAY_CV2) -> str:
    """The annex paragraph on the integrity checks in ``lang`` ("zh" or "en"): the day cap's
    sentence is dropped when the cap is off (``cap=None``) and states the former rule
    ``max(cap m, floor)`` when ``day_cv2`` is None."""
    if lang not in METHODOLOGY:
        raise ValueError(f"lang must be one of {sorted(METHODOLOGY)}")
    text = METHODOLOGY[lang].format(alpha=alpha, cap=cap or 0, floor=floor,
                                     ialpha=influence_alpha, cv2=day_cv2 or 0)
    if cap is None or day_cv2 is None:
        text = text.rsplit(CAP_SENTENCE_START[lang], 1)[0].rstrip()
    if cap is not None and day_cv2 is None:
        text += ("" if lang == "zh" else " ") + FORMER_DAY_CAP[lang].format(cap=cap, floor=floor)
    return text


def screen_wave(responses: pd.DataFrame, enterprises: pd.DataFrame, start, end, *, tz: str,
                history: pd.DataFrame | None = None, waves: pd.DataFrame | None = None,
                now=None, previous: pd.DataFrame | None = None,
                **surge_options) -> tuple[pd.Series, SurgeResult]:
    """Reason codes (lists, like :func:`analysis.quality.flag_responses`) of the scans.

    Runs :func:`analysis.arrivals.expected_arrivals` and :func:`analysis.surge.detect_surges`
    on ``responses`` (response_id, enterprise_id, link_id, submitted_at) and, when they carry
    a ``score``, :func:`analysis.shifted_surge.detect_shifted_surges` on the responses the
    surge scan left (``previous``: enterprise_id, score of the previous wave). Returns
    ``[SURGE]`` or ``[SHIFTED_SURGE]`` for held responses, ``[]`` otherwise, with the full
    result (its ``shifted`` part included) for the timeline.
    """
    model = expected_arrivals(enterprises, start, end, tz=tz, history=history, waves=waves,
                              current=responses, now=now)
    result = detect_surges(responses, model, **surge_options)
    reasons = result.held.map(lambda held: [SURGE] if held else [])
    if "score" not in responses.columns:
        return reasons, result
    left = responses[~result.held.to_numpy()]
    shifted = detect_shifted_surges(left, model, previous,
                                    alpha=surge_options.get("alpha", ALPHA))
    flag = shifted.held.reindex(responses.index, fill_value=False)
    reasons = pd.Series([[SURGE] if h else [SHIFTED_SURGE] if f else []
                         for h, f in zip(result.held, flag, strict=True)], index=responses.index)
    return reasons, dataclasses.replace(result, shifted=shifted)


def held_by_scans(result: SurgeResult) -> pd.Series:
    """Responses held by either scan (surge or shifted surge), indexed like the responses."""
    if result.shifted is None:
        return result.held.copy()
    return result.held | result.shifted.held.reindex(result.held.index, fill_value=False)


__all__ = ["COPIED_LINK", "METHODOLOGY", "SHIFTED_SURGE", "SURGE", "held_by_scans",
           "methodology_paragraph", "screen_wave"]
