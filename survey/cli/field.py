"""`flask field plan` draws a wave's field sample; `flask field interviewer` adds an account."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from survey.db import session_scope
from survey.model import Enterprise, User, Wave
from survey.ops import field
from survey.ops.accounts import find_user, hash_password
from survey.ops.passwords import password_problem


@click.group("field")
def field_group() -> None:
    """The bureau's field sample: plans and interviewers."""


@field_group.command("plan")
@with_appcontext
@click.option("--wave", "wave_code", required=True, help="Wave code, e.g. 2026Q4.")
@click.option("--n", "n", type=int, default=2, show_default=True,
              help="Enterprises drawn per sector.")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed.")
@click.option("--slots", type=int, default=3, show_default=True,
              help="One-hour slots per enterprise.")
@click.option("--intercepts", type=int, default=6, show_default=True,
              help="Target interviews per slot.")
def plan_command(wave_code: str, n: int, seed: int, slots: int, intercepts: int) -> None:
    """Draw and store a wave's field plan (enterprises PPS on customer volume within
    sectors, then slots within opening hours; reproducible for a seed) and print it."""
    session = session_scope(write=True)
    try:
        wave = session.scalar(select(Wave).where(Wave.code == wave_code))
        if wave is None:
            raise click.ClickException(f"no wave {wave_code!r}")
        try:
            rows = field.draw(session, wave, n=n, seed=seed, slots=slots, intercepts=intercepts)
        except ValueError as exc:
            session.rollback()
            raise click.ClickException(str(exc)) from exc
        session.commit()
        names = dict(session.execute(select(Enterprise.id, Enterprise.name).where(
            Enterprise.id.in_({a.enterprise_id for a in rows}))).all())
        lines = field.plan_lines(rows, names)
    finally:
        session.close()
    click.echo(f"wave {wave_code}: {len(rows)} slots at {len(names)} enterprises, seed {seed}")
    for line in lines:
        click.echo(line)


@field_group.command("interviewer")
@with_appcontext
@click.option("--email", required=True)
@click.option("--name", default="")
@click.password_option()
def interviewer_command(email: str, name: str, password: str) -> None:
    """Create a bureau interviewer's account (field interviews on a tablet)."""
    problem = password_problem(password, email)
    if problem:
        raise click.ClickException(problem)
    session = session_scope(write=True)
    try:
        if find_user(session, email) is not None:
            raise click.ClickException(f"an account for {email} exists already")
        session.add(User(email=email.strip(), name=name, role="interviewer",
                         password_hash=hash_password(password)))
        session.commit()
    finally:
        session.close()
    click.echo(f"interviewer {email} created")


def init_app(app: Flask) -> None:
    """Register the `field` CLI group."""
    app.cli.add_command(field_group)
