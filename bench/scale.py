"""A wave of N simulated responses in PostgreSQL, computed through the push-down path.

Run: .venv/bin/python bench/scale.py [--n 1000000 ...] [--full] [--enterprises 1000]
Starts a private PostgreSQL cluster (as scripts/with-postgres.sh does), creates the schema
with the migrations, adds the demo district's 14 sectors with `--enterprises` enterprises,
loads N responses (~20 answers each, drawn from analysis.simulate) with COPY, then, in a
fresh process, computes the wave with `survey.ops.pushdown.compute_pushdown` and prints

    scale: N responses in the database, compute T s (T/N s per million), peak RSS M MB

(equal seconds per million across N mean time linear in N; peak RSS of the computing
process). Default N: 1M and 5M; --full adds 10M.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

SETTINGS = {"influence_cap": None, "raking": False}  # what the push-down path computes
CHUNK = 50_000  # responses generated and copied at a time


def start_postgres(tmp: Path) -> tuple[str, callable]:
    """A throwaway cluster on a free loopback port: (SQLAlchemy URL, stop function)."""
    import socket

    pgbin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    data = tmp / "pgdata"
    data.mkdir()
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_pg:
        shutil.chown(tmp, "postgres", "postgres")
        shutil.chown(data, "postgres", "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    def pg(*cmd):
        subprocess.run([*as_pg, *cmd], check=True, cwd="/", stdout=subprocess.DEVNULL)

    pg(f"{pgbin}/initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
       "--locale=C.UTF-8")
    pg(f"{pgbin}/pg_ctl", "-D", str(data), "-l", str(data / "server.log"), "-w", "-t", "60",
       "-o", f"-p {port} -c listen_addresses=127.0.0.1 -k {data} -c fsync=off "
       "-c synchronous_commit=off -c work_mem=64MB -c max_wal_size=4GB", "start")
    pg(f"{pgbin}/psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-qc",
       "CREATE DATABASE manyi_scale")

    def stop():
        pg(f"{pgbin}/pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")

    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/manyi_scale", stop


def _app(url: str):
    from app import create_app

    return create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-scale"})


def units(url: str, n_enterprises: int) -> tuple[int, list[tuple[int, int, str, float]]]:
    """Schema, the 14 demo sectors and their enterprises, one wave and a link each.
    Returns the wave id and (enterprise id, link id, instrument, true index) per enterprise."""
    from survey import db as survey_db
    from survey.demo import spec
    from survey.keys import link_key
    from survey.model import Category, Enterprise, Sector, Wave
    from survey.ops.links import create_link
    from survey.ops.uscc import make_code

    app = _app(url)
    survey_db.upgrade(app)
    session = survey_db.session_scope(app, write=True)
    cats = {code: Category(code=code, name_zh=zh, name_en=en, target=target, weight=w,
                           target_source=spec.PLAN_SOURCE, weight_source=spec.WEIGHT_SOURCE)
            for code, zh, en, target, w in spec.CATEGORIES}
    wave = Wave(code="2027Q1", opens_on=dt.date(2027, 1, 1), closes_on=dt.date(2027, 3, 31),
                status="closed", instrument_versions={})
    session.add_all([*cats.values(), wave])
    rng = np.random.default_rng(7)
    per = n_enterprises // len(spec.SECTORS)
    out = []
    for s in spec.SECTORS:
        sector = Sector(code=s.code, category=cats[s.category], name_zh=s.name_zh,
                        name_en=s.name_en, weight=s.weight, weight_source=spec.WEIGHT_SOURCE,
                        instrument_code=s.code)
        mu = float(next(iter(s.truth.values())))
        for k in range(per):
            ent = Enterprise(name=f"{s.name_zh}{k + 1}", sector=sector,
                             uscc=make_code(spec.DIVISION, f"MA{len(out):06d}"),
                             street=spec.STREETS[0],
                             customer_volume=float(rng.integers(100, 5000)))
            session.add(ent)
            session.flush()
            link = create_link(session, ent, wave, key=link_key(app.config))
            out.append((ent.id, link.id, s.code, mu + 6.0 * float(rng.standard_normal())))
    session.commit()
    session.close()
    return wave.id, out


RESPONSE_COLUMNS = ("id", "link_id", "enterprise_id", "wave_id", "instrument_code",
                    "instrument_version", "locale", "started_at", "submitted_at", "age_band",
                    "sex", "residence", "frequency", "comment", "wants_complaint",
                    "idempotency_key", "quarantined", "source", "verified", "flags")


def load(url: str, wave_id: int, ents: list, n: int) -> float:
    """COPY `n` responses spread evenly over `ents` and their answers; returns seconds."""
    import psycopg

    import instruments
    from analysis.simulate import simulate_responses
    from survey.demo.district import instrument_items

    start = time.perf_counter()
    rng = np.random.default_rng(11)
    conn = psycopg.connect(url.replace("postgresql+psycopg", "postgresql"))
    counts = np.full(len(ents), n // len(ents))
    counts[: n - counts.sum()] += 1
    next_id, at = 1, "2027-02-01 10:00:00+00"
    with conn.cursor() as cur:
        for (ent, link, inst_code, mu), count in zip(ents, counts, strict=True):
            inst = instruments.get(inst_code)
            codes = [i.code for i in inst.items]
            for lo in range(0, int(count), CHUNK):
                m = min(CHUNK, int(count) - lo)
                frame = simulate_responses(instrument_items(inst), np.full(m, mu), rng)
                ids = np.arange(next_id, next_id + m)
                next_id += m
                _copy_responses(cur, ids, frame, ent, link, wave_id, inst, at)
                _copy_answers(cur, ids, frame, codes)
        cur.execute(f"SELECT setval('response_id_seq', {next_id})")
    conn.commit()
    conn.autocommit = True
    conn.execute("VACUUM ANALYZE")
    conn.close()
    return time.perf_counter() - start


def _copy_responses(cur, ids, frame, ent, link, wave_id, inst, at) -> None:
    rows = pd.DataFrame({
        "id": ids, "link_id": link, "enterprise_id": ent, "wave_id": wave_id,
        "instrument_code": inst.code, "instrument_version": inst.version, "locale": "zh_CN",
        "started_at": at, "submitted_at": at,
        **{c: frame[c].astype(object).where(frame[c].notna(), None)
           for c in ("age_band", "sex", "residence", "frequency")},
        "comment": "", "wants_complaint": "f", "idempotency_key": [f"s{i}" for i in ids],
        "quarantined": "f", "source": "qr", "verified": "f", "flags": "[]"})
    _copy(cur, "response", RESPONSE_COLUMNS, rows)


def _copy_answers(cur, ids, frame, codes) -> None:
    values = frame[codes].to_numpy(float)
    rid = np.repeat(ids, len(codes))
    item = np.tile(np.asarray(codes, dtype=object), len(ids))
    flat = values.ravel()
    rows = pd.DataFrame({"response_id": rid, "item_code": item,
                         "value": pd.array(np.where(np.isnan(flat), 0, flat).astype(int),
                                           dtype="Int64")})
    rows.loc[np.isnan(flat), "value"] = pd.NA
    _copy(cur, "answer", ("response_id", "item_code", "value"), rows)


def _copy(cur, table: str, columns, rows: pd.DataFrame) -> None:
    buf = io.StringIO()
    rows.to_csv(buf, sep="\t", header=False, index=False, na_rep="\\N")
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        copy.write(buf.getvalue())


def compute(url: str, wave_id: int) -> None:
    """Compute the wave through the push-down path; print seconds and peak RSS (MB)."""
    from analysis import Settings
    from survey import db as survey_db
    from survey.model import Wave
    from survey.ops.pushdown import compute_pushdown

    app = _app(url)
    session = survey_db.session_scope(app)
    start = time.perf_counter()
    tables = compute_pushdown(session, session.get(Wave, wave_id), Settings(**SETTINGS))
    elapsed = time.perf_counter() - start
    assert len(tables["enterprises"]) > 0
    session.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{elapsed:.3f} {rss:.0f}")


def run(n: int, n_enterprises: int) -> str:
    """One size: a fresh cluster, the load, the computation in a fresh process."""
    with tempfile.TemporaryDirectory(prefix="manyi-scale-") as tmp:
        url, stop = start_postgres(Path(tmp))
        try:
            wave_id, ents = units(url, n_enterprises)
            loaded = load(url, wave_id, ents, n)
            out = subprocess.run([sys.executable, __file__, "--compute", url, str(wave_id)],
                                 capture_output=True, text=True, check=True).stdout.split()
        finally:
            stop()
    seconds, rss = float(out[-2]), float(out[-1])
    print(f"(load {n:,} responses by COPY: {loaded:.0f} s)", file=sys.stderr)
    return (f"scale: {n:,} responses in the database, compute {seconds:.1f} s "
            f"({seconds / (n / 1e6):.1f} s per million), peak RSS {rss:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="responses (repeatable)")
    parser.add_argument("--full", action="store_true", help="also 10M responses")
    parser.add_argument("--enterprises", type=int, default=1000)
    parser.add_argument("--compute", nargs=2, metavar=("URL", "WAVE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.compute:
        compute(args.compute[0], int(args.compute[1]))
        return
    sizes = args.n or [1_000_000, 5_000_000] + ([10_000_000] if args.full else [])
    for n in sizes:
        print(run(n, args.enterprises), flush=True)


if __name__ == "__main__":
    main()
