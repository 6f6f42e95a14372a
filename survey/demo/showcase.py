"""What makes the demo show the whole product: a published bulletin, a computed open wave,
and demo accounts for the console and the portal.

The accounts get random passwords, kept beside the database in ``instance/`` (readable by
its owner only) so that later `make run`s can print them again; they are never created,
nor printed, when the settings say production.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.model import Enterprise, User, Wave
from survey.ops import publish
from survey.ops.accounts import hash_password
from survey.ops.compute import compute_and_store

Say = Callable[[str], None]
CREDENTIALS_FILE = "demo-credentials.json"
ACCOUNTS = (("admin", "admin@demo.manyi.test", "演示管理员"),
            ("analyst", "analyst@demo.manyi.test", "演示分析员"),
            ("enterprise", "shop@demo.manyi.test", "演示企业用户"))
# Portal logins of a developer (its first housing project) and a manufacturer (its first
# product line): label, e-mail, name, unit kind.
UNIT_ACCOUNTS = (("developer", "developer@demo.manyi.test", "演示开发商用户", "housing_project"),
                 ("manufacturer", "maker@demo.manyi.test", "演示生产企业用户", "product_line"))


def is_production(config) -> bool:
    """True when the settings say production (``FLASK_ENV=production``, setting ``ENV``)."""
    return str(config.get("ENV", "")).strip().lower() == "production"


def timed(say: Say, label: str, work: Callable[[], str]):
    """Run ``work`` and print ``label: <its summary> (N.N s)``."""
    started = time.perf_counter()
    summary = work()
    say(f"{label}: {summary} ({time.perf_counter() - started:.1f} s)")


def publish_and_compute(session: Session, say: Say) -> None:
    """Publish each closed wave's bulletin (both editions) and compute each open wave.

    Each step commits, so what is done stands if a later step fails.
    """
    waves = session.scalars(select(Wave).order_by(Wave.opens_on)).all()
    for wave in waves:
        if wave.status == "closed" and publish.latest_bulletin(session, wave) is None:
            def work(wave=wave):
                bulletin = publish.publish(session, wave, None)
                session.commit()
                return f"published {wave.code} revision {bulletin.revision} (page, PDF, English)"
            timed(say, "publish", work)
    for wave in waves:
        if wave.status == "open":
            def work(wave=wave):
                compute_and_store(session, wave)
                session.commit()
                return f"computed {wave.code}"
            timed(say, "compute", work)


def credentials_path() -> Path:
    """Where the demo accounts' passwords are kept (setting, else the instance folder)."""
    configured = current_app.config.get("DEMO_CREDENTIALS_FILE")
    return Path(configured) if configured else Path(current_app.instance_path) / CREDENTIALS_FILE


def create_accounts(session: Session) -> list[dict]:
    """Add the demo admin, analyst, one enterprise user and a developer's and a
    manufacturer's portal users with random passwords; the caller commits. Returns their
    role (and label), e-mail and password (and the enterprise or organisation).

    The developer's and the manufacturer's logins belong to the organisation that owns the
    first housing project and the first product line, so they see all of its units."""
    enterprise = session.scalars(select(Enterprise).where(Enterprise.kind == "enterprise")
                                 .order_by(Enterprise.id).limit(1)).first()
    wanted = [(role, role, email, name, enterprise if role == "enterprise" else None, None)
              for role, email, name in ACCOUNTS]
    for label, email, name, kind in UNIT_ACCOUNTS:
        unit = session.scalars(select(Enterprise).where(Enterprise.kind == kind,
                                                        Enterprise.owner_id.is_not(None))
                               .order_by(Enterprise.id).limit(1)).first()
        if unit is not None:
            wanted.append(("enterprise", label, email, name, None, unit.owner))
    created = []
    for role, label, email, name, unit, organisation in wanted:
        if role == "enterprise" and unit is None and organisation is None:
            continue
        password = secrets.token_urlsafe(12)
        session.add(User(email=email, name=name, role=role, password_hash=hash_password(password),
                         enterprise_id=unit.id if unit else None,
                         organisation_id=organisation.id if organisation else None))
        holder = unit or organisation
        created.append({"role": role, "label": label, "email": email, "password": password,
                        "enterprise": holder.name if holder else ""})
    return created


def save_credentials(accounts: list[dict], database_url: str) -> None:
    """Keep the demo passwords for this database, readable by the owner only."""
    path = credentials_path()
    body = json.dumps({"database_url": database_url, "accounts": accounts}, ensure_ascii=False)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(body)


def saved_credentials(session: Session, database_url: str) -> list[dict]:
    """The demo accounts kept for this database that still exist, or none."""
    path = credentials_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if data.get("database_url") != database_url:
        return []
    emails = set(session.scalars(select(User.email).where(User.active.is_(True))))
    return [a for a in data.get("accounts", []) if a.get("email") in emails]


def credential_lines(accounts: list[dict], base_url: str) -> list[str]:
    """How `flask demo` prints the demo logins."""
    base = base_url.rstrip("/")
    lines = []
    for a in accounts:
        where = f"{base}/portal/login" if a["role"] == "enterprise" else f"{base}/console/login"
        extra = f" ({a['enterprise']})" if a.get("enterprise") else ""
        label = a.get("label") or a["role"]
        lines.append(f"demo {label}: {a['email']} / {a['password']}  → {where}{extra}")
    return lines
