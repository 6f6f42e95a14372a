"""Benchmark the respondent's survey against bare Flask baselines measured in the same run.

Run as ``.venv/bin/python bench/submit.py [--duration 10] [--connections 32]
[--database-url URL]``. It:

1. creates a temporary SQLite database (or uses the PostgreSQL URL given), migrates it, loads
   the demo district unless the database already holds data, and picks an open survey link;
2. serves ``bench.wsgi:create_bench_app()`` (the real app plus ``GET /bench/bare`` and
   ``POST /bench/insert``) with gunicorn, 2 sync workers, on a free loopback port, without
   ``--preload`` so each worker creates its own engine;
3. loads it with ``wrk`` (bench/wrk.lua), one scenario after the other, each survey scenario
   right after its baseline so that both see the same machine: bare GET, survey GET
   ``/s/<token>``, bare insert POST, survey POST. Every survey POST is a valid, complete
   submission with its own session cookie, CSRF token and signed idempotency key, issued
   beforehand (the first 100 by real GETs of the form, the rest by the same calls
   in-process), and each is sent once, so each stores a new response;
4. prints requests/s and p99 latency per scenario, the ratios survey/bare and the targets
   (issue 17: survey POST >= 0.8 x bare insert with p99 <= 100 ms; survey GET >= 0.8 x bare
   GET), and
   checks that the stored responses grew by the number of accepted POSTs.

The figures are printed, not asserted: the exit status is 0 unless the set-up fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

import instruments  # noqa: E402
from app import create_app  # noqa: E402
from bench import serving  # noqa: E402
from bench.serving import SetupError, free_port, start_gunicorn, stop_server  # noqa: E402
from bench.wsgi import metadata as bench_metadata  # noqa: E402
from survey import db  # noqa: E402
from survey.demo import district  # noqa: E402
from survey.keys import link_key, receipt_key  # noqa: E402
from survey.model import Response  # noqa: E402
from survey.ops.links import resign_unsigned  # noqa: E402
from survey.web.answers import issue_key  # noqa: E402
from survey.web.csrf import generate_csrf  # noqa: E402

SECRET = "bench-secret-not-for-production"
WORKERS = 2
WRK_THREADS = 2
LUA = ROOT / "bench" / "wrk.lua"
POST_RATIO, GET_RATIO, POST_P99_MS = 0.8, 0.8, 100.0
FORM_FETCHERS = 4
FETCHED_FORMS = 100


@dataclass(frozen=True)
class Result:
    """One wrk run, read from the BENCH line of bench/wrk.lua's done()."""

    name: str
    requests: int
    seconds: float
    p99_ms: float
    failed: int  # HTTP status >= 400 plus socket errors and timeouts
    bad_status: int  # completed requests answered with a status >= 400
    sent: int
    unique_sent: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (default: SQLite)")
    return parser.parse_args(argv)


# One client sends everything: the limits stay on (their cost is measured) but out of reach.
RELAXED_LIMITS = {f"FLASK_RATELIMIT_{name}": "1000000 per minute"
                  for name in ("SURVEY_GET", "SURVEY_POST", "SURVEY_POST_LINK")}


def bench_app(url: str):
    """The app as the parent process sees it (set-up and counting only)."""
    return create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET})


def prepare_database(url: str) -> tuple[str, instruments.Instrument]:
    """Migrate, load the demo if empty, create the bench table; an open link's token."""
    app = bench_app(url)
    db.upgrade(app)
    session = db.session_scope(app, write=True)
    try:
        key = link_key(app.config)
        if not district.is_loaded(session):
            district.load(session, app.config["DEMO_SEED"], dt.date.today(), key,
                          receipt_key(app.config))
        resign_unsigned(session, key)
        session.commit()
        link = district.first_open_link(session)
        if link is None:
            raise SetupError("the database holds no active link of an open wave")
        sector, wave = link.enterprise.sector, link.wave
        pinned = (wave.instrument_versions or {}).get(sector.instrument_code)
        instrument = instruments.get(sector.instrument_code, pinned)
        token = link.token
    finally:
        session.close()
    engine = db.get_engine(app)
    bench_metadata.create_all(engine)
    engine.dispose()
    return token, instrument


def drop_bench_table(url: str) -> None:
    engine = db.get_engine(bench_app(url))
    bench_metadata.drop_all(engine)
    engine.dispose()


def count_responses(url: str) -> int:
    engine = db.get_engine(bench_app(url))
    with engine.connect() as conn:
        n = conn.scalar(select(func.count()).select_from(Response))
    engine.dispose()
    return n


def start_server(url: str, port: int, log: Path) -> subprocess.Popen:
    """The bench app (real app plus baseline routes) under gunicorn on loopback."""
    env = {"FLASK_DATABASE_URL": url, "FLASK_SECRET_KEY": SECRET} | RELAXED_LIMITS
    return start_gunicorn("bench.wsgi:create_bench_app()", env, port, log, WORKERS)


def request(port: int, method: str, path: str, body: str = "", headers=None):
    """One HTTP request on a new connection: (status, headers, text)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body or None, headers=headers or {})
        reply = conn.getresponse()
        return reply.status, reply.getheaders(), reply.read().decode()
    finally:
        conn.close()


def wait_ready(proc: subprocess.Popen, port: int, log: Path, timeout: float = 60) -> None:
    """Wait until the bare baseline route answers."""
    serving.wait_ready(proc, lambda: request(port, "GET", "/bench/bare")[0] == 200, log, timeout)


def answers(instrument: instruments.Instrument) -> dict[str, str]:
    """An in-range value for every item, so each submission passes validation."""
    return {it.code: str(random.choice(list(it.scale.values()))) for it in instrument.items}


def hidden_value(html: str, name: str) -> str:
    """The value of the form's hidden input `name`, whatever the order of its attributes."""
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', html)
    value = tag and re.search(r'\bvalue="([^"]+)"', tag.group(0))
    if not value:
        raise SetupError(f"no hidden {name} field in the questionnaire")
    return value.group(1)


def fetch_form(port: int, token: str, instrument: instruments.Instrument) -> str:
    """GET the questionnaire with an empty cookie jar; one "cookie<TAB>body" line to POST."""
    status, headers, html = request(port, "GET", f"/s/{token}")
    if status != 200:
        raise SetupError(f"GET /s/{token} answered {status}")
    cookies = [v.split(";", 1)[0] for k, v in headers if k.lower() == "set-cookie"]
    fields = {name: hidden_value(html, name) for name in ("csrf_token", "k")}
    return "; ".join(cookies) + "\t" + urllib.parse.urlencode(fields | answers(instrument))


def fetch_forms(port: int, token: str, instrument, n: int) -> list[str]:
    """`n` submissions from real GETs of the questionnaire, each with its own cookie jar."""
    with ThreadPoolExecutor(FORM_FETCHERS) as pool:
        return list(pool.map(lambda _: fetch_form(port, token, instrument), range(n)))


def mint_forms(url: str, instrument, n: int) -> list[str]:
    """`n` submissions whose cookie, CSRF token and key are issued as the GET issues them.

    Same calls as the view (survey.web.csrf.generate_csrf, issue_key, the app's session
    serializer), without rendering the page: 10,000+ pages over HTTP would take a minute.
    """
    app = bench_app(url)
    return [cookie + "\t" + body for cookie, body in minted_forms(app, instrument, n)]


def minted_forms(app: flask.Flask, instrument, n: int) -> list[tuple[str, str]]:
    """`n` (session cookie, urlencoded body) pairs, each with its own session, CSRF token,
    signed form key and complete answers."""
    serializer = app.session_interface.get_signing_serializer(app)
    name = app.config["SESSION_COOKIE_NAME"]
    out = []
    for _ in range(n):
        with app.test_request_context():
            fields = {"csrf_token": generate_csrf(), "k": issue_key(SECRET)}
            cookie = f"{name}={serializer.dumps(dict(flask.session))}"
        out.append((cookie, urllib.parse.urlencode(fields | answers(instrument))))
    return out


def run_wrk(name: str, port: int, path: str, args: argparse.Namespace, bodies=None) -> Result:
    """Run wrk against `path` (GET, or POST of the lines in `bodies`); read its BENCH line."""
    mode = ["post", str(WRK_THREADS), str(bodies)] if bodies else ["get", str(WRK_THREADS)]
    cmd = [
        "timeout", "--kill-after=5", str(args.duration + 30),
        "wrk", f"-t{WRK_THREADS}", f"-c{args.connections}", f"-d{args.duration}s",
        "-s", str(LUA), f"http://127.0.0.1:{port}{path}",
        "--", *mode,
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        raise SetupError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    v = dict(kv.split("=", 1) for kv in line.split()[1:])
    failed = sum(int(v[k]) for k in ("status_errors", "connect", "read", "write", "timeout"))
    result = Result(
        name=name,
        requests=int(v["requests"]),
        seconds=int(v["duration_us"]) / 1e6,
        p99_ms=float(v["p99_us"]) / 1000,
        failed=failed,
        bad_status=int(v["status_errors"]),
        sent=int(v["sent"]),
        unique_sent=int(v["unique_sent"]),
    )
    print(f"  {name:<14} {result.rps:9.0f} req/s  p99 {result.p99_ms:7.1f} ms  failed {failed}")
    time.sleep(1)  # let requests cut off at the deadline finish before the next run
    return result


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(res: dict[str, Result]) -> None:
    """Print the table of figures, the ratios and the targets."""
    print(f"\n{'scenario':<16}{'req/s':>10}{'p99 ms':>10}{'failed':>8}{'requests':>10}")
    for r in res.values():
        print(f"{r.name:<16}{r.rps:>10.0f}{r.p99_ms:>10.1f}{r.failed:>8}{r.requests:>10}")
    post = res["survey_post"].rps / res["bare_insert"].rps
    get = res["survey_get"].rps / res["bare_get"].rps
    p99 = res["survey_post"].p99_ms
    print(
        f"\nsurvey POST / bare insert = {post:.2f}  (target >= {POST_RATIO})  "
        f"{verdict(post >= POST_RATIO)}"
    )
    print(
        f"survey POST p99 = {p99:.1f} ms  (target <= {POST_P99_MS:.0f} ms)  "
        f"{verdict(p99 <= POST_P99_MS)}"
    )
    print(
        f"survey GET / bare GET = {get:.2f}  (target >= {GET_RATIO})  {verdict(get >= GET_RATIO)}"
    )


def report_storage(post: Result, forms: int, before: int, after: int) -> None:
    """Compare stored responses with accepted POSTs (303s) and requests sent."""
    accepted = post.requests - post.bad_status
    unique = min(accepted, forms)
    cut_off = post.sent - post.requests
    grew = after - before
    print(
        f"\nsurvey POST: {forms} distinct forms prepared, {post.unique_sent} used "
        f"({post.sent} requests sent, {accepted} answered 303, {post.failed} failed)"
    )
    print(f"responses stored: {before} -> {after} (+{grew}); accepted with unique keys: {unique}")
    # wrk stops at its deadline without waiting for requests in flight; the server still
    # stores those, so they may add up to `cut_off` rows that wrk never saw answered.
    ok = unique <= grew <= min(post.unique_sent, unique + cut_off)
    print(
        f"storage check: +{grew} = {unique} accepted + {grew - unique} cut off in flight "
        f"(at most {cut_off})  {'OK' if ok else 'MISMATCH'}"
    )


def measure(args: argparse.Namespace, url: str, tmp: Path) -> None:
    """Set up, run the four scenarios and print the figures."""
    token, instrument = prepare_database(url)
    port = free_port()
    log = tmp / "gunicorn.log"
    proc = start_server(url, port, log)
    try:
        wait_ready(proc, port, log)
        print(
            f"gunicorn: {WORKERS} workers on 127.0.0.1:{port}; survey /s/{token} "
            f"({instrument.code} v{instrument.version}, {len(instrument.items)} items); "
            f"wrk -t{WRK_THREADS} -c{args.connections} -d{args.duration}s"
        )
        # Other processes on the 2 cores skew the figures: show how busy the machine was.
        print(f"load average before the runs: {os.getloadavg()[0]:.2f}")
        fetched = fetch_forms(port, token, instrument, FETCHED_FORMS)  # also warms the workers
        res = {
            "bare_get": run_wrk("bare_get", port, "/bench/bare", args),
            "survey_get": run_wrk("survey_get", port, f"/s/{token}", args),
            "bare_insert": run_wrk("bare_insert", port, "/bench/insert", args, insert_body(tmp)),
        }
        # Enough distinct forms for a POST rate 30 % above the bare insert rate.
        forms = math.ceil(res["bare_insert"].rps * args.duration * 1.3) + 4 * args.connections
        minted = mint_forms(url, instrument, forms - len(fetched))
        (tmp / "forms.txt").write_text("\n".join(fetched + minted) + "\n")
        print(f"  prepared {forms} distinct forms ({len(fetched)} fetched, {len(minted)} minted)")
        before = count_responses(url)
        res["survey_post"] = run_wrk("survey_post", port, f"/s/{token}", args, tmp / "forms.txt")
        after = count_responses(url)
    finally:
        stop_server(proc)
    report(res)
    report_storage(res["survey_post"], forms, before, after)
    if any(r.failed for r in res.values()):
        print(f"\nsome requests failed; end of the gunicorn log:\n{log.read_text()[-3000:]}")


def insert_body(tmp: Path) -> Path:
    """The bare insert's single request line (no cookie), for bench/wrk.lua."""
    path = tmp / "insert.txt"
    path.write_text("\tnote=bench\n")
    return path


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("setup error: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="manyi-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    try:
        measure(args, url, tmp)
    except SetupError as exc:
        print(f"setup error: {exc}", file=sys.stderr)
        return 2
    finally:
        if args.database_url:
            drop_bench_table(url)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
