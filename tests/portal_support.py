"""Fixtures for the portal tests: two enterprises with responses, and their users."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass

import pytest

import instruments
from survey.model import Answer, CollectionLink, Response, User, Wave
from survey.ops.accounts import hash_password

PASSWORD = "correct horse 42"
_keys = itertools.count(1)


def csrf(client, path: str) -> str:
    """The CSRF token of a page's form."""
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def portal_login(client, email: str, password: str = PASSWORD):
    """Log in through the portal's login page."""
    token = csrf(client, "/portal/login")
    return client.post("/portal/login", data={"email": email, "password": password,
                                              "csrf_token": token})


@pytest.fixture
def make_response(db_session):
    """Factory: a stored response with answers (all rating items = `value`) and a comment."""

    def make(link: CollectionLink, *, value: int = 8, comment: str = "", complaint: bool = False,
             submitted_at: dt.datetime | None = None, quarantined: bool = False) -> Response:
        inst = instruments.get(link.enterprise.sector.instrument_code)
        at = submitted_at or dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        row = Response(link_id=link.id, enterprise_id=link.enterprise_id, wave_id=link.wave_id,
                       instrument_code=inst.code, instrument_version=inst.version,
                       submitted_at=at, started_at=at - dt.timedelta(minutes=2),
                       comment=comment, wants_complaint=complaint,
                       idempotency_key=f"portal-test-{next(_keys)}", ip_hash="ip-secret-hash",
                       device_hash="device-secret-hash", quarantined=quarantined, flags=[])
        row.answers = [Answer(item_code=i.code, value=value if i.scale.kind == "rating" else 0)
                       for i in inst.items]
        db_session.add(row)
        db_session.commit()
        return row

    return make


@pytest.fixture
def make_enterprise_user(db_session):
    """Factory: an enterprise user of the link's enterprise."""

    def make(link: CollectionLink, email: str | None = None) -> User:
        user = User(email=email or f"user{link.enterprise_id}@ent.test", name="企业用户",
                    role="enterprise", enterprise_id=link.enterprise_id,
                    password_hash=hash_password(PASSWORD))
        db_session.add(user)
        db_session.commit()
        return user

    return make


@dataclass
class Tenant:
    """One enterprise of the tenancy tests: its link, responses and user."""

    link: CollectionLink
    responses: list[Response]
    user: User


@pytest.fixture
def two_tenants(make_link, make_response, make_enterprise_user, db_session):
    """Two catering enterprises in one wave, each with 6 commented responses (one complaint)."""
    wave = db_session.query(Wave).filter_by(code="2026Q4").one_or_none()
    out = []
    for name in ("ours", "theirs"):
        link = make_link("catering", wave=wave, location=f"{name}-门店")
        wave = link.wave
        responses = [make_response(link, value=3 + k, comment=f"{name} 评论{k} 服务员态度好",
                                   complaint=(k == 0)) for k in range(6)]
        out.append(Tenant(link, responses, make_enterprise_user(link)))
    return out


def fresh(session) -> None:
    """End the session's read snapshot and forget loaded rows, to see the app's commits.

    (Not rollback: it would expire the rows and reload them at once in an old snapshot.)
    """
    session.commit()
    session.expire_all()


@pytest.fixture(scope="session")
def demo_portal(demo_app):
    """The demo district with both waves computed and a user of a well-sampled enterprise.

    The enterprise is the first (by id) whose 2026Q3 index is published and which has at
    least one commented complaint in 2026Q3; returns {"email", "enterprise_id", "waves"}.
    """
    from sqlalchemy import func, select

    from survey import db as survey_db
    from survey.model import Wave as WaveRow
    from survey.ops.compute import compute, latest_result, parsed, store_result

    session = survey_db.session_scope(demo_app, write=True)
    try:
        waves = session.scalars(select(WaveRow).order_by(WaveRow.opens_on)).all()
        for wave in waves:
            if latest_result(session, wave) is None:
                store_result(session, wave, compute(session, wave))
        session.commit()
        q3 = next(w for w in waves if w.code == "2026Q3")
        table = parsed(latest_result(session, q3).result_json).tables["enterprises"]
        published = {int(u) for u in table.loc[table["published"].astype(bool), "unit"]}
        complained = session.scalars(
            select(Response.enterprise_id).where(
                Response.wave_id == q3.id, Response.wants_complaint.is_(True),
                Response.comment != "", Response.quarantined.is_(False))
            .group_by(Response.enterprise_id).having(func.count() >= 1)
            .order_by(Response.enterprise_id)).all()
        enterprise_id = next(e for e in complained if e in published)
        email = f"portal{enterprise_id}@demo.test"
        if session.scalar(select(User).where(User.email == email)) is None:
            session.add(User(email=email, name="门店经理", role="enterprise",
                             enterprise_id=enterprise_id, password_hash=hash_password(PASSWORD)))
            session.commit()
        return {"email": email, "enterprise_id": enterprise_id,
                "waves": {w.code: w.id for w in waves}}
    finally:
        session.close()
