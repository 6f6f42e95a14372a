"""Methodology annex text generated from the settings actually used."""

from __future__ import annotations

from analysis.settings import Settings

_TEXT = {
    "zh_CN": {
        "title": "测评方法说明",
        "scale": "各题项按问卷声明的量程换算为0–100分：100×(x−下限)/(上限−下限)，反向题先按"
                 "“下限+上限−x”重新编码；“不适用”作缺失处理，不计为0分。",
        "pls": "题项权重采用偏最小二乘路径模型（PLS-PM，Lohmöller算法，模式A，{scheme}内部加权，"
               "初始权重为1，收敛容差{tol:g}，最多{max_iter}次迭代）估计，外部权重除以题项标准差"
               "换算为原始量纲后在各潜变量内归一化；若出现非正权重则改用等权并注明。题项先标准化，"
               "方差除数与R软件plspm包一致（数据标准化时以N或N−1为除数所得权重相同；仅中心化时，"
               "外部权重使潜变量得分以N为除数的方差为1）。",
        "equal": "题项权重采用等权。",
        "ahp": "题项权重由专家两两比较矩阵的主特征向量确定（层次分析法），一致性比率须小于0.1。",
        "score": "受访者的潜变量得分为其已作答题项的加权平均（权重在已答题项间重新归一化），"
                 "作答题项少于{share}时记为缺失。",
        "frozen": "以下权重池沿用此前测评期冻结的题项权重，以保证各期可比：{pools}。",
        "pool": "题项权重按{pool}合并本期样本估计。",
        "quarantine": "质量核查标记的问卷{action}；仅“所有题目同一分值”一项不足以隔离"
                      "（真心满意的受访者也会全部打10分），须另有第二项标记（如答题过快）"
                      "才隔离。投诉答复期限按国家法定节假日与调休安排计算工作日"
                      "（数据来源：chinese-calendar 程序包所收国务院办公厅通知）。",
        "bootstrap": "另以自助法（{B}次重复抽样，随机种子{seed}）估计标准误，每次重抽样均重新估计"
                     "题项权重与样本权重，结果与线性化结果并列。",
        "boot_respondents": "重抽样在各企业内对受访者有放回抽取，报告自助法标准误及{ci:.0%}百分位"
                            "区间（只反映所调查企业内受访者的变异，与普查设计相当）。",
        "boot_rao_wu": "行业、大类和全区指数采用Rao–Wu重标度自助法：在各行业内有放回抽取n−1家"
                       "企业（n为该行业样本企业数），被抽中r次的企业权重乘以r·n/(n−1)，企业内受访者"
                       "随企业整体进入（企业内变异已包含在企业间变异中，不再重复抽样）；区间为估计值"
                       "±t分位数×自助法标准误（设计自由度），{ci:.0%}水平。企业指数在企业内对受访者"
                       "有放回重抽样，报告{ci:.0%}百分位区间。",
        "raking": "样本权重在各行业内按已知总体结构进行迭代比例拟合（raking，"
                  "收敛至相对误差{rtol:g}）{trim}；报告Kish设计效应与有效样本量。",
        "trim": "，并经截尾（调整系数限制在均值的{0}–{1}倍）后重新拟合",
        "notrim": "，未作截尾",
        "noraking": "未使用总体结构校准。",
        "enterprise_weights": "行业指数为各企业指数按配置的企业权重（客户量或营业额）加权合成。",
        "pooled": "行业指数为行业内全部受访者的加权平均。",
        "aggregate": "大类指数为各行业指数按配置权重（如增加值占比）加权合成，全区指数同理；"
                     "无数据的单位予以剔除并披露，不计为0。",
        "sample": "标准误采用泰勒线性化方法，将企业视为所属行业（层）内抽取的初级抽样单位；",
        "small": "企业权重不等时，行业方差按偏差缩减线性化（Bell–McCaffrey）作小样本校正，"
                 "临界值取工作模型下学生化统计量的模拟分位数（以等价t分布自由度报告）；",
        "census": "标准误采用泰勒线性化方法，将企业视为普查（各企业为一层，受访者为抽样单位）；",
        "ci": "经校准的权重使用校准残差（Deville–Särndal）。置信区间为{ci:.0%}水平，"
              "按设计自由度取t分位数，并截取在[0, 100]内。",
        "verdict": "达标判定基于{vl:.0%}置信区间：下限不低于目标值为“达标”，"
                   "上限低于目标值为“未达标”，否则为“与目标无显著差异”；单侧p值经Holm法校正。",
        "kinds": "目标分三类：门槛类（如生产性服务业≥85、传统服务业≥80）按上述区间判定；"
                 "“显著提高”类以本期指数减基期指数为变化量，其标准误由两期的设计标准误合成"
                 "（两期样本独立时为两者平方和的平方根，同一批企业两期均为初级抽样单位时按"
                 "两期抽样单位合计之差计算，计入协方差），自由度取两期较小者，作显著性水平为{a:.0%}的单侧t检验："
                 "显著高于最低提高幅度为“达标（显著提高）”，显著低于为“未达标（显著下降）”，"
                 "否则为“无显著变化”，无基期数据的单位注明“无基期”；“满意比例”类以总体满意度"
                 "题（1–10分）打8分及以上的受访者加权比例（百分比）为估计值，与指数采用相同的"
                 "权重、分层、初级抽样单位和线性化标准误，按门槛方式与目标比例比较。"
                 "全区指数仅合成服务业各大类；产品、工程等各指数族分别按同样方法合成族指数。",
        "publication": "有效样本量小于{neff:g}或自由度小于{df:g}的单位标注为“样本不足”，"
                       "不参与排名；置信区间半宽超过{hw:g}分的单位标注提示。",
        "ranking": "企业排名采用向行业均值收缩的经验贝叶斯估计；原始估计值与置信区间同时公布。"
                   "若某行业企业间方差的估计值为0，所有收缩估计相同，该行业不排名、不设领先企业"
                   "（标记为并列，名次与百分位留空）。",
        "quadrant": "改进优先级（四分图）以各驱动因素对满意度的总效应为重要性、以指数为表现，"
                    "以{split}为分界。",
    },
    "en": {
        "title": "Methodology",
        "scale": "Each item is rescaled to 0-100 with its declared scale, 100(x - lo)/(hi - lo); "
                 "reverse-keyed items are recoded lo + hi - x first; 'not applicable' is missing, "
                 "never 0.",
        "pls": "Item weights come from PLS path modelling (Lohmoeller's algorithm, Mode A, "
               "{scheme} weighting scheme, initial weights 1, tolerance {tol:g}, at most "
               "{max_iter} iterations); outer weights divided by the item s.d. and "
               "normalised within each construct; a construct with a non-positive weight "
               "falls back to equal weights and is flagged. Items are standardised; the "
               "variance divisor follows R's plspm (with standardised items the divisors N and "
               "N-1 give the same weights; with centred-only items the outer weights give the "
               "construct scores unit variance with divisor N).",
        "equal": "Items are weighted equally within each construct.",
        "ahp": "Item weights are the principal eigenvector of expert pairwise-comparison matrices "
               "(AHP), with consistency ratio below 0.1.",
        "score": "A respondent's construct score is the weighted mean of the answered items "
                 "(weights renormalised); it is missing when fewer than {share} were answered.",
        "frozen": "These weight pools use item weights frozen from an earlier wave, so that "
                  "waves stay comparable: {pools}.",
        "pool": "Item weights are estimated on the wave's pooled sample of each {pool}.",
        "quarantine": "Responses flagged by the quality checks are {action}; straight-lining "
                      "alone does not quarantine a response (honest enthusiasts answer 10 "
                      "throughout) unless a second flag, such as speeding, accompanies it. "
                      "Complaint reply deadlines count working days under China's statutory "
                      "holidays and adjusted working weekends (source: the State Council "
                      "notices as shipped by the chinese-calendar package).",
        "bootstrap": "A bootstrap ({B} replicates, seed {seed}) re-estimates the item weights "
                     "and the respondent weights in every replicate; its SEs and intervals are "
                     "reported beside the linearised ones.",
        "boot_respondents": "It resamples respondents with replacement within each enterprise "
                            "and reports {ci:.0%} percentile intervals (this reflects "
                            "respondents' variation within the enterprises surveyed, as the "
                            "census design does).",
        "boot_rao_wu": "Sector, category and district indices use the Rao-Wu rescaled "
                       "bootstrap: in each sector n-1 of its n sampled enterprises are drawn "
                       "with replacement and an enterprise drawn r times has its weights "
                       "multiplied by r n/(n-1); its respondents come along as drawn (their "
                       "variation is already part of the between-enterprise variation, so "
                       "they are not resampled again); intervals are the estimate -/+ the t "
                       "quantile on the design degrees of freedom times the bootstrap SE, at the "
                       "{ci:.0%} level. Enterprise indices resample respondents within the "
                       "enterprise and report {ci:.0%} percentile intervals.",
        "raking": "Respondent weights are raked within each sector to known population margins "
                  "(to a relative error of {rtol:g}){trim}; Kish's design effect and effective n "
                  "are reported.",
        "trim": ", trimmed (adjustment factors within {0}-{1} times their mean) and re-raked",
        "notrim": ", not trimmed",
        "noraking": "No population calibration is applied.",
        "enterprise_weights": "A sector index combines its enterprises' indices with the "
                              "configured enterprise weights (customer volume or revenue).",
        "pooled": "A sector index is the weighted mean over all its respondents.",
        "aggregate": "A category index is the configured weighted combination of its sector "
                     "indices (e.g. value-added shares), the district index likewise; units "
                     "without data are excluded and disclosed, never counted as 0.",
        "sample": "Standard errors use Taylor linearisation with enterprises as primary sampling "
                  "units within sector strata; ",
        "small": "with unequal enterprise weights a sector's variance gets the bias-reduced "
                 "linearisation small-sample correction (Bell-McCaffrey) and its critical value "
                 "is the simulated quantile of the studentised statistic under the working "
                 "model (reported as the equivalent t degrees of freedom); ",
        "census": "Standard errors use Taylor linearisation with enterprises as a census "
                  "(each enterprise a stratum of respondents); ",
        "ci": "calibrated weights use the calibration residuals (Deville-Saerndal). Confidence "
              "intervals are at the {ci:.0%} level with t quantiles on design degrees of freedom, "
              "clipped to [0, 100].",
        "verdict": "Target verdicts use the {vl:.0%} interval: 'met' when its lower bound reaches "
                   "the target, 'not met' when its upper bound is below it, otherwise 'not "
                   "significantly different'; one-sided p-values are Holm-adjusted.",
        "kinds": "Targets are of three kinds. A threshold (e.g. producer services >= 85, "
                 "traditional services >= 80) is judged by the interval above. 'Significant "
                 "improvement' takes the change since the baseline wave, this wave's index "
                 "minus the baseline's, with the SE of the change from both waves' design "
                 "SEs (the square root of their summed variances for independent samples; "
                 "from the differences of the PSU totals, covariance included, when the same "
                 "enterprises are PSUs in both waves) on the smaller of the two df, and a "
                 "one-sided t test at the {a:.0%} level: significantly above the minimum "
                 "improvement is 'met "
                 "(significantly improved)', significantly below is 'not met (significantly "
                 "declined)', otherwise 'no significant change'; a unit without a baseline "
                 "estimate says so. 'Share satisfied' is the weighted percentage of "
                 "respondents rating overall satisfaction 8 or more of 10, with the indices' "
                 "weights, strata, PSUs and linearised SEs, compared with the required "
                 "percentage as a threshold is. The district index combines the service "
                 "categories only; each other family (products, construction) gets its own "
                 "index formed the same way.",
        "publication": "Units with effective n below {neff:g} or fewer than {df:g} degrees of "
                       "freedom are shown as 'insufficient sample' and never ranked; a CI "
                       "half-width above {hw:g} points carries a caution flag.",
        "ranking": "Enterprise ranks use empirical-Bayes estimates shrunk toward the sector mean; "
                   "raw estimates and intervals stay visible. When a sector's estimated "
                   "between-enterprise variance is 0, every shrunk estimate is the same: the "
                   "sector is marked tied, with no ranks, percentiles or leader.",
        "quadrant": "Improvement priorities (importance-performance) take each driver's total "
                    "effect on satisfaction as importance and its index as performance, split at "
                    "the {split}.",
    },
}
_SPLIT = {"zh_CN": {"mean": "均值", "median": "中位数", "midpoint": "量表中点"},
          "en": {"mean": "mean", "median": "median", "midpoint": "scale midpoint"}}
_POOL = {"zh_CN": {"sector": "行业", "category": "行业大类"},
         "en": {"sector": "sector", "category": "category"}}
_QUARANTINE = {"zh_CN": {False: "不计入", True: "仍计入"},
               "en": {False: "excluded", True: "included"}}
_SCHEME = {"zh_CN": {"path": "路径", "centroid": "质心", "factorial": "因子"},
           "en": {"path": "path", "centroid": "centroid", "factorial": "factorial"}}


def methodology_text(settings: Settings, lang: str = "zh_CN") -> str:
    """Paragraphs describing the methods, generated from ``settings``.

    Examples
    --------
    >>> print(methodology_text(Settings(weight_method="equal"), "en").splitlines()[0])
    Methodology
    >>> "等权" in methodology_text(Settings(weight_method="equal"))
    True
    """
    if lang not in _TEXT:
        raise ValueError(f"lang must be one of {sorted(_TEXT)}")
    t, s = _TEXT[lang], settings
    weights = t[s.weight_method].format(scheme=_SCHEME[lang][s.scheme], tol=s.pls_tol,
                                        max_iter=s.pls_max_iter)
    sep = "" if lang == "zh_CN" else " "
    if s.frozen_weights:
        weights += sep + t["frozen"].format(pools=", ".join(sorted(s.frozen_weights)))
    weights += sep + t["pool"].format(pool=_POOL[lang][s.weights_pooled_by])
    parts = [
        t["scale"] + sep + t["quarantine"].format(
            action=_QUARANTINE[lang][s.include_quarantined]),
        weights,
        t["score"].format(share=_share(s.min_answered_share, lang)),
        _raking(t, s), t[s.aggregation], t["aggregate"],
        t[s.design] + (t["small"] if s.design == "sample" and s.small_sample else "")
        + t["ci"].format(ci=s.ci_level),
        t["verdict"].format(vl=s.verdict_level) + sep
        + t["kinds"].format(a=(1 - s.verdict_level) / 2),
        t["publication"].format(neff=s.min_n_eff, df=s.min_df, hw=s.caution_half_width),
        t["ranking"], t["quadrant"].format(split=_SPLIT[lang][s.quadrant_split]),
    ]
    if s.bootstrap:
        scheme = t["boot_" + s.resolved_bootstrap_scheme].format(ci=s.ci_level)
        parts.append(t["bootstrap"].format(B=s.bootstrap, seed=s.seed) + sep + scheme)
    return "\n\n".join([t["title"]] + parts)


def _raking(t: dict, s: Settings) -> str:
    if not s.raking:
        return t["noraking"]
    trim = t["notrim"] if s.trim_bounds is None else t["trim"].format(*s.trim_bounds)
    return t["raking"].format(rtol=s.rake_tol, trim=trim)


def _share(share: float, lang: str) -> str:
    if abs(share - 2 / 3) < 1e-12:
        return "三分之二" if lang == "zh_CN" else "two-thirds"
    return f"{share:.0%}"
