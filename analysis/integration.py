"""Field, QR and receipt-code samples combined into one index (data integration).

The field sample is a probability sample (:mod:`analysis.field_plan`); the QR sample is
self-selected (selective solicitation, stuffing); QR responses with a verified receipt
code are real transactions but still open to selective solicitation. The combined
estimator calibrates the field sample to the QR side: a GREG estimator with each
enterprise's QR-side mean ``x_e`` as an auxiliary known for every enterprise (Saerndal,
Swensson & Wretman 1992, ch. 6; Kim & Tam 2021, Int. Stat. Review 89(2), calibrating the
probability sample to the non-probability source; Elliott & Valliant 2017, Statistical
Science 32(2), on why that source alone cannot be trusted)::

    theta_s = ybar_F,s + B (Xbar_s - xbar_F,s),   Xbar_s = sum_{e in U_s} a_e x_e

with volume shares ``a_e``, Hajek field means and ``B`` the field-weighted slope of ``y``
on ``x`` with sector intercepts. Given the QR data ``x`` is fixed, so the estimator is
design-consistent whatever the QR bias, and the QR side lowers the variance as far as it
predicts the truth. ``x_e`` is the verified mean where an enterprise has ``min_verified``
verified responses (the trusted stratum), else its QR mean, else its sector's mean.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.design import t_interval
from analysis.design_frame import survey_mean

LEVELS = ("sector", "enterprise")


def _need(frame, name, columns, level="sector"):
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise ValueError(f"{name} lacks columns: {', '.join(absent)}")
    if not len(frame):
        raise ValueError(f"{name} has no rows")


def field_index(field: pd.DataFrame, *, level: str = "sector", score: str = "score",
                ci: float = 0.95) -> pd.DataFrame:
    """Design-based index of the field sample alone, with linearised SEs.

    Hajek mean ``sum w_i y_i / sum w_i`` over the plan's design weights; the SE is the
    ultimate-cluster linearised variance (:func:`analysis.design.survey_mean`; Lumley
    2010, section 2.4) with sectors as strata and enterprises as PSUs (``level="sector"``)
    or, within an enterprise, its slots as PSUs (``level="enterprise"``).
    """
    _need(field, "field", ["enterprise_id", "sector", "slot", "weight", score], level)
    if level == "sector":
        return survey_mean(field, score, weight="weight", strata="sector", psu="enterprise_id",
                           by="sector", level=ci)
    return survey_mean(field, score, weight="weight", strata="enterprise_id", psu="slot",
                       by="enterprise_id", level=ci)


def _volume_mean(values: pd.Series, enterprises, size) -> pd.Series:
    """``sum_e a_e v_e`` per sector over the frame (``values`` indexed by enterprise_id)."""
    frame = enterprises.set_index("enterprise_id")
    a = frame[size].astype(float)
    return (a * values).groupby(frame["sector"]).sum() / a.groupby(frame["sector"]).sum()


def qr_index(qr: pd.DataFrame, enterprises: pd.DataFrame, *, level: str = "sector",
             score: str = "score", size: str = "volume", ci: float = 0.95) -> pd.DataFrame:
    """Index of a QR sample (or its verified rows): enterprise means, volume-weighted sectors.

    Enterprise ``q_e = mean y`` with ``se = s_e / sqrt(n_e)``; sector
    ``q_s = sum_e a_e q_e`` with ``a_e = x_e / sum x`` over enterprises with data and
    ``V = sum_e a_e^2 s_e^2 / n_e`` (enterprises as a census of strata, respondents as
    PSUs; Lumley 2010, section 2.2). Use ``qr[qr.verified]`` for the verified stratum.
    """
    _need(qr, "qr", ["enterprise_id", "sector", score], level)
    if level == "enterprise":
        return survey_mean(qr, score, strata="enterprise_id", by="enterprise_id", level=ci)
    ok = qr[qr[score].notna()]
    ents = ok.drop_duplicates("enterprise_id").set_index("enterprise_id")["sector"]
    vol = enterprises.set_index("enterprise_id")[size].astype(float).reindex(ents.index)
    if vol.isna().any():
        raise ValueError("qr names enterprises that are not in the frame")
    share = vol / vol.groupby(ents).transform("sum")
    frame = ok.assign(_w=ok["enterprise_id"].map(share)
                      / ok.groupby("enterprise_id")[score].transform("size"))
    return survey_mean(frame, score, weight="_w", strata="enterprise_id", by="sector", level=ci)


def auxiliary(qr: pd.DataFrame, enterprises: pd.DataFrame, *, score: str = "score",
              min_verified: int = 5) -> pd.DataFrame:
    """QR-side mean ``x_e`` of each frame enterprise (module docstring), ``n`` rows behind it."""
    _need(enterprises, "enterprises", ["enterprise_id", "sector"])
    ids = enterprises["enterprise_id"]
    out = qr.groupby("enterprise_id")[score].agg(["mean", "count"]).reindex(ids)
    if "verified" in qr.columns:
        v = qr[qr["verified"].astype(bool)].groupby("enterprise_id")[score].agg(
            ["mean", "count"]).reindex(ids)
        out = v.where(np.repeat((v["count"] >= min_verified).to_numpy()[:, None], 2, 1), out)
    out.columns = ["x", "n"]
    sector = enterprises.set_index("enterprise_id")["sector"].reindex(out.index)
    out["x"] = out["x"].fillna(out["x"].groupby(sector).transform("mean"))
    out["n"] = out["n"].fillna(0)
    return out


def greg_slope(y, x, sector, w) -> float:
    """Weighted least-squares slope ``B`` of ``y`` on ``x`` with one intercept per sector.

    ``B = sum w (y - ybar_s)(x - xbar_s) / sum w (x - xbar_s)^2`` with Hajek sector
    means (the within-sector estimator); 0 when ``x`` does not vary within sectors.
    """
    d = pd.DataFrame({"y": y, "x": x, "s": sector, "w": w})
    for c in ("y", "x"):
        d[c] = d[c] - (d["w"] * d[c]).groupby(d["s"]).transform("sum") / \
            d["w"].groupby(d["s"]).transform("sum")
    sxx = float((d["w"] * d["x"] ** 2).sum())
    return float((d["w"] * d["x"] * d["y"]).sum() / sxx) if sxx > 1e-12 else 0.0


def combined_index(field: pd.DataFrame, qr: pd.DataFrame, enterprises: pd.DataFrame, *,
                   score: str = "score", size: str = "volume", min_verified: int = 5,
                   ci: float = 0.95) -> pd.DataFrame:
    """Sector index from the field sample calibrated to the QR side (GREG, module docstring).

    ``theta_s = Xbar_s B + sum_F w r / sum_F w`` with residuals ``r_i = y_i - B x_e(i)``;
    its SE is the linearised SE of the Hajek mean of ``r`` (the GREG variance with g-weights
    1, Saerndal et al. 1992, eq. 6.6.9), sectors as strata and enterprises as PSUs.
    ``out.attrs["slope"]`` holds ``B``.
    """
    _need(field, "field", ["enterprise_id", "sector", "weight", score])
    _need(enterprises, "enterprises", ["enterprise_id", "sector", size])
    x = auxiliary(qr, enterprises, score=score, min_verified=min_verified)["x"]
    f = field[field[score].notna()].copy()
    f["_x"] = f["enterprise_id"].map(x).to_numpy(float)
    if f["_x"].isna().any():
        raise ValueError("field names enterprises that are not in the frame")
    b = greg_slope(f[score], f["_x"], f["sector"], f["weight"])
    f["_r"] = f[score] - b * f["_x"]
    out = survey_mean(f, "_r", weight="weight", strata="sector", psu="enterprise_id",
                      by="sector", level=ci)
    out["estimate"] += b * _volume_mean(x, enterprises, size).reindex(out.index)
    out["ci_low"], out["ci_high"] = t_interval(out["estimate"], out["se"], out["df"], ci)
    out.attrs["slope"] = b
    return out


def combined_enterprises(field: pd.DataFrame, qr: pd.DataFrame, enterprises: pd.DataFrame, *,
                         score: str = "score", size: str = "volume", min_verified: int = 5,
                         ci: float = 0.95) -> pd.DataFrame:
    """Enterprise indices: field mean shrunk toward the field-calibrated QR prediction.

    ``m_e = theta_s + B (x_e - Xbar_s)`` (the GREG fit of :func:`combined_index`);
    ``theta_e = g_e y_e + (1 - g_e) m_e``, ``g_e = sigma_u^2 / (sigma_u^2 + psi_e)``
    and ``sigma_u^2 = s_u^2 + B^2 psi_x,e`` (:func:`composite_weight` with that squared
    bias); ``psi_e``, ``psi_x,e``: pooled within-enterprise variances over the field and
    QR-side counts; ``s_u^2 = max(0, mean_F[(y_e - m_e)^2 - psi_e - B^2 psi_x,e])``;
    ``g_e = 0`` outside the field sample. ``rmse = sqrt(g psi + (1 - g)^2 se_s^2)``, or
    ``sqrt(sigma_u^2 + se_s^2)`` (Fay-Herriot EBLUP's g1 + g2; Rao & Molina 2015, ch. 6).
    """
    kw = {"score": score, "min_verified": min_verified}
    sec = combined_index(field, qr, enterprises, size=size, ci=ci, **kw)
    aux = auxiliary(qr, enterprises, **kw)
    x, b = aux["x"], sec.attrs["slope"]
    xbar = _volume_mean(x, enterprises, size)
    s = enterprises.set_index("enterprise_id")["sector"].reindex(x.index)
    model = sec["estimate"].reindex(s).to_numpy() + b * (x.to_numpy() - xbar.reindex(s).to_numpy())
    out = pd.DataFrame({"sector": s, "x": x, "model": model}, index=x.index)
    s2 = qr.groupby("enterprise_id")[score].var().mean()  # n = 0: x is the sector mean
    spread = x.groupby(s).transform("var")
    out["psi_x"] = np.where(aux["n"] > 0, s2 / aux["n"].clip(lower=1), spread)
    within = field.groupby("enterprise_id")[score].agg(["var", "count"])  # 3 slots: noisy SEs
    out["field"] = field_index(field, level="enterprise", score=score, ci=ci)["estimate"]
    out["psi"] = within["var"].mean() / within["count"]
    sampled = out["field"].notna() & out["psi"].notna()
    resid2 = (out["field"] - out["model"]) ** 2 - out["psi"] - b ** 2 * out["psi_x"]
    sigma2 = max(0.0, float(resid2[sampled].mean()))
    out["model_mse"] = sigma2 + b ** 2 * out["psi_x"]
    lam = composite_weight(out["psi"].fillna(1.0), 0.0, out["model_mse"].fillna(0.0))
    out["gamma"] = np.where(sampled, lam, 0.0)
    g, v_s = out["gamma"], sec["se"].reindex(s).to_numpy() ** 2
    out["estimate"] = np.where(sampled, g * out["field"] + (1 - g) * out["model"], out["model"])
    out["rmse"] = np.sqrt(np.where(sampled, g * out["psi"].fillna(0), out["model_mse"])
                          + (1 - g) ** 2 * v_s)
    out.attrs["sigma_u2"] = sigma2
    return out


def composite_weight(var_a, var_b, bias_sq=0.0, cov=0.0):
    """MSE-minimising weight ``lambda`` of ``theta = lambda theta_a + (1 - lambda) theta_b``.

    ``lambda = (V_b + b^2 - C) / (V_a + V_b + b^2 - 2C)`` with ``b`` the bias of
    ``theta_b`` and ``C = cov(theta_a, theta_b)`` (Schaible 1978; Rao & Molina 2015,
    section 3.3.1). With unbiased, independent estimators it is ``V_b / (V_a + V_b)``.
    """
    va, vb, b2, c = (np.asarray(v, dtype=float) for v in (var_a, var_b, bias_sq, cov))
    den = va + vb + b2 - 2 * c
    if np.any(va < 0) or np.any(vb < 0) or np.any(b2 < 0) or np.any(den <= 0):
        raise ValueError("variances and squared bias must be >= 0, V_a + V_b + b^2 - 2C > 0")
    return (vb + b2 - c) / den


def qr_field_gap(qr_est: pd.DataFrame, field_est: pd.DataFrame, *, ci: float = 0.95
                 ) -> pd.DataFrame:
    """QR minus field index per unit, its CI, and the flag "QR significantly above field".

    ``gap = q - y``, ``se = sqrt(se_q^2 + se_y^2)`` (independent samples) and a t interval
    on Welch-Satterthwaite ``df = se^4 / (se_q^4 / df_q + se_y^4 / df_y)`` (Satterthwaite
    1946); ``flag`` when the interval's lower bound is above 0.
    """
    cols = ["estimate", "se", "df"]
    for name, est in (("qr_est", qr_est), ("field_est", field_est)):
        _need(est, name, cols)
    j = qr_est[cols].join(field_est[cols], suffixes=("_qr", "_field"), how="inner")
    out = pd.DataFrame({"qr": j["estimate_qr"], "field": j["estimate_field"]})
    out["gap"] = out["qr"] - out["field"]
    v_q, v_f = j["se_qr"] ** 2, j["se_field"] ** 2
    out["se"] = np.sqrt(v_q + v_f)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["df"] = (v_q + v_f) ** 2 / (v_q ** 2 / j["df_qr"] + v_f ** 2 / j["df_field"])
    out["ci_low"], out["ci_high"] = t_interval(out["gap"], out["se"], out["df"], ci)
    out["flag"] = out["ci_low"] > 0
    return out


def receipt_rates(batches: pd.DataFrame, used: pd.DataFrame) -> pd.DataFrame:
    """Issued, used and response rate ``used / issued`` per batch.

    ``batches``: ``batch_id, enterprise_id, wave_id, issued``; ``used``: one row per
    accepted code with its ``batch_id``. Sum by enterprise for enterprise rates.
    """
    _need(batches, "batches", ["batch_id", "enterprise_id", "wave_id", "issued"])
    if (batches["issued"] <= 0).any() or batches["batch_id"].duplicated().any():
        raise ValueError("batches need unique ids and a positive issued count")
    n = used.groupby("batch_id").size()
    if not set(n.index) <= set(batches["batch_id"]):
        raise ValueError("used codes name unknown batches")
    out = batches.assign(used=batches["batch_id"].map(n).fillna(0).astype(int))
    return out.assign(rate=out["used"] / out["issued"])


def _peer_z(values: pd.Series, sector: pd.Series) -> pd.Series:
    """``(v_e - mean of peers) / sd of peers`` over the other enterprises of the sector."""
    n, s1 = (values.groupby(sector).transform(f) for f in ("count", "sum"))
    s2 = (values ** 2).groupby(sector).transform("sum")
    m = (s1 - values) / (n - 1)
    var = ((s2 - values ** 2) - (n - 1) * m ** 2) / (n - 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return ((values - m) / np.sqrt(var)).where(n >= 4)


def solicitation_report(rates: pd.DataFrame, verified: pd.DataFrame, enterprises: pd.DataFrame,
                        *, score: str = "score", z: float = 2.0) -> pd.DataFrame:
    """Enterprises whose receipt-code rate is low and verified scores high against peers.

    Per enterprise: ``rate = used / issued`` and the verified mean score; each gets a
    leave-one-out z-score against the other enterprises of its sector (at least 3 peers),
    ``z_e = (v_e - mean_{-e}) / sd_{-e}``; ``signal = (z_score - z_rate) / sqrt(2)`` is
    N(0, 1) for two independent N(0, 1) z's; ``flag`` when ``signal >= z``: codes handed
    to happy customers only lower the rate and raise the score (Elliott & Valliant 2017).
    """
    _need(enterprises, "enterprises", ["enterprise_id", "sector"])
    per = rates.groupby("enterprise_id")[["issued", "used"]].sum()
    per["rate"] = per["used"] / per["issued"]
    per["score"] = verified.groupby("enterprise_id")[score].mean()
    per["sector"] = enterprises.set_index("enterprise_id")["sector"].reindex(per.index)
    per["z_rate"], per["z_score"] = (_peer_z(per[c], per["sector"]) for c in ("rate", "score"))
    per["signal"] = (per["z_score"] - per["z_rate"]) / np.sqrt(2)
    per["flag"] = per["signal"] >= z
    return per


METHODOLOGY = {
    "zh_CN": "现场样本为概率样本：各行业内按客户量以随机化系统PPS抽取企业（入样概率精确计算，"
             "客户量占比不低于1/n者必然入样），再于营业时段内抽取时段并按目标数拦截访问，设计"
             "权重为各阶段入样概率之积的倒数；现场指数为Hájek加权均值，标准误按泰勒线性化。"
             "扫码样本为自选样本，可能因选择性邀请和刷单而偏高，仅单独报告；凭有效收据码作答"
             "者为可信层。综合指数采用广义回归（GREG）估计，以企业扫码侧均值（收据码问卷充足"
             "时用其均值）为辅助变量将现场样本校准到全体企业（Kim与Tam 2021；Elliott与"
             "Valliant 2017），扫码数据有任意偏差时仍保持设计一致。扫码与现场指数之差附置信"
             "区间，扫码显著偏高者标注；收据码使用率低而评分高于同业者列为疑似选择性邀请。",
    "en": "The field sample is a probability sample: enterprises drawn within sectors by "
          "randomised systematic PPS on customer volume (exact inclusion probabilities, "
          "certainty units at a volume share of 1/n or more), then slots within opening "
          "hours with a target number of intercepts; design weights invert the stage "
          "probabilities, and the field index is a Hajek mean with Taylor-linearised SEs. "
          "The self-selected QR sample, open to selective solicitation and stuffing, is "
          "reported apart; verified receipt-code responses form a trusted stratum. The "
          "combined index is a GREG estimator calibrating the field sample to all "
          "enterprises' QR-side means (verified means where enough codes were used; Kim & "
          "Tam 2021; Elliott & Valliant 2017), design-consistent whatever the QR bias. QR-"
          "field gaps carry CIs and are flagged when the QR index is significantly higher; "
          "low code-use rates with high scores against peers suggest selective solicitation.",
}


def integration_methodology(lang: str = "zh_CN") -> str:
    """The bulletin annex's paragraph on the field sample and data integration."""
    if lang not in METHODOLOGY:
        raise ValueError(f"lang must be one of {sorted(METHODOLOGY)}")
    return METHODOLOGY[lang]
