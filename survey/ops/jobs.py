"""Background jobs: computing a wave and publishing its bulletin outside web requests.

The console adds a `Job` row and starts `flask jobs run ID` as a separate process, so a
web worker never waits for PLS fits or PDF rendering; the job records its progress, which
the console's job page shows.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey import clock
from survey.clock import utcnow
from survey.db import session_scope
from survey.model import Appeal, Job
from survey.ops import appeals, publish
from survey.ops.compute import compute_and_store

ROOT = Path(__file__).resolve().parents[2]  # the repository
# Settings a job process must share with the web process that started it.
SHARED_SETTINGS = ("DATABASE_URL", "SECRET_KEY", "HASH_KEY", "LINK_KEY", "RECEIPT_KEY",
                   "PUBLIC_BASE_URL", "DISTRICT_NAME", "BULLETIN_TITLE", "DISTRICT_NAME_EN",
                   "BULLETIN_TITLE_EN", "TIMEZONE")


def enqueue(session: Session, kind: str, wave_id: int, user_id: int | None,
            params: dict | None = None) -> Job:
    """Add a queued job; the caller commits, then calls `start`."""
    job = Job(kind=kind, wave_id=wave_id, created_by=user_id, params=params or {},
              status="queued", progress=0, message="")
    session.add(job)
    return job


# Started job processes, kept so that they can be reaped once they exit.
_CHILDREN: list[subprocess.Popen] = []


def start(app: Flask, job_id: int) -> subprocess.Popen:
    """Run the job in a new process (`flask jobs run ID`), detached from the request."""
    reap()
    env = dict(os.environ)
    for name in SHARED_SETTINGS:
        env[f"FLASK_{name}"] = str(app.config[name])
    child = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "jobs", "run", str(job_id)],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
    )
    _CHILDREN.append(child)
    return child


def reap() -> int:
    """Collect the exit status of finished job processes; returns how many still run."""
    _CHILDREN[:] = [child for child in _CHILDREN if child.poll() is None]
    return len(_CHILDREN)


def _progress(session: Session, job: Job, percent: int, message: str) -> None:
    job.progress, job.message = percent, message
    session.commit()


def run(session: Session, job: Job) -> None:
    """Do the job's work, recording progress; failures are recorded, never raised."""
    job.status = "running"
    _progress(session, job, 5, "started")
    def say(percent: int, message: str) -> None:
        _progress(session, job, percent, message)

    try:
        if job.kind == "compute":
            compute_and_store(session, job.wave, say)
        elif job.kind == "appeal_effect":
            _appeal_effect(session, job)
        else:
            bulletin = publish.publish(session, job.wave, job.created_by,
                                       job.params.get("changes", ""), say)
            session.flush()
            job.message = f"revision {bulletin.revision}"
        job.status, job.progress = "done", 100
        job.message = {"publish": job.message, "appeal_effect": "effect stored"}.get(
            job.kind, "result stored")
    except Exception as error:  # noqa: BLE001  (any failure must reach the job page)
        session.rollback()
        job.status, job.message = "failed", f"{type(error).__name__}: {error}"
    job.finished_at = utcnow()
    session.commit()


def _appeal_effect(session: Session, job: Job) -> None:
    """Record an appeal's exact effect (two full computations of its wave)."""
    appeal = session.get(Appeal, int(job.params["appeal_id"]))
    if appeal is None:
        raise ValueError(f"no appeal {job.params['appeal_id']}")
    _progress(session, job, 20, "computing the wave with and without the response")
    try:
        found = {"exact": appeals.exact_effect(session, appeal.response)}
    except ValueError as error:  # the wave cannot be computed (e.g. too few responses)
        found = {"exact_error": str(error)}
    appeal.effect = {**(appeal.effect or {}), **found}


@click.group("jobs")
def jobs_group() -> None:
    """Background jobs started from the console."""


@jobs_group.command("run")
@click.argument("job_id", type=int)
@with_appcontext
def run_command(job_id: int) -> None:
    """Run one queued job (the console starts this in its own process)."""
    session = session_scope(write=True)
    try:
        job = session.get(Job, job_id)
        if job is None or job.status != "queued":
            raise click.ClickException(f"job {job_id} is not queued")
        run(session, job)
        click.echo(f"job {job_id}: {job.status} {job.message}")
    finally:
        session.close()


def seconds_left(session: Session, job: Job, now: dt.datetime | None = None) -> int | None:
    """Estimated seconds until a queued or running job finishes, None when unknown.

    The typical duration is the median of the last finished jobs of the same kind; without
    one, the time so far is extrapolated from the progress.
    """
    if job.status not in ("queued", "running"):
        return None
    now = now or clock.now()
    elapsed = (now - clock.aware(job.created_at)).total_seconds()
    done = session.execute(
        select(Job.created_at, Job.finished_at)
        .where(Job.kind == job.kind, Job.status == "done", Job.finished_at.is_not(None))
        .order_by(Job.id.desc()).limit(5)
    ).all()
    took = sorted((clock.aware(f) - clock.aware(c)).total_seconds() for c, f in done)
    if took:
        return max(int(took[len(took) // 2] - elapsed), 1)
    if job.progress < 10 or elapsed <= 0:
        return None
    return max(int(elapsed * (100 - job.progress) / job.progress), 1)


def is_stale(job: Job, now: dt.datetime | None = None) -> bool:
    """True for a job still queued or running an hour after it was created."""
    created = clock.aware(job.created_at)
    now = now or clock.now()
    return job.status in ("queued", "running") and now - created > dt.timedelta(hours=1)


def init_app(app: Flask) -> None:
    """Register the `jobs` commands."""
    app.cli.add_command(jobs_group)
