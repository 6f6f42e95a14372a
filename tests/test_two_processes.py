"""Two app processes on one database with Redis-backed rate limits behave as one."""

from __future__ import annotations

import http.cookiejar
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import csrf_and_key
from tests.test_survey import full_answers

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except (OSError, urllib.error.URLError):
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {seconds} s")


@pytest.fixture
def redis_url(tmp_path):
    """A private redis-server on a free loopback port, stopped afterwards."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (scripts/install-system.sh installs it)")
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def two_servers(app, redis_url, tmp_path):
    """Two werkzeug servers of the app on the test database sharing the Redis limits."""
    env = os.environ | {
        "FLASK_DATABASE_URL": app.config["DATABASE_URL"], "FLASK_SECRET_KEY": "test-secret",
        "FLASK_RATELIMIT_STORAGE_URI": redis_url,
        "FLASK_RATELIMIT_SURVEY_GET": "5 per minute",
        "FLASK_RATELIMIT_SURVEY_POST": "3 per minute",
    }
    servers, bases = [], []
    try:
        for n in range(2):
            port = free_port()
            log = open(tmp_path / f"server{n}.log", "wb")  # noqa: SIM115
            servers.append((subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "app", "run", "--port", str(port),
                 "--no-reload", "--no-debugger"], cwd=ROOT, env=env, stdout=log, stderr=log), log))
            bases.append(f"http://127.0.0.1:{port}")
        for base in bases:
            wait_for(f"{base}/healthz")
        yield bases
    finally:
        for process, log in servers:
            process.terminate()
            process.wait(timeout=10)
            log.close()


def _opener():
    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
        _NoRedirect())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _call(opener, url: str, data: dict | None = None) -> tuple[int, str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with opener.open(url, data=body, timeout=10) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _submit(opener, page_base: str, post_base: str, token: str, value: str) -> tuple[int, str]:
    """Open the form through one process and submit it through the other."""
    status, html = _call(opener, f"{page_base}/s/{token}")
    assert status == 200, status
    return _call(opener, f"{post_base}/s/{token}",
                 csrf_and_key(html) | full_answers(value=value))


def test_two_processes_share_one_limit_and_one_database(two_servers, make_link):
    a, b = two_servers
    link = make_link()
    phone = _opener()
    first = _submit(phone, a, a, link.token, "7")
    # The same phone through the other process: recognised as a repeat (one database).
    again = _submit(phone, b, b, link.token, "8")
    assert first[0] == 303 and again[0] == 200 and "已经" in again[1]
    # Survey POSTs: 3 per minute across both processes together.
    assert _submit(_opener(), a, b, link.token, "7")[0] == 303
    assert _submit(_opener(), b, a, link.token, "7")[0] == 429
    # Page views: 5 per minute across both (four used above).
    views = [_call(_opener(), f"{(a, b)[i % 2]}/s/{link.token}")[0] for i in range(3)]
    assert views == [200, 429, 429]
