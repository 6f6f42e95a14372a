"""Simulated respondents for bench/soak.py: each a distinct phone that reads, answers, retries.

A respondent has its own cookie jar and User-Agent, GETs the questionnaire, POSTs a complete
answer with the page's CSRF token and idempotency key, and follows the redirect to the
thank-you page. A request cut off (connection reset or closed without an answer, as when a
worker is killed) is sent again with the same cookie and key, as a phone's browser would
on a flaky network; the server must store the answer once however often it arrives.
"""

from __future__ import annotations

import http.client
import random
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

RETRIES = 4
TIMEOUT_S = 15.0
CUT = (ConnectionError, http.client.RemoteDisconnected, http.client.IncompleteRead)


@dataclass
class Tally:
    """What all respondents saw, filled under a lock by the client threads."""

    acknowledged: set[str] = field(default_factory=set)  # keys answered 303 → thank-you page
    sent: set[str] = field(default_factory=set)  # keys of every POST sent at least once
    thanks_pages: int = 0
    post_ms: list[float] = field(default_factory=list)
    get_ms: list[float] = field(default_factory=list)
    server_errors: list[tuple[float, int]] = field(default_factory=list)  # (t, status >= 500)
    refused: list[tuple[float, int]] = field(default_factory=list)  # other unexpected statuses
    cut: list[float] = field(default_factory=list)  # times of requests cut off (no answer)
    gave_up: int = 0  # respondents abandoned after RETRIES cut-offs in a row
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass(frozen=True)
class Plan:
    """Where and for how long the respondents answer."""

    port: int
    tokens: list[str]
    items: dict[str, list[str]]  # item code → allowed values (per token's instrument)
    start: float
    deadline: float
    max_per_client: int


def request(port: int, method: str, path: str, headers: dict, body: str = ""):
    """One request on a new connection: (status, headers, text, reply); CUT errors propagate."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    try:
        conn.request(method, path, body=body or None, headers=headers)
        reply = conn.getresponse()
        text = reply.read().decode("utf-8", "replace")
        return reply.status, {k.lower(): v for k, v in reply.getheaders()}, text, reply
    finally:
        conn.close()


def hidden(html: str, name: str) -> str | None:
    """The value of the hidden input `name`, or None."""
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', html)
    value = tag and re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return value.group(1) if value else None


class Respondent:
    """One phone: its cookie jar and User-Agent, used for one questionnaire."""

    def __init__(self, plan: Plan, tally: Tally, name: str, rng: random.Random):
        self.plan, self.tally, self.rng = plan, tally, rng
        self.jar: dict[str, str] = {}
        self.agent = f"Mozilla/5.0 (Linux; Android 14; Soak {name}) Mobile Safari/537.36"

    def headers(self, extra: dict | None = None) -> dict:
        """Request headers: this phone's User-Agent, languages and cookies."""
        out = {"User-Agent": self.agent, "Accept-Language": "zh-CN,zh;q=0.9"}
        if self.jar:
            out["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        return out | (extra or {})

    def keep_cookies(self, reply) -> None:
        """Store the Set-Cookie values of an answer in the jar."""
        for value in reply.headers.get_all("Set-Cookie") or ():
            name, _, rest = value.partition("=")
            self.jar[name.strip()] = rest.split(";", 1)[0]

    def send(self, method: str, path: str, body: str = "", extra=None):
        """Send with retries on cut-offs; (status, headers, text) or None when given up."""
        for _attempt in range(RETRIES):
            started = time.monotonic()
            try:
                status, headers, text, reply = request(
                    self.plan.port, method, path, self.headers(extra), body)
            except CUT:
                with self.tally.lock:
                    self.tally.cut.append(time.monotonic() - self.plan.start)
                time.sleep(0.2)
                continue
            self.keep_cookies(reply)
            elapsed = (time.monotonic() - started) * 1000
            with self.tally.lock:
                (self.tally.post_ms if method == "POST" else self.tally.get_ms).append(elapsed)
                if status >= 500:
                    self.tally.server_errors.append((started - self.plan.start, status))
            return status, headers, text
        with self.tally.lock:
            self.tally.gave_up += 1
        return None

    def answer(self, token: str) -> None:
        """GET the questionnaire, POST a complete answer, follow the redirect to thank-you."""
        path = f"/s/{token}"
        got = self.send("GET", path)
        if got is None or got[0] != 200:
            self._unexpected(got)
            return
        csrf, key = hidden(got[2], "csrf_token"), hidden(got[2], "k")
        fields = {"csrf_token": csrf or "", "k": key or ""}
        fields |= {code: self.rng.choice(values) for code, values in self.plan.items.items()}
        with self.tally.lock:
            self.tally.sent.add(key or "")
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        posted = self.send("POST", path, urllib.parse.urlencode(fields), form)
        if posted is None or posted[0] != 303 or not posted[1].get("location", "").endswith(
                "/thanks"):
            self._unexpected(posted)
            return
        with self.tally.lock:
            self.tally.acknowledged.add(key)
        thanks = self.send("GET", f"{path}/thanks")
        if thanks is not None and thanks[0] == 200:
            with self.tally.lock:
                self.tally.thanks_pages += 1

    def _unexpected(self, got) -> None:
        if got is not None and got[0] < 500:
            with self.tally.lock:
                self.tally.refused.append((time.monotonic() - self.plan.start, got[0]))


def client_loop(plan: Plan, tally: Tally, index: int) -> None:
    """One simulated client: a new respondent (phone) after another until the deadline."""
    rng = random.Random(index)
    for n in range(plan.max_per_client):
        if time.monotonic() >= plan.deadline:
            return
        Respondent(plan, tally, f"{index}-{n}", rng).answer(rng.choice(plan.tokens))
