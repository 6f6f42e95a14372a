"""`flask invite-enterprise-user`: an activation link for an enterprise user, printed."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from survey.clock import now
from survey.db import session_scope
from survey.model import Enterprise
from survey.ops import audit, invitations


def find_enterprise(session, key: str) -> Enterprise | None:
    """An enterprise by id or by its unified social credit code."""
    if key.isdigit():
        found = session.get(Enterprise, int(key))
        if found is not None:
            return found
    return session.scalar(select(Enterprise).where(Enterprise.uscc == key.strip().upper()))


@click.command("invite-enterprise-user")
@click.option("--enterprise", "key", required=True, help="Enterprise id or credit code.")
@click.option("--email", required=True)
@click.option("--name", default="")
@with_appcontext
def invite_command(key: str, email: str, name: str) -> None:
    """Invite an enterprise user: prints a one-time activation link (INVITATION_TTL_HOURS)."""
    session = session_scope(write=True)
    try:
        enterprise = find_enterprise(session, key)
        if enterprise is None:
            raise click.ClickException(f"no enterprise {key}")
        try:
            row, token = invitations.invite(session, enterprise, email, name, None, now(),
                                            current_app.config["INVITATION_TTL_HOURS"])
        except ValueError as error:
            raise click.ClickException(f"{email}: {error}") from error
        session.flush()
        audit.record(session, None, "invite", "enterprise", enterprise.id, None,
                     {"email": row.email, "invitation": row.id, "via": "cli"})
        session.commit()
        url = invitations.activation_url(current_app.config["PUBLIC_BASE_URL"], token)
        click.echo(f"invitation for {row.email} ({enterprise.name}), valid until "
                   f"{row.expires_at:%Y-%m-%d %H:%M} UTC:\n{url}")
    finally:
        session.close()
