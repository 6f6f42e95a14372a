"""First view of the portal dashboard: charts drawn on demand against charts stored by the job.

Run: .venv/bin/python bench/portal.py [--repeat 3]
Loads the demo district into a fresh SQLite file, gives one published enterprise a portal
account and stores the 2026Q3 result twice: first as results were stored before the compute
job drew the dashboards (the view draws on demand), then through `compute_and_store` (the
view serves the stored charts). Each first view is timed in a fresh process (empty caches,
imports already done by a login page), and the median of `--repeat` runs is printed; a third
figure first loads what gunicorn.conf.py loads before a served worker takes requests (the
comment tokenizer, ~1 s, the instruments and the templates): a served worker's first view.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench horse 42"


def _app(url: str):
    from app import create_app

    return create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-secret",
                       "RATELIMIT_ENABLED": False})


def prepare(url: str) -> tuple[str, int]:
    """The demo district in `url` with a portal account; returns (e-mail, 2026Q3 wave id)."""
    from sqlalchemy import select

    from survey import db as survey_db
    from survey.demo.district import load
    from survey.keys import link_key, receipt_key
    from survey.model import User, Wave
    from survey.ops.accounts import hash_password
    from survey.ops.compute import compute, store_result

    app = _app(url)
    survey_db.upgrade(app)
    session = survey_db.session_scope(app, write=True)
    load(session, seed=11, today=dt.date(2026, 11, 26), key=link_key(app.config),
         receipts_key=receipt_key(app.config))
    wave = session.scalars(select(Wave).where(Wave.code == "2026Q3")).one()
    result = compute(session, wave)
    store_result(session, wave, result)  # as before this change: no dashboard charts
    table = result.tables["enterprises"]
    ent = int(table.loc[table["published"].astype(bool), "unit"].iloc[0])
    email = f"bench{ent}@demo.test"
    session.add(User(email=email, role="enterprise", enterprise_id=ent,
                     password_hash=hash_password(PASSWORD)))
    session.commit()
    session.close()
    return email, wave.id


def store_with_charts(url: str, wave_id: int) -> float:
    """Compute and store the wave through the one compute path; returns its seconds."""
    from survey import db as survey_db
    from survey.model import Wave
    from survey.ops.compute import compute_and_store

    app = _app(url)
    session = survey_db.session_scope(app, write=True)
    start = time.perf_counter()
    with app.app_context():
        compute_and_store(session, session.get(Wave, wave_id))
    session.commit()
    session.close()
    return time.perf_counter() - start


def first_view(url: str, email: str, wave_id: int, warm: bool = False) -> float:
    """Seconds of the dashboard's first request in this process, after logging in (with
    `warm`, the comment tokenizer's dictionary is loaded before, as a warmed worker's is)."""
    app = _app(url)
    client = app.test_client()
    if warm:  # what a served worker has loaded (gunicorn.conf.py) before its first request
        from survey.web.warm import warm_app, warm_shared

        warm_shared()
        warm_app(app)
    page = client.get("/portal/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/portal/login", data={"email": email, "password": PASSWORD,
                                       "csrf_token": token})
    start = time.perf_counter()
    response = client.get(f"/portal/?wave={wave_id}")
    elapsed = time.perf_counter() - start
    if response.status_code != 200 or response.get_data(as_text=True).count("<svg") < 4:
        raise SystemExit(f"dashboard failed: {response.status_code}")
    return elapsed


def measured(url: str, email: str, wave_id: int, repeat: int, warm: bool = False) -> list[float]:
    """First-view seconds, each in a fresh interpreter."""
    cmd = [sys.executable, __file__, "--measure", url, email, str(wave_id)]
    cmd += ["--warm"] if warm else []
    return [float(subprocess.run(cmd, capture_output=True, text=True, check=True,
                                 env=os.environ).stdout.split()[-1]) for _ in range(repeat)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measure", nargs=3, metavar=("URL", "EMAIL", "WAVE"))
    parser.add_argument("--warm", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("MPLCONFIGDIR", tempfile.mkdtemp())
    if args.measure:
        url, email, wave = args.measure
        print(f"{first_view(url, email, int(wave), args.warm):.4f}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        email, wave_id = prepare(url)
        before = measured(url, email, wave_id, args.repeat)
        job = store_with_charts(url, wave_id)
        after = measured(url, email, wave_id, args.repeat)
        warm = measured(url, email, wave_id, args.repeat, warm=True)
    b, a = statistics.median(before), statistics.median(after)
    print(f"portal dashboard first view (median of {args.repeat}, fresh process each): "
          f"on demand {_ms(before)}, stored {_ms(after)} ({b / a:.1f}× faster), stored, "
          f"in a served worker (caches warmed by gunicorn.conf.py) {_ms(warm)}; "
          f"compute_and_store with the "
          f"dashboards {job:.1f} s")


def _ms(seconds: list[float]) -> str:
    return (f"{statistics.median(seconds) * 1000:.0f} ms "
            f"[{min(seconds) * 1000:.0f}–{max(seconds) * 1000:.0f}]")


if __name__ == "__main__":
    main()
