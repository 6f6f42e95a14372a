"""A wave computed inside the database: SQL aggregates per enterprise, then `analysis.pushdown`.

Two queries per sector, each a plain ``GROUP BY`` over one wave's responses and answers
(standard SQL: SQLite and PostgreSQL run the same text; every aggregate is grouped by
enterprise first, so a database distributed by enterprise, e.g. Citus with ``response``
and ``answer`` co-located on ``enterprise_id``, runs them on each shard):

1. the moments of the 0-100 item scores (``analysis.pushdown.covariance``), from which
   Python fits PLS and gets the item weights;
2. with those weights bound as parameters, each response's construct scores and, per
   enterprise, their count, sum and centred sum of squares (two passes, the mean first).

Python then holds arrays the size of the enterprises, whatever the number of responses.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

import instruments
from analysis import Settings
from analysis import pushdown as pd_math
from analysis.item_weights import model_items
from analysis.respondent_weights import enterprise_shares
from analysis.tables import attach_aggregation, family_of, headline_tables
from survey.model import Wave
from survey.ops import frames
from survey.ops.compute import wave_settings

_FROM = """
    FROM response r
    JOIN enterprise e ON e.id = r.enterprise_id
    JOIN sector s ON s.id = e.sector_id
    LEFT JOIN answer a ON a.response_id = r.id
    WHERE r.wave_id = :wave AND s.code = :sector AND COALESCE(r.source, 'qr') <> 'field'
"""


def _wide(items: list[str], model: dict, counted: bool) -> tuple[str, dict]:
    """One row per response with its 0-100 item scores x0..xk (as analysis.rescale_items:
    reverse-keyed ``lo + hi - v``, then ``100 (v - lo) / (hi - lo)``)."""
    params, cols = {"hundred": 100.0}, []
    reverse = set(model.get("reverse", ()))
    for k, item in enumerate(items):
        lo, hi = (float(v) for v in model["scales"][item])
        params.update({f"c{k}": item, f"lo{k}": lo, f"hi{k}": hi})
        v = "CAST(a.value AS DOUBLE PRECISION)"
        v = f"(:lo{k} + :hi{k} - {v})" if item in reverse else v
        cols.append(f"MAX(CASE WHEN a.item_code = :c{k} THEN :hundred * ({v} - :lo{k})"
                    f" / (:hi{k} - :lo{k}) END) AS x{k}")
    where = "" if counted else " AND r.quarantined = :no"
    sql = (f"SELECT r.enterprise_id AS ent, r.id AS rid, {', '.join(cols)} {_FROM}{where}"
           " GROUP BY r.enterprise_id, r.id")
    return sql, params


def moments_sql(items: list[str], model: dict, counted: bool = False) -> tuple[str, dict]:
    """Per enterprise: rows, and per item the rows answering it and their sum."""
    wide, params = _wide(items, model, counted)
    cols = ["COUNT(*) AS n"] + [f"COUNT(x{i}), SUM(x{i})" for i in range(len(items))]
    return (f"WITH w AS ({wide}) SELECT ent, {', '.join(cols)} FROM w GROUP BY ent ORDER BY ent",
            params)


def cross_sql(items: list[str], model: dict, mean: np.ndarray,
              counted: bool = False) -> tuple[str, dict]:
    """Per enterprise: ``sum z_i z_j`` for the pairs of `analysis.pushdown.pair_index`,
    ``z_i = x_i - m_i`` where answered, else 0 (the sector's item means `mean` bound)."""
    wide, params = _wide(items, model, counted)
    params |= {f"m{i}": float(m) for i, m in enumerate(mean)}
    z = ", ".join(f"COALESCE(x{i} - :m{i}, 0) AS z{i}" for i in range(len(items)))
    cols = [f"SUM(z{i} * z{j})" for i, j in pd_math.pair_index(len(items))]
    # MATERIALIZED: each z once per response, not once per pair it enters
    return (f"WITH w AS ({wide}), c AS MATERIALIZED (SELECT ent, {z} FROM w)"
            f" SELECT ent, {', '.join(cols)} FROM c GROUP BY ent ORDER BY ent", params)


def scores_sql(items: list[str], model: dict, weights: pd.Series, min_share: float,
               counted: bool = False) -> tuple[str, dict, list[str]]:
    """Per enterprise: respondents, and per construct the scored count, sum and centred
    sum of squares of ``score = sum w_k s_k / sum w_k`` over answered items (missing when
    fewer than `min_share` of the block's items are answered)."""
    wide, params = _wide(items, model, counted)
    scores, names = [], []
    for b, (construct, block) in enumerate(model["blocks"].items()):
        ks = [items.index(i) for i in block]
        for k in ks:
            params[f"w{k}"] = float(weights[items[k]])
        num = " + ".join(f"COALESCE(x{k}, 0) * :w{k}" for k in ks)
        den = " + ".join(f"CASE WHEN x{k} IS NULL THEN 0 ELSE :w{k} END" for k in ks)
        cnt = " + ".join(f"CASE WHEN x{k} IS NULL THEN 0 ELSE 1 END" for k in ks)
        params[f"need{b}"] = math.ceil(min_share * len(block) - 1e-12)
        scores.append(f"CASE WHEN ({cnt}) >= :need{b} AND ({den}) > 0"
                      f" THEN ({num}) / ({den}) END AS y{b}")
        names.append(construct)
    firsts = ", ".join(f"COUNT(y{b}) AS n{b}, SUM(y{b}) AS t{b}, AVG(y{b}) AS m{b}"
                       for b in range(len(names)))
    keys = ", ".join(f"m.n{b}, m.t{b}" for b in range(len(names)))
    centred = ", ".join(f"SUM((y.y{b} - m.m{b}) * (y.y{b} - m.m{b}))" for b in range(len(names)))
    sql = (f"WITH w AS ({wide}), y AS (SELECT ent, rid, {', '.join(scores)} FROM w),"
           f" m AS (SELECT ent, COUNT(*) AS n_all, {firsts} FROM y GROUP BY ent)"
           f" SELECT m.ent, m.n_all, {keys}, {centred} FROM y JOIN m ON m.ent = y.ent"
           f" GROUP BY m.ent, m.n_all, {keys} ORDER BY m.ent")
    return sql, params, names


def _present(session: Session, wave: Wave) -> pd.DataFrame:
    """(sector, instrument version, responses) of the wave's QR responses, quarantined too."""
    rows = session.execute(text(
        "SELECT s.code, r.instrument_version, COUNT(*) FROM response r"
        " JOIN enterprise e ON e.id = r.enterprise_id JOIN sector s ON s.id = e.sector_id"
        " WHERE r.wave_id = :wave AND COALESCE(r.source, 'qr') <> 'field'"
        " GROUP BY s.code, r.instrument_version"), {"wave": wave.id}).all()
    return pd.DataFrame(rows, columns=["sector", "version", "n"])


def _models(sectors: pd.DataFrame, present: pd.DataFrame) -> dict[str, dict]:
    """Sector → the model of its responses' most used instrument version (frames.models_frame)."""
    out = {}
    for row in sectors.itertuples():
        used = present[present["sector"] == row.sector].sort_values(["n", "version"],
                                                                    ascending=[False, True])
        version = int(used["version"].iloc[0]) if len(used) else None
        out[row.sector] = frames.model_of(instruments.get(row.instrument, version))
    return out


def _moments(session, wave, sector, items, model, counted) -> tuple[float, dict]:
    """Two passes: the item means, then the centred cross-products (summed over enterprises)."""
    bind = {"wave": wave.id, "sector": sector, "no": False}
    sql, params = moments_sql(items, model, counted)
    sums = _summed(session.execute(text(sql), params | bind).all())
    if not len(sums):  # only quarantined responses in this sector
        return 0.0, {}
    moments = {"n_i": sums[1::2], "s_i": sums[2::2]}
    sql, params = cross_sql(items, model, pd_math.means(moments), counted)
    moments["c_ij"] = _summed(session.execute(text(sql), params | bind).all())
    return float(sums[0]), moments


def _summed(rows) -> np.ndarray:
    """Column sums over the enterprises' rows (the first column, the enterprise, dropped)."""
    if not rows:
        return np.zeros(0)
    return np.nansum(np.array([r[1:] for r in rows], dtype=float), axis=0)


def _stats(session, wave, sector, items, model, weights, settings, counted) -> list[dict]:
    sql, params, names = scores_sql(items, model, weights, settings.min_answered_share,
                                    counted)
    out = []
    for row in session.execute(text(sql), params | {"wave": wave.id, "sector": sector,
                                                     "no": False}):
        b = len(names)
        for j, construct in enumerate(names):
            out.append({"enterprise_id": int(row[0]), "sector": sector, "construct": construct,
                        "n_all": int(row[1]), "n_valid": int(row[2 + 2 * j]),
                        "total": float(row[3 + 2 * j] or 0.0),
                        "ss": float(row[2 + 2 * b + j] or 0.0)})
    return out


def compute_pushdown(session: Session, wave: Wave, settings: Settings | None = None) -> dict:
    """The wave's item weights, ``indices`` and headline tables (district, categories,
    sectors, enterprises) as `analysis.compute_wave` computes them, from aggregates run in
    the database (raises ValueError for settings it does not support)."""
    settings = settings or wave_settings(wave)
    pd_math.check_supported(settings, wave.margins)
    if session.get_bind().dialect.name == "postgresql":
        # JIT-compiling the ~800 aggregates of a moments query takes PostgreSQL ~25 s, far
        # longer than running them (~0.5 s per sector at 1M responses): off for this
        # transaction only.
        session.execute(text("SET LOCAL jit = off"))
    present = _present(session, wave)
    if present.empty:
        raise ValueError(f"wave {wave.code} has no responses")
    sectors = frames.sectors_frame(session)
    sectors = sectors[sectors["sector"].isin(set(present["sector"]))].reset_index(drop=True)
    enterprises, categories = frames.enterprises_frame(session), frames.categories_frame(session)
    models = _models(sectors, present)
    counted, weight_rows, stats = settings.include_quarantined, [], []
    for code in sectors["sector"]:
        model = models[code]
        items = model_items(model)
        n, moments = _moments(session, wave, code, items, model, counted)
        if n == 0:
            continue
        iw = pd_math.item_weights(n, moments, model, settings, code)
        weight_rows += pd_math.weight_rows(code, model, iw)
        stats += _stats(session, wave, code, items, model, iw.weights, settings, counted)
    stats = pd.DataFrame(stats, columns=pd_math.STAT_COLUMNS)
    present_e = pd.Index(sorted(stats["enterprise_id"].unique()))
    shares = enterprise_shares(enterprises, present_e)
    indices = pd_math.indices(stats, shares, sectors, categories, settings)
    tables = headline_tables(indices, enterprises, sectors, categories, settings)
    tables.update(indices=indices, item_weights=pd.DataFrame(weight_rows))
    no_rows = pd.DataFrame({"enterprise_id": [], "sector": [], "quarantined": []})
    attach_aggregation(tables, no_rows, enterprises, sectors, categories, shares)
    _attach_intake(tables, intake(session, wave), sectors, categories)
    return tables


def intake(session: Session, wave: Wave) -> pd.DataFrame:
    """Per enterprise: its sector, the QR responses received and those quarantined."""
    rows = session.execute(text(
        "SELECT r.enterprise_id, s.code, COUNT(*),"
        " SUM(CASE WHEN r.quarantined = :yes THEN 1 ELSE 0 END) FROM response r"
        " JOIN enterprise e ON e.id = r.enterprise_id JOIN sector s ON s.id = e.sector_id"
        " WHERE r.wave_id = :wave AND COALESCE(r.source, 'qr') <> 'field'"
        " GROUP BY r.enterprise_id, s.code"), {"wave": wave.id, "yes": True}).all()
    return pd.DataFrame(rows, columns=["enterprise_id", "sector", "received", "quarantined"])


def _attach_intake(tables: dict, counts: pd.DataFrame, sectors: pd.DataFrame,
                   categories: pd.DataFrame) -> None:
    """``received`` and ``quarantined`` of each unit (`analysis.tables.attach_aggregation`'s
    counts, summed from the per-enterprise counts instead of the rows; the district's over
    the service family only, as its index)."""
    cols = ["received", "quarantined"]
    counts = counts.assign(category=counts["sector"].map(
        sectors.set_index("sector")["category"]))
    by = {"enterprises": counts.set_index("enterprise_id")[cols],
          "sectors": counts.groupby("sector")[cols].sum(),
          "categories": counts.groupby("category")[cols].sum()}
    for name, c in by.items():
        t = tables[name]
        for col in cols:
            t[col] = c[col].reindex(t["unit"]).fillna(0).to_numpy(int)
    service = counts[family_of(categories, counts["category"]) == "service"]
    for col in cols:
        tables["district"][col] = int(service[col].sum())
