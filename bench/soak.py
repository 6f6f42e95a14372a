"""Soak test: nothing acknowledged is lost or doubled under load while a worker is killed.

Run as ``.venv/bin/python bench/soak.py [--duration 60] [--clients 64] [--database-url URL]``.
It:

1. creates a temporary SQLite database (or uses the PostgreSQL URL given, whose tables it
   empties), migrates it and adds one open wave with collection links for 8 enterprises;
2. serves the real app with gunicorn, 2 sync workers, on a free loopback port, with rate
   limits switched off (FLASK_RATELIMIT_ENABLED=false: every simulated phone shares 127.0.0.1);
3. runs `--clients` threads for `--duration` seconds (at most `--max-per-client` respondents
   each); every respondent is a distinct phone (own cookie jar and User-Agent) that GETs the
   questionnaire, POSTs a complete answer and follows the redirect to the thank-you page,
   resending a request that was cut off with the same key (bench/soak_client.py);
4. kills one worker with SIGKILL half-way through and checks that gunicorn replaces it;
5. compares the idempotency keys acknowledged (303 to the thank-you page) with the stored
   responses and prints acknowledged, stored, lost, duplicated, incomplete, errors,
   throughput and p99 latency.

The exit status is 0 when nothing acknowledged was lost or duplicated and no request got a
5xx answer, 1 otherwise, 2 when the set-up failed. Figures are printed, never asserted on time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

import instruments  # noqa: E402
from app import create_app  # noqa: E402
from bench import serving  # noqa: E402
from bench.serving import SetupError, free_port, start_gunicorn, stop_server  # noqa: E402
from bench.soak_client import Plan, Tally, client_loop, request  # noqa: E402
from survey import db  # noqa: E402
from survey.keys import link_key  # noqa: E402
from survey.model import Answer, Base, Category, Enterprise, Response, Sector, Wave  # noqa: E402
from survey.ops.links import create_link  # noqa: E402
from survey.ops.uscc import make_code  # noqa: E402

SECRET = "soak-secret-not-for-production"
WORKERS = 2
SECTOR = "catering"
ENTERPRISES = 8
# A cut-off request counts as "cut by the kill" when it failed this close to the kill.
KILL_WINDOW_S = 5.0


@dataclass(frozen=True)
class Figures:
    """The outcome of one soak run."""

    acknowledged: int
    stored: int
    lost: int
    duplicated: int
    incomplete: int  # stored responses of this run whose answers are not all there
    server_errors: int  # answers with status >= 500
    refused: int  # other unexpected statuses (4xx)
    cut_by_kill: int
    cut_other: int
    gave_up: int
    seconds: float
    p99_post_ms: float
    p99_get_ms: float
    killed_pid: int
    replaced_after_s: float | None

    @property
    def throughput(self) -> float:
        """Acknowledged submissions per second."""
        return self.acknowledged / self.seconds if self.seconds else 0.0

    @property
    def correct(self) -> bool:
        """Nothing lost, doubled or half-stored; no 5xx; no failure beyond the kill."""
        return not (self.lost or self.duplicated or self.incomplete or self.server_errors
                    or self.cut_other or self.refused) and self.replaced_after_s is not None


def soak_app(url: str):
    """The app as the parent process sees it (set-up and counting only)."""
    return create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET})


def prepare(url: str) -> tuple[list[str], dict[str, list[str]]]:
    """Migrate and empty the database, add an open wave with links; (tokens, item values)."""
    app = soak_app(url)
    db.upgrade(app)
    engine = db.get_engine(app)
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    session = db.session_scope(app, write=True)
    try:
        today = dt.date.today()
        category = Category(code="consumer", name_zh="传统服务业", name_en="Consumer", target=80)
        sector = Sector(code=SECTOR, name_zh="餐饮", name_en="Catering", category=category,
                        weight=1.0, instrument_code=SECTOR)
        wave = Wave(code="SOAK", status="open", instrument_versions={},
                    opens_on=today - dt.timedelta(days=1), closes_on=today + dt.timedelta(days=1))
        links = []
        for n in range(ENTERPRISES):
            ent = Enterprise(name=f"压测企业{n}", uscc=make_code("210213", f"MA{n + 900000:06d}"),
                             sector=sector, street="友谊街道")
            links.append(create_link(session, ent, wave, f"{n}号门店",
                                     key=link_key(app.config)))
        session.add(wave)
        session.commit()
        tokens = [link.token for link in links]
    finally:
        session.close()
    engine.dispose()
    instrument = instruments.get(SECTOR)
    items = {it.code: [str(v) for v in it.scale.values()] for it in instrument.items}
    return tokens, items


def start_server(url: str, port: int, log: Path) -> subprocess.Popen:
    """The real app under gunicorn with WORKERS sync workers on loopback, rate limits off."""
    env = {"FLASK_DATABASE_URL": url, "FLASK_SECRET_KEY": SECRET,
           "FLASK_RATELIMIT_ENABLED": "false"}
    return start_gunicorn("app:create_app()", env, port, log, WORKERS)


def workers(master: int) -> set[int]:
    """Process ids of gunicorn's workers (the master's children)."""
    try:
        text = Path(f"/proc/{master}/task/{master}/children").read_text()
    except OSError:
        return set()
    return {int(pid) for pid in text.split()}


def wait_ready(proc: subprocess.Popen, port: int, log: Path, timeout: float = 60) -> None:
    """Wait until the health check answers and every worker is up."""
    serving.wait_ready(proc, lambda: request(port, "GET", "/healthz", {})[0] == 200
                       and len(workers(proc.pid)) == WORKERS, log, timeout)


def kill_one_worker(master: int, port: int, timeout: float = 30) -> tuple[int, float | None]:
    """SIGKILL a worker; (its pid, seconds until a new worker serves), None if never."""
    before = workers(master)
    if not before:
        raise SetupError("gunicorn has no workers to kill")
    victim = max(before)
    os.kill(victim, signal.SIGKILL)
    killed = time.monotonic()
    while time.monotonic() - killed < timeout:
        now = workers(master)
        if victim not in now and len(now) == WORKERS:
            try:
                if request(port, "GET", "/healthz", {})[0] == 200:
                    return victim, time.monotonic() - killed
            except OSError:
                pass
        time.sleep(0.05)
    return victim, None


def stored_keys(url: str, keys: set[str]) -> tuple[dict[str, int], int]:
    """How often each of `keys` is stored, and how many of those responses lack answers."""
    app = soak_app(url)
    engine = db.get_engine(app)
    n_items = len(instruments.get(SECTOR).items)
    counts: dict[str, int] = {}
    incomplete = 0
    with engine.connect() as conn:
        rows = conn.execute(
            select(Response.idempotency_key, func.count(Answer.item_code))
            .join(Answer, Answer.response_id == Response.id, isouter=True)
            .group_by(Response.id, Response.idempotency_key)).all()
    engine.dispose()
    for key, answers in rows:
        if key in keys:
            counts[key] = counts.get(key, 0) + 1
            incomplete += answers != n_items
    return counts, incomplete


def p99(values: list[float]) -> float:
    """The 99th percentile (nearest rank) of `values`, 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def run(url: str, *, duration: float, clients: int, kill_at: float, log_dir: Path,
        max_per_client: int = 10_000) -> Figures:
    """One soak run against the database at `url`; the figures (see the module docstring)."""
    tokens, items = prepare(url)
    port = free_port()
    log = log_dir / "gunicorn.log"
    proc = start_server(url, port, log)
    tally = Tally()
    try:
        wait_ready(proc, port, log)
        start = time.monotonic()
        plan = Plan(port, tokens, items, start, start + duration, max_per_client)
        threads = [threading.Thread(target=client_loop, args=(plan, tally, i), daemon=True)
                   for i in range(clients)]
        for t in threads:
            t.start()
        time.sleep(max(0.0, start + kill_at - time.monotonic()))
        killed_at = time.monotonic() - start
        victim, replaced = kill_one_worker(proc.pid, port)
        for t in threads:
            t.join(timeout=duration + 60)
        seconds = time.monotonic() - start
    finally:
        stop_server(proc)
    counts, incomplete = stored_keys(url, tally.sent)
    near_kill = [t for t in tally.cut if killed_at - 1 <= t <= killed_at + KILL_WINDOW_S]
    return Figures(
        acknowledged=len(tally.acknowledged), stored=sum(counts.values()),
        lost=len(tally.acknowledged - counts.keys()),
        duplicated=sum(n - 1 for n in counts.values() if n > 1), incomplete=incomplete,
        server_errors=len(tally.server_errors), refused=len(tally.refused),
        cut_by_kill=len(near_kill), cut_other=len(tally.cut) - len(near_kill),
        gave_up=tally.gave_up, seconds=seconds, p99_post_ms=p99(tally.post_ms),
        p99_get_ms=p99(tally.get_ms), killed_pid=victim, replaced_after_s=replaced,
    )


def report(fig: Figures, label: str) -> None:
    """Print the figures of one run."""
    replaced = (f"replaced after {fig.replaced_after_s:.2f} s" if fig.replaced_after_s
                is not None else "NOT replaced")
    print(f"\n{label}: worker {fig.killed_pid} killed with SIGKILL, {replaced}")
    print(f"  acknowledged {fig.acknowledged}  stored {fig.stored}  lost {fig.lost}  "
          f"duplicated {fig.duplicated}  incomplete {fig.incomplete}")
    print(f"  errors: 5xx {fig.server_errors}  other refusals {fig.refused}  "
          f"cut by the kill {fig.cut_by_kill}  cut otherwise {fig.cut_other}  "
          f"respondents given up {fig.gave_up}")
    print(f"  throughput {fig.throughput:.0f} acknowledged submissions/s over {fig.seconds:.1f} s;"
          f"  p99 POST {fig.p99_post_ms:.1f} ms, p99 GET {fig.p99_get_ms:.1f} ms")
    print(f"  stored - acknowledged = {fig.stored - fig.acknowledged} "
          "(answers stored whose acknowledgement was cut off)")
    print(f"  verdict: {'OK' if fig.correct else 'FAILED'}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--clients", type=int, default=64, help="concurrent respondents")
    parser.add_argument("--kill-at", type=float, default=None,
                        help="seconds into the run to kill a worker (default: half-way)")
    parser.add_argument("--max-per-client", type=int, default=10_000)
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (default: SQLite)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="manyi-soak-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'soak.sqlite3'}"
        label = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        print(f"soak on {label}: gunicorn {WORKERS} sync workers, {args.clients} clients, "
              f"{args.duration:.0f} s; load average {os.getloadavg()[0]:.2f}")
        try:
            fig = run(url, duration=args.duration, clients=args.clients,
                      kill_at=args.duration / 2 if args.kill_at is None else args.kill_at,
                      log_dir=Path(tmp), max_per_client=args.max_per_client)
        except SetupError as exc:
            print(f"setup error: {exc}", file=sys.stderr)
            return 2
        report(fig, label)
        if not fig.correct:
            print((Path(tmp) / "gunicorn.log").read_text()[-3000:])
    return 0 if fig.correct else 1


if __name__ == "__main__":
    sys.exit(main())
