"""gunicorn on a loopback port for the benchmark scripts: start, wait, stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class SetupError(RuntimeError):
    """A benchmark could not be set up; nothing was measured."""


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(app: str, env: dict, port: int, log: Path, workers: int) -> subprocess.Popen:
    """gunicorn serving `app` (e.g. ``app:create_app()``) with `workers` sync workers on
    loopback, in its own process group, its output in `log`; engines are made after fork."""
    gunicorn = Path(sys.executable).parent / "gunicorn"
    cmd = [str(gunicorn), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
           "--chdir", str(ROOT), "--config", str(ROOT / "gunicorn.conf.py"),
           "--log-level", "warning", app]
    with log.open("wb") as out:
        return subprocess.Popen(cmd, env=os.environ | env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def stop_server(proc: subprocess.Popen) -> None:
    """Stop gunicorn gracefully, then kill its process group if it lingers."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def wait_ready(proc: subprocess.Popen, ready: Callable[[], bool], log: Path,
               timeout: float = 60) -> None:
    """Poll `ready()` until it is true; a SetupError if gunicorn exits or the time runs out.
    Connection errors while it starts count as not ready."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SetupError(f"gunicorn exited ({proc.returncode}):\n{log.read_text()[-2000:]}")
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SetupError(f"gunicorn did not answer within {timeout:.0f} s")
