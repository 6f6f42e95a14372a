"""`flask invite-enterprise-user`: an activation link for a unit's or an organisation's user."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from survey.clock import now
from survey.db import session_scope
from survey.model import Enterprise, Organisation
from survey.ops import audit, invitations


def find_enterprise(session, key: str) -> Enterprise | None:
    """An enterprise by id or by its unified social credit code."""
    if key.isdigit():
        found = session.get(Enterprise, int(key))
        if found is not None:
            return found
    return session.scalar(select(Enterprise).where(Enterprise.uscc == key.strip().upper()))


def find_organisation(session, key: str) -> Organisation | None:
    """An organisation (developer, builder, manufacturer) by id or by its credit code."""
    if key.isdigit():
        found = session.get(Organisation, int(key))
        if found is not None:
            return found
    return session.scalar(select(Organisation).where(Organisation.uscc == key.strip().upper()))


def _invitee(session, key: str | None, org_key: str | None) -> Enterprise | Organisation:
    if bool(key) == bool(org_key):
        raise click.UsageError("give exactly one of --enterprise and --organisation")
    found = find_enterprise(session, key) if key else find_organisation(session, org_key)
    if found is None:
        raise click.ClickException(f"no {'enterprise' if key else 'organisation'} "
                                   f"{key or org_key}")
    return found


@click.command("invite-enterprise-user")
@click.option("--enterprise", "key", help="Enterprise (unit) id or credit code.")
@click.option("--organisation", "org_key",
              help="Organisation id or credit code: its user sees every unit it owns or builds.")
@click.option("--email", required=True)
@click.option("--name", default="")
@with_appcontext
def invite_command(key: str | None, org_key: str | None, email: str, name: str) -> None:
    """Invite a portal user: prints a one-time activation link (INVITATION_TTL_HOURS)."""
    session = session_scope(write=True)
    try:
        invitee = _invitee(session, key, org_key)
        try:
            row, token = invitations.invite(session, invitee, email, name, None, now(),
                                            current_app.config["INVITATION_TTL_HOURS"])
        except ValueError as error:
            raise click.ClickException(f"{email}: {error}") from error
        session.flush()
        entity = "organisation" if isinstance(invitee, Organisation) else "enterprise"
        audit.record(session, None, "invite", entity, invitee.id, None,
                     {"email": row.email, "invitation": row.id, "via": "cli"})
        session.commit()
        url = invitations.activation_url(current_app.config["PUBLIC_BASE_URL"], token)
        click.echo(f"invitation for {row.email} ({invitee.name}), valid until "
                   f"{row.expires_at:%Y-%m-%d %H:%M} UTC:\n{url}")
    finally:
        session.close()
