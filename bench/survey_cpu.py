"""CPU time per request of the respondent's survey against the bare baselines, in-process.

Run as ``.venv/bin/python bench/survey_cpu.py [--requests 400] [--repeats 5]``. Wall-clock
rates (bench/submit.py) swing with whatever else runs on the machine; the CPU time a
request costs in this process does not, so this script is the one to compare changes with.

It builds ``bench.wsgi:create_bench_app()`` on a temporary SQLite database holding the demo
district, with the rate limits on but out of reach (as bench/submit.py sets them), picks an
open link, and calls the WSGI app directly with prepared environs (no HTTP, no client):

- ``GET /bench/bare`` against ``GET /s/<token>`` (the blank questionnaire);
- ``POST /bench/insert`` against ``POST /s/<token>``: every survey POST is a valid, complete
  submission with its own session cookie, CSRF token and signed form key, so each stores a
  new response (checked: the responses grow by the number of 303s).

Each repeat times N requests of each scenario with ``time.process_time()``, the scenarios
interleaved; it prints the median CPU µs per request over the repeats with their spread
(min–max), and the ratios bare/survey (the throughput a CPU-bound server would reach,
survey/bare, if CPU were all that mattered).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from bench.submit import RELAXED_LIMITS, SECRET, minted_forms, prepare_database  # noqa: E402
from bench.wsgi import create_bench_app  # noqa: E402
from survey import db  # noqa: E402
from survey.model import Response  # noqa: E402

FORM = "application/x-www-form-urlencoded"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per scenario")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--profile", choices=("get", "post"), default="",
                        help="print a cProfile of one scenario instead of the figures")
    parser.add_argument("--spin", choices=("get", "post"), default="",
                        help="only run one scenario, unprofiled (for py-spy record)")
    return parser.parse_args(argv)


def bench_app(url: str) -> flask.Flask:
    """The bench app (real app plus the bare routes) configured as gunicorn would run it."""
    env = {"FLASK_DATABASE_URL": url, "FLASK_SECRET_KEY": SECRET} | RELAXED_LIMITS
    os.environ.update(env)
    return create_bench_app()


def environ(method: str, path: str, body: str = "", cookie: str = "") -> dict:
    """A WSGI environ as gunicorn would hand it over (from 127.0.0.1)."""
    headers = {"User-Agent": "Mozilla/5.0 (Linux; Android 14) Chrome/120.0.6099.43 Mobile",
               "Accept-Language": "zh-CN,zh;q=0.9"}
    if cookie:
        headers["Cookie"] = cookie
    builder = EnvironBuilder(path=path, method=method, headers=headers,
                             data=body.encode() if body else None,
                             content_type=FORM if body else None)
    try:
        env = builder.get_environ()
    finally:
        builder.close()
    env["REMOTE_ADDR"] = "127.0.0.1"
    return env


def survey_posts(app: flask.Flask, token: str, instrument, n: int) -> list[dict]:
    """`n` valid submissions, each with its own session, CSRF token and form key."""
    return [environ("POST", f"/s/{token}", body, cookie)
            for cookie, body in minted_forms(app, instrument, n)]


def call(app: flask.Flask, env: dict) -> str:
    """Run one request through the WSGI app; its status line."""
    status = []

    def start_response(line, headers, exc_info=None):
        status.append(line)

    result = app(env, start_response)
    try:
        for _chunk in result:
            pass
    finally:
        if hasattr(result, "close"):
            result.close()
    return status[0]


def cpu_us(app: flask.Flask, envs: list[dict], expect: str) -> float:
    """CPU µs per request over `envs` (each used once); every status must be `expect`."""
    start = time.process_time()
    statuses = [call(app, env) for env in envs]
    spent = time.process_time() - start
    wrong = [s for s in statuses if not s.startswith(expect)]
    if wrong:
        raise SystemExit(f"unexpected status {wrong[0]} (expected {expect})")
    return spent / len(envs) * 1e6


def scenarios(app, token, instrument, n) -> dict[str, tuple[list[dict], str]]:
    """Fresh environs for one repeat of the four scenarios."""
    get = environ("GET", f"/s/{token}")
    bare = environ("GET", "/bench/bare")
    insert = [environ("POST", "/bench/insert", "note=bench") for _ in range(n)]
    return {
        "bare_get": ([dict(bare) for _ in range(n)], "200"),
        "survey_get": ([dict(get) for _ in range(n)], "200"),
        "bare_insert": (insert, "200"),
        "survey_post": (survey_posts(app, token, instrument, n), "303"),
    }


def count_responses(app: flask.Flask) -> int:
    with db.get_engine(app).connect() as conn:
        return conn.scalar(select(func.count()).select_from(Response))


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):8.0f} µs  ({min(values):.0f}–{max(values):.0f})"


def report(figures: dict[str, list[float]]) -> None:
    """Median CPU µs per request with the spread, and the ratios."""
    print(f"\n{'scenario':<14}{'CPU per request, median (min–max)':>40}")
    for name, values in figures.items():
        print(f"{name:<14}{spread(values):>40}")
    for survey, bare in (("survey_get", "bare_get"), ("survey_post", "bare_insert")):
        ratios = [b / s for b, s in zip(figures[bare], figures[survey], strict=True)]
        print(f"{survey} / {bare} (CPU bare/survey) = {statistics.median(ratios):.2f}  "
              f"({min(ratios):.2f}–{max(ratios):.2f})")


def profile(app, token, instrument, n, which: str) -> None:
    import cProfile
    import pstats

    runs = scenarios(app, token, instrument, n)
    envs, expect = runs["survey_get" if which == "get" else "survey_post"]
    prof = cProfile.Profile()
    prof.enable()
    cpu_us(app, envs, expect)
    prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
    pstats.Stats(prof).sort_stats("tottime").print_stats(30)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    random.seed(17)
    with tempfile.TemporaryDirectory(prefix="manyi-cpu-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        token, instrument = prepare_database(url)
        app = bench_app(url)
        # Warm-up: compiled queries, caches, the reading connections.
        warm = scenarios(app, token, instrument, 20)
        for envs, expect in warm.values():
            cpu_us(app, envs, expect)
        if args.profile:
            profile(app, token, instrument, args.requests, args.profile)
            return 0
        if args.spin:
            for _ in range(args.repeats):
                runs = scenarios(app, token, instrument, args.requests)
                cpu_us(app, *runs["survey_get" if args.spin == "get" else "survey_post"])
            return 0
        print(f"survey /s/{token} ({instrument.code} v{instrument.version}, "
              f"{len(instrument.items)} items); {args.requests} requests per scenario, "
              f"{args.repeats} repeats; load average {os.getloadavg()[0]:.2f}")
        figures: dict[str, list[float]] = {}
        for _ in range(args.repeats):
            runs = scenarios(app, token, instrument, args.requests)
            before = count_responses(app)
            for name, (envs, expect) in runs.items():
                figures.setdefault(name, []).append(cpu_us(app, envs, expect))
            grew = count_responses(app) - before
            if grew != args.requests:
                raise SystemExit(f"storage check: +{grew} responses for {args.requests} POSTs")
        report(figures)
        print("storage check: every survey POST stored one response  OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
