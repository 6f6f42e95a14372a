"""Enterprises "under review": an index jump between waves that no independent evidence (the
wave's field interviews and receipt-verified responses) corroborates
(:func:`analysis.answer_shift.under_review`), kept from the rankings until an analyst decides.

The jumps are found when a wave is computed and kept with the result
(``ComputedResult.integrity``, with the surge timelines); the analysts' decisions
are :class:`survey.model.IndexReview` rows, read whenever the rule is applied, so a decision
takes effect without recomputing.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis import WaveResult
from analysis.answer_shift import half_estimates, under_review
from reports.surge_chart import timeline_chart
from survey import clock
from survey.model import ComputedResult, Enterprise, IndexReview, Response, Wave
from survey.model.integrity import INDEX_REVIEW_DECISIONS
from survey.ops import audit, integrity

HEADLINE = "satisfaction"


def halves(session: Session, wave: Wave, result: WaveResult) -> pd.DataFrame:
    """Each enterprise's index in the earlier and later half of the wave: the estimate moved
    by the half's mean proxy score (:func:`survey.ops.integrity.respondent_scores`) minus
    the enterprise's, over the counted responses."""
    rows = session.execute(select(Response.id, Response.enterprise_id, Response.submitted_at)
                           .where(Response.wave_id == wave.id,
                                  Response.quarantined.is_(False))).all()
    f = pd.DataFrame(rows, columns=["rid", "enterprise_id", "submitted_at"])
    if f.empty:
        return pd.DataFrame(columns=["enterprise_id", "early", "late"])
    f["score"] = integrity.respondent_scores(session, f["rid"]).to_numpy()
    h = half_estimates(f["score"], 1.0 + 0 * f["score"], f["enterprise_id"], f["submitted_at"])
    mean = f.groupby("enterprise_id")["score"].mean()
    est = _enterprises(result).set_index("enterprise_id")["estimate"]
    for side in ("early", "late"):
        h[side] = h[side] - h["enterprise_id"].map(mean) + h["enterprise_id"].map(est)
    return h


def independent(session: Session, wave: Wave, result: WaveResult) -> pd.DataFrame:
    """Each enterprise's index implied by its counted field interviews and receipt-verified
    responses (``independent``: the estimate moved by their mean proxy score minus the QR
    responses' mean) and their number (``independent_n``)."""
    rows = session.execute(select(Response.id, Response.enterprise_id, Response.source,
                                  Response.verified)
                           .where(Response.wave_id == wave.id,
                                  Response.quarantined.is_(False))).all()
    f = pd.DataFrame(rows, columns=["rid", "enterprise_id", "source", "verified"])
    f["score"] = integrity.respondent_scores(session, f["rid"]).to_numpy() if len(f) else []
    f["independent"] = (f["source"] == "field") | f["verified"].astype(bool)
    mine = f[f["independent"]].groupby("enterprise_id")["score"].agg(["mean", "count"])
    qr = f[f["source"] != "field"].groupby("enterprise_id")["score"].mean()
    est = _enterprises(result).set_index("enterprise_id")["estimate"]
    out = pd.DataFrame({"independent": est + mine["mean"] - qr,
                        "independent_n": mine["count"]}).reindex(est.index)
    out["independent_n"] = out["independent_n"].fillna(0).astype(int)
    return out.rename_axis("enterprise_id").reset_index()


def _enterprises(result: WaveResult) -> pd.DataFrame:
    t = result.tables["enterprises"]
    return pd.DataFrame({"enterprise_id": t["unit"].astype(int), "estimate": t["estimate"],
                         "se": t["se"]})


def jumps(session: Session, wave: Wave, result: WaveResult, held: set[int],
          previous: WaveResult | None) -> list[dict]:
    """JSON-ready rows of the enterprises whose index jumped since ``previous`` (the result of
    the wave before): jump, z, under_review (before any analyst's decision), the halves
    hint and the number of independent responses."""
    if previous is None:
        return []
    current = (_enterprises(result).merge(halves(session, wave, result), how="left")
               .merge(independent(session, wave, result), how="left"))
    current["surge"] = current["enterprise_id"].isin(held)
    found = under_review(current, _enterprises(previous)).merge(
        current[["enterprise_id", "independent_n"]], how="left")
    found = found[found["under_review"] | found["corroborated"]]
    return [{"enterprise_id": int(r["enterprise_id"]), "jump": round(float(r["jump"]), 2),
             "z": round(float(r["z"]), 2), "under_review": bool(r["under_review"]),
             "halves": bool(r["halves"]), "independent_n": _count(r["independent_n"])}
            for r in found.to_dict("records")]


def _count(value) -> int:
    return 0 if pd.isna(value) else int(value)


def integrity_charts(session: Session, wave: Wave, result: WaveResult,
                     screening: integrity.Screening, previous: WaveResult | None) -> dict:
    """What the console shows of a computed wave's integrity: the surges per enterprise,
    each with its SVG timeline, and the index jumps."""
    names = dict(session.execute(select(Enterprise.id, Enterprise.name)).all())
    surges = integrity.summary(session, screening, clock.zone(), names)
    for s in surges["enterprises"]:
        s["svg"] = timeline_chart(s["timeline"], str(s["enterprise_id"]))
    held = {s["enterprise_id"] for s in surges["enterprises"]
            if s["held"] or s.get("held_shifted")}
    rows = jumps(session, wave, result, held, previous)
    for r in rows:
        r["name"] = names.get(r["enterprise_id"], str(r["enterprise_id"]))
    return {"surges": surges, "jumps": rows}


def latest_decisions(session: Session, wave: Wave) -> dict[int, IndexReview]:
    """The latest analyst decision on each enterprise of the wave."""
    rows = session.scalars(select(IndexReview).where(IndexReview.wave_id == wave.id)
                           .order_by(IndexReview.id))
    return {r.enterprise_id: r for r in rows}


def stored_jumps(session: Session, wave: Wave) -> list[dict]:
    """The index jumps kept with the wave's latest computed result, with the latest
    decision on each (``decision``: None, "accept" or "keep")."""
    row = session.scalars(select(ComputedResult).where(ComputedResult.wave_id == wave.id)
                          .order_by(ComputedResult.id.desc()).limit(1)).first()
    found = (row.integrity or {}).get("jumps", []) if row else []
    decisions = latest_decisions(session, wave)
    return [r | {"decision": getattr(decisions.get(r["enterprise_id"]), "decision", None)}
            for r in found]


def pending(session: Session, wave: Wave) -> set[int]:
    """Enterprises of the wave under review that no analyst has accepted: not ranked."""
    return {r["enterprise_id"] for r in stored_jumps(session, wave)
            if r["under_review"] and r["decision"] != "accept"}


def decide(session: Session, wave: Wave, enterprise_id: int, decision: str, reason: str,
           user) -> IndexReview:
    """An analyst accepts an enterprise's index (it is ranked) or keeps it under review;
    recorded and audited. The caller commits."""
    if decision not in INDEX_REVIEW_DECISIONS:
        raise ValueError(f"decision must be one of {INDEX_REVIEW_DECISIONS}")
    if not (reason or "").strip():
        raise ValueError("a decision needs a reason")
    if enterprise_id not in {r["enterprise_id"] for r in stored_jumps(session, wave)}:
        raise ValueError("this enterprise's index is not under review in this wave")
    before = getattr(latest_decisions(session, wave).get(enterprise_id), "decision", None)
    row = IndexReview(wave_id=wave.id, enterprise_id=enterprise_id, decision=decision,
                      reason=reason.strip(), user_id=getattr(user, "id", None))
    session.add(row)
    audit.record(session, user, f"index_{decision}", "enterprise", enterprise_id,
                 {"decision": before, "wave": wave.code},
                 {"decision": decision, "wave": wave.code, "reason": reason.strip()})
    return row
