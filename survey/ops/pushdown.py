"""A wave computed inside the database: SQL aggregates per enterprise, then `analysis.pushdown`.

Plain ``GROUP BY`` queries over one wave's responses and answers, for all sectors at once
(standard SQL: SQLite and PostgreSQL run the same text; every aggregate is grouped by
enterprise first, so a database distributed by enterprise, e.g. Citus with ``response``
and ``answer`` co-located on ``enterprise_id``, runs them on each shard):

1. long form, no pivot: per enterprise and item, the answered count and the sum of the
   raw values (Python rescales them to 0-100 sums and means);
2. one pivot per response (its answer rows joined to a ``VALUES`` table of each sector's
   items: position, scale, block, bound mean and weight): per enterprise ``sum z_i z_j``
   of the centred, mean-replaced items, from which Python fits PLS (the item weights);
3. the same pivot with the weights bound: per enterprise and construct the count, sum
   and sum of squares of the respondent scores.

Passes 2 and 3 run once per range of enterprises holding about :data:`BATCH` responses, so
the per-response grouping never outgrows memory and the work grows linearly with the
responses. Python then holds arrays the size of the enterprises, whatever their number.
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
from analysis.priorities import driver_points, quadrants
from analysis.respondent_weights import enterprise_shares
from analysis.tables import attach_aggregation, family_of, headline_tables
from survey.model import Wave
from survey.ops import frames
from survey.ops.compute import wave_settings

_BASE = """
    FROM response r
    JOIN enterprise e ON e.id = r.enterprise_id
    JOIN sector s ON s.id = e.sector_id
"""
# Responses per pivot query: each response's answer rows are grouped into one row in
# memory (about 1 kB each), so a query covers a range of enterprises with about this many
# responses: the aggregate stays inside work_mem, and the total work grows linearly.
BATCH = 40_000
_WHERE = " WHERE r.wave_id = :wave AND COALESCE(r.source, 'qr') <> 'field'"
_PARAM_COLUMNS = ("sector", "item", "k", "blk", "need", "lo", "hi", "rev", "w", "m")
_CASTS = ("VARCHAR(64)", "VARCHAR(64)", "INTEGER", "INTEGER", "INTEGER", "DOUBLE PRECISION",
          "DOUBLE PRECISION", "INTEGER", "DOUBLE PRECISION", "DOUBLE PRECISION")


def _where(counted: bool) -> str:
    return _WHERE + ("" if counted else " AND r.quarantined = :no")


def item_table(models: dict[str, dict], min_share: float, weights: dict | None = None,
               means: dict | None = None) -> tuple[str, dict]:
    """A ``VALUES`` table ``p`` of one row per (sector, model item): the item's position
    ``k`` in `analysis.item_weights.model_items`, its block ``blk`` and the block's
    ``need`` (answered items for a score), scale ``lo``/``hi``, reverse flag, and the bound
    index weight ``w`` and sector mean ``m`` of the 0-100 score (0 when not given)."""
    rows, params = [], {}
    for sector, model in models.items():
        reverse = set(model.get("reverse", ()))
        k = 0
        for b, block in enumerate(model["blocks"].values()):
            need = math.ceil(min_share * len(block) - 1e-12)
            for item in block:
                lo, hi = (float(v) for v in model["scales"][item])
                w = float(weights[sector][item]) if weights and sector in weights else 0.0
                m = float(means[sector][k]) if means and sector in means else 0.0
                values = (sector, item, k, b, need, lo, hi, int(item in reverse), w,
                          m if math.isfinite(m) else 0.0)
                n = len(rows)
                names = [f"p{n}_{c}" for c in range(len(values))]
                params.update(zip(names, values, strict=True))
                cells = [f"CAST(:{x} AS {t})" if n == 0 else f":{x}"
                         for x, t in zip(names, _CASTS, strict=True)]
                rows.append(f"({', '.join(cells)})")
                k += 1
    return f"p({', '.join(_PARAM_COLUMNS)}) AS (VALUES {', '.join(rows)})", params


# the 0-100 score of one answer row (as analysis.rescale_items: reverse-keyed
# ``lo + hi - v``, then ``100 (v - lo) / (hi - lo)``)
_X = ("(:hundred * (CASE WHEN p.rev = 1 THEN p.hi - CAST(a.value AS DOUBLE PRECISION)"
      " ELSE CAST(a.value AS DOUBLE PRECISION) - p.lo END) / (p.hi - p.lo))")


def _per_response(columns: list[str], counted: bool) -> str:
    """One row per response (its enterprise, sector and `columns`, aggregates over its
    answer rows joined to the item table ``p``)."""
    return (f"SELECT MIN(r.enterprise_id) AS ent, MIN(s.code) AS sec, {', '.join(columns)}"
            f" {_BASE}"
            " LEFT JOIN answer a ON a.response_id = r.id"
            " LEFT JOIN p ON p.sector = s.code AND p.item = a.item_code"
            f"{_where(counted)} AND r.enterprise_id BETWEEN :lo AND :hi GROUP BY r.id")


def batches(counts: pd.Series, size: int = BATCH) -> list[tuple[int, int]]:
    """Ranges ``(lo, hi)`` of enterprise ids (`counts`: responses by enterprise id) holding
    about `size` responses each (an enterprise is never split)."""
    counts = counts.sort_index()
    ids, out, start, held = counts.index.to_numpy(), [], None, 0
    for ent, n in zip(ids, counts.to_numpy(), strict=True):
        start = ent if start is None else start
        held += int(n)
        if held >= size:
            out.append((int(start), int(ent)))
            start, held = None, 0
    if start is not None:
        out.append((int(start), int(ids[-1])))
    return out


def rows_sql(counted: bool = False) -> str:
    """Per enterprise and sector: its responses (the rows of the moments)."""
    return (f"SELECT r.enterprise_id, s.code, COUNT(*) {_BASE}{_where(counted)}"
            " GROUP BY r.enterprise_id, s.code")


def sums_sql(counted: bool = False) -> str:
    """Pass 1, long form: per enterprise, sector and item code, the answered count and the
    sum of the raw values (no pivot; Python rescales the sums)."""
    return (f"SELECT r.enterprise_id, s.code, a.item_code, COUNT(a.value),"
            f" SUM(CAST(a.value AS DOUBLE PRECISION)) {_BASE}"
            " JOIN answer a ON a.response_id = r.id"
            f"{_where(counted)} GROUP BY r.enterprise_id, s.code, a.item_code")


def cross_sql(table: str, k: int, counted: bool = False) -> str:
    """Pass 2: per enterprise and sector, ``sum z_i z_j`` over the pairs of
    `analysis.pushdown.pair_index(k)` (positions), ``z_i = x_i - m_i`` where answered, else
    0, one pivot per response for all sectors (the sector means bound in `table`)."""
    z = [f"COALESCE(SUM(CASE WHEN p.k = {i} THEN {_X} - p.m END), 0) AS z{i}"
         for i in range(k)]
    cols = ", ".join(f"SUM(z{i} * z{j})" for i, j in pd_math.pair_index(k))
    return (f"WITH {table} SELECT ent, sec, {cols} FROM ({_per_response(z, counted)}) q"
            " GROUP BY ent, sec")


def scores_sql(table: str, n_blocks: int, counted: bool = False) -> str:
    """Pass 3: per enterprise and sector, its responses and per block position ``b`` the
    scored count, sum and sum of squares of ``y = sum w_k x_k / sum w_k`` over the block's
    answered items (missing when fewer than ``need`` are answered), one pivot per response."""
    per, ys = [], []
    for b in range(n_blocks):
        per += [f"SUM(CASE WHEN p.blk = {b} THEN p.w * {_X} END) AS num{b}",
                f"SUM(CASE WHEN p.blk = {b} AND a.value IS NOT NULL THEN p.w END) AS den{b}",
                f"COUNT(CASE WHEN p.blk = {b} AND a.value IS NOT NULL THEN 1 END) AS cnt{b}",
                f"MAX(CASE WHEN p.blk = {b} THEN p.need END) AS need{b}"]
        ys.append(f"CASE WHEN cnt{b} >= need{b} AND den{b} > 0 THEN num{b} / den{b} END AS y{b}")
    sums = ", ".join(f"COUNT(y{b}), SUM(y{b}), SUM(y{b} * y{b})" for b in range(n_blocks))
    return (f"WITH {table} SELECT ent, sec, COUNT(*), {sums} FROM (SELECT ent, sec,"
            f" {', '.join(ys)} FROM ({_per_response(per, counted)}) q) y GROUP BY ent, sec")


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


def _moments(session, bind, models, counted, keep: dict) -> dict[str, tuple[float, dict]]:
    """Per sector: (rows, moments) summed over its enterprises, in two passes: pass 1 in long
    form (counts and sums per item), pass 2 the centred cross-products (one pivot). `keep`
    receives the per-enterprise rows, long-form sums and enterprise ranges."""
    per_ent = pd.DataFrame(session.execute(text(rows_sql(counted)), bind).all(),
                           columns=["ent", "sector", "n"])
    rows = per_ent.groupby("sector")["n"].sum()
    keep["per_ent"] = per_ent
    keep["ranges"] = batches(per_ent.groupby("ent")["n"].sum())
    sums = pd.DataFrame(session.execute(text(sums_sql(counted)), bind).all(),
                        columns=["ent", "sector", "item", "n", "v"])
    keep["long"] = sums
    sums = sums.groupby(["sector", "item"])[["n", "v"]].sum()
    out, means = {}, {}
    for sector, model in models.items():
        n = float(rows.get(sector, 0))
        if n == 0:  # only quarantined responses in this sector
            continue
        items = model_items(model)
        got = sums.reindex(pd.MultiIndex.from_product([[sector], items])).fillna(0.0)
        n_i, v = got["n"].to_numpy(float), got["v"].to_numpy(float)
        lo, hi = (np.array([float(model["scales"][i][j]) for i in items]) for j in (0, 1))
        s_i = _rescaled_sums(model, items, n_i, v)
        out[sector] = (n, {"n_i": n_i, "s_i": s_i})
        means[sector] = pd_math.means(out[sector][1])
    if not out:
        return out
    k = max(len(model_items(models[s])) for s in out)
    table, params = item_table({s: models[s] for s in out}, 0.0, means=means)
    cross = _summed(_each(session, cross_sql(table, k, counted), params | bind,
                          keep["ranges"]))
    pairs = pd_math.pair_index(k)
    for sector, (_n, moments) in out.items():
        got = dict(zip(pairs, cross.loc[sector].to_numpy(float), strict=True))
        moments["c_ij"] = np.array([got[p] for p in pd_math.pair_index(len(moments["n_i"]))])
    return out


def _rescaled_sums(model: dict, items: list[str], n: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Sums of the 0-100 scores ``100 (v - lo) / (hi - lo)`` (``100 (hi - v) / (hi - lo)``
    if reverse-keyed) from each item's answered count `n` and raw sum `v`."""
    lo, hi = (np.array([float(model["scales"][i][j]) for i in items]) for j in (0, 1))
    rev = np.isin(items, list(model.get("reverse", ())))
    return 100.0 * np.where(rev, n * hi - v, v - n * lo) / (hi - lo)


def item_means(long: pd.DataFrame, per_ent: pd.DataFrame, shares: pd.Series,
               models: dict[str, dict]) -> pd.DataFrame:
    """The ``items`` table (`analysis.tables.item_means`): per sector and item (model items,
    then the reported extra items answered in the wave), ``mean = sum_e w_e S_ie /
    sum_e w_e n_ie`` with ``w_e = a_e / n_e`` (share over respondents, each enterprise's
    respondent weight) from the per-enterprise answered counts ``n_ie`` and 0-100 sums."""
    n_e = per_ent.groupby("ent")["n"].sum()
    w = (shares / n_e.reindex(shares.index)).rename("w")
    long = long.join(w, on="ent")
    rows = []
    for sector, model in models.items():
        part = long[long["sector"] == sector]
        if not (per_ent["sector"] == sector).any():
            continue
        extra = {i: c for c, items in model.get("extra_items", {}).items() for i in items
                 if i in set(long["item"])}
        construct_of = {i: c for c, items in model["blocks"].items() for i in items} | extra
        items = model_items(model) + list(extra)
        got = part.assign(wn=part["w"] * part["n"], wv=part["w"] * part["v"]).groupby(
            "item")[["n", "wn", "wv"]].sum().reindex(items).fillna(0.0)
        wn = got["wn"].to_numpy(float)
        ws = _rescaled_sums(model, items, wn, got["wv"].to_numpy(float))
        with np.errstate(invalid="ignore", divide="ignore"):
            means = ws / wn
        rows += [{"sector": sector, "item": item, "construct": construct_of[item],
                  "in_model": item not in extra, "mean": float(m), "n": int(k)}
                 for item, m, k in zip(items, means, got["n"], strict=True)]
    return pd.DataFrame(rows)


def priorities(fits: dict, stats: pd.DataFrame, items: pd.DataFrame, shares: pd.Series,
               models: dict[str, dict], settings) -> pd.DataFrame:
    """The ``priorities`` table (`analysis.tables.priorities`): importance-performance points
    per sector, a construct's performance ``sum_e w_e t_e / sum_e w_e n_e`` (``t_e``, ``n_e``:
    its enterprise's score total and scored respondents, ``w_e = a_e / n_all``), an item's
    its weighted mean (the ``items`` table); importance from the PLS total effects."""
    w = shares.reindex(stats["enterprise_id"]).to_numpy(float) / stats["n_all"].to_numpy(float)
    stats = stats.assign(wt=w * stats["total"], wn=w * stats["n_valid"])
    frames = []
    for code, iw in fits.items():
        if iw.fit is None:
            continue
        blocks = list(models[code]["blocks"])
        got = stats[stats["sector"] == code].groupby("construct")[["wt", "wn"]].sum()
        got = got.reindex(blocks)
        sector_items = items[(items["sector"] == code) & items["in_model"]]
        perf = pd.Series(np.r_[(got["wt"] / got["wn"]).to_numpy(float),
                               sector_items["mean"].to_numpy(float)],
                         index=blocks + list(sector_items["item"]))
        pts = driver_points(iw.fit.total_effects, iw.weights, models[code]["blocks"], perf)
        for level in ("construct", "item"):
            sel = pts[pts["level"] == level]
            if len(sel):
                frames.append(quadrants(sel, split=settings.quadrant_split).assign(sector=code))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _each(session: Session, sql: str, params: dict, ranges: list) -> list:
    """The rows of a pivot query run once per range ``(lo, hi)`` of enterprise ids."""
    query, bind, out = text(sql), params | {"hundred": 100.0}, []
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        # A range's responses are a small part of the wave, but PostgreSQL underestimates
        # them and hashes the whole answer table for each range (seen with EXPLAIN ANALYZE:
        # 1.7 s instead of 0.8 s for 40k of 200k responses): read answers by their key.
        session.execute(text("SET LOCAL enable_seqscan = off"))
    for lo, hi in ranges:
        out += session.execute(query, bind | {"lo": lo, "hi": hi}).all()
    if postgres:
        session.execute(text("SET LOCAL enable_seqscan = on"))
    return out


def _summed(rows) -> pd.DataFrame:
    """The per-enterprise rows (enterprise, sector, values...) summed per sector."""
    frame = pd.DataFrame([r[1:] for r in rows])
    if frame.empty:
        return frame
    return frame.astype({c: float for c in frame.columns[1:]}).groupby(0).sum(min_count=0)


def _stats(session, bind, models, weights, settings, counted, ranges) -> list[dict]:
    """Per enterprise and construct: respondents, scored count, sum and centred sum of
    squares ``SS = sum y^2 - (sum y)^2 / n`` of the respondent scores (pass 3)."""
    n_blocks = max(len(models[s]["blocks"]) for s in weights)
    table, params = item_table({s: models[s] for s in weights}, settings.min_answered_share,
                               weights=weights)
    out = []
    for row in _each(session, scores_sql(table, n_blocks, counted), params | bind, ranges):
        for b, construct in enumerate(models[row[1]]["blocks"]):
            n, t, q = row[3 + 3 * b:6 + 3 * b]
            n, t, q = int(n), float(t or 0.0), float(q or 0.0)
            out.append({"enterprise_id": int(row[0]), "sector": row[1], "construct": construct,
                        "n_all": int(row[2]), "n_valid": n, "total": t,
                        "ss": max(q - t * t / n, 0.0) if n else 0.0})
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
    counted, weight_rows, weights, fits = settings.include_quarantined, [], {}, {}
    bind, keep = {"wave": wave.id, "no": False}, {}
    for code, (n, moments) in _moments(session, bind, models, counted, keep).items():
        iw = pd_math.item_weights(n, moments, models[code], settings, code)
        weight_rows += pd_math.weight_rows(code, models[code], iw)
        weights[code], fits[code] = iw.weights, iw
    stats = _stats(session, bind, models, weights, settings, counted, keep["ranges"])
    stats = pd.DataFrame(stats, columns=pd_math.STAT_COLUMNS)
    present_e = pd.Index(sorted(stats["enterprise_id"].unique()))
    shares = enterprise_shares(enterprises, present_e)
    indices = pd_math.indices(stats, shares, sectors, categories, settings)
    tables = headline_tables(indices, enterprises, sectors, categories, settings)
    items = item_means(keep["long"], keep["per_ent"], shares, models)
    tables.update(indices=indices, item_weights=pd.DataFrame(weight_rows), items=items,
                  psu_totals=indices.attrs.pop("psu_totals"),
                  priorities=priorities(fits, stats, items, shares, models, settings))
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
