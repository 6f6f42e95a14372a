"""Collection links (what a QR code encodes), their QR images and the `flask links` CLI."""

from __future__ import annotations

import io
import pathlib
import secrets

import click
import segno
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.db import session_scope
from survey.models import CollectionLink, Enterprise, Wave

TOKEN_BYTES = 16


def new_token() -> str:
    """An unguessable URL-safe token (128 random bits)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def create_link(
    session: Session, enterprise: Enterprise, wave: Wave, location: str = ""
) -> CollectionLink:
    """Add an active link for `enterprise` in `wave` at `location`; the caller commits."""
    link = CollectionLink(
        token=new_token(), enterprise=enterprise, wave=wave, location=location.strip()
    )
    session.add(link)
    return link


def survey_url(token: str, base_url: str | None = None) -> str:
    """The public URL printed on the QR code for `token`."""
    base = (base_url or current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    return f"{base}/s/{token}"


def qr_svg(url: str, *, scale: int = 6) -> bytes:
    """The QR code of `url` as an SVG document (error correction M, quiet zone 4)."""
    out = io.BytesIO()
    segno.make_qr(url, error="m").save(out, kind="svg", scale=scale, xmldecl=False)
    return out.getvalue()


def qr_png(url: str, *, scale: int = 8) -> bytes:
    """The QR code of `url` as a PNG image."""
    out = io.BytesIO()
    segno.make_qr(url, error="m").save(out, kind="png", scale=scale)
    return out.getvalue()


def find_enterprise(session: Session, ref: str) -> Enterprise | None:
    """Look an enterprise up by id or by its unified social credit code."""
    if ref.isdigit():
        return session.get(Enterprise, int(ref))
    return session.scalar(select(Enterprise).where(Enterprise.uscc == ref.strip().upper()))


@click.group("links")
def links_group() -> None:
    """Manage collection links and QR codes."""


@links_group.command("create")
@with_appcontext
@click.option("--enterprise", "enterprise_ref", required=True, help="Id or 统一社会信用代码.")
@click.option("--wave", "wave_code", required=True, help="Wave code, e.g. 2026Q4.")
@click.option("--location", "locations", multiple=True, help="Branch or location; repeatable.")
@click.option("--qr-dir", type=click.Path(file_okay=False), help="Also write SVG and PNG QR codes.")
def create_command(enterprise_ref: str, wave_code: str, locations: tuple[str, ...], qr_dir):
    """Create links for an enterprise in a wave and print their survey URLs."""
    session = session_scope(write=True)
    try:
        enterprise = find_enterprise(session, enterprise_ref)
        if enterprise is None:
            raise click.ClickException(f"no enterprise {enterprise_ref!r}")
        wave = session.scalar(select(Wave).where(Wave.code == wave_code))
        if wave is None:
            raise click.ClickException(f"no wave {wave_code!r}")
        links = [create_link(session, enterprise, wave, loc) for loc in (locations or ("",))]
        session.commit()
        for link in links:
            url = survey_url(link.token)
            click.echo(f"{url}\t{enterprise.name}\t{link.location}")
            if qr_dir:
                _write_qr(qr_dir, link.token, url)
    finally:
        session.close()


@links_group.command("list")
@with_appcontext
@click.option("--wave", "wave_code", required=True)
def list_command(wave_code: str) -> None:
    """Print the active links of a wave with their URLs."""
    session = session_scope()
    try:
        rows = session.execute(
            select(CollectionLink, Enterprise.name)
            .join(Enterprise)
            .join(Wave)
            .where(Wave.code == wave_code, CollectionLink.active.is_(True))
            .order_by(CollectionLink.id)
        )
        for link, name in rows:
            click.echo(f"{survey_url(link.token)}\t{name}\t{link.location}")
    finally:
        session.close()


def _write_qr(directory: str, token: str, url: str) -> None:
    path = pathlib.Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    (path / f"{token}.svg").write_bytes(qr_svg(url))
    (path / f"{token}.png").write_bytes(qr_png(url))


def init_app(app: Flask) -> None:
    """Register the `links` CLI group."""
    app.cli.add_command(links_group)
