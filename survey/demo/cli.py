"""`flask demo`: load the demo district, publish its closed wave, compute its open one and
create demo accounts, printing each step with its time, the logins and a survey URL."""

from __future__ import annotations

import datetime as dt

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from survey.db import session_scope
from survey.demo import showcase
from survey.demo.district import first_open_link, is_loaded, load
from survey.keys import link_key
from survey.ops.links import resign_unsigned, survey_url


@click.command("demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when the database holds data.")
def demo_command(if_empty: bool) -> None:
    """Load the synthetic demo district (sectors, enterprises, 2 waves, responses), publish
    the closed wave's bulletin, compute the open wave and create demo accounts (not in
    production). Prints the demo logins and a survey URL."""
    config = current_app.config
    session = session_scope(write=True)
    try:
        if is_loaded(session):
            if not if_empty:
                raise click.ClickException("the database already holds data; demo not loaded")
            # Links made before tokens were signed (or under another key) get new tokens.
            resigned = resign_unsigned(session, link_key(config))
            session.commit()
            if resigned:
                click.echo(f"{resigned} unsigned link(s) re-issued")
        else:
            _load_everything(session)
        if not showcase.is_production(config):
            accounts = showcase.saved_credentials(session, config["DATABASE_URL"])
            for line in showcase.credential_lines(accounts, config["PUBLIC_BASE_URL"]):
                click.echo(line)
        link = first_open_link(session)
        if link is not None:
            click.echo(f"demo survey: {survey_url(link.token)}")
    finally:
        session.close()


def _load_everything(session) -> None:
    config = current_app.config

    def load_district() -> str:
        counts = load(session, config["DEMO_SEED"], dt.datetime.now().date())
        session.commit()
        return "loaded " + ", ".join(f"{v} {k}" for k, v in counts.items())

    showcase.timed(click.echo, "demo", load_district)
    try:
        showcase.publish_and_compute(session, click.echo)
    except ValueError as error:
        raise click.ClickException(f"demo loaded, but {error}") from error
    if not showcase.is_production(config):
        accounts = showcase.create_accounts(session)
        session.commit()
        showcase.save_credentials(accounts, config["DATABASE_URL"])


def init_app(app: Flask) -> None:
    """Register the `demo` command."""
    app.cli.add_command(demo_command)
