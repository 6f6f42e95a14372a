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

from survey import clock
from survey.db import session_scope
from survey.keys import link_key
from survey.model import CollectionLink, Enterprise, Wave
from survey.ops.tokens import sign_token, verify_token


def create_link(
    session: Session, enterprise: Enterprise, wave: Wave, location: str = "", *,
    key: bytes | None = None,
) -> CollectionLink:
    """Add an active link for `enterprise` in `wave` at `location`; the caller commits.

    The link is flushed to learn its id, then given its signed token (`key` defaults to
    the current app's link key).
    """
    # A random placeholder, never valid as a signed token, until the id is known.
    link = CollectionLink(
        token=secrets.token_urlsafe(16), enterprise=enterprise, wave=wave,
        location=location.strip(), generation=1,
    )
    session.add(link)
    session.flush()
    link.token = sign_token(key or link_key(current_app.config), link.id, link.generation)
    return link


def rotate_link(link: CollectionLink, key: bytes | None = None) -> str:
    """Reprint `link`: next generation, new token; the old token is refused from now on.

    Returns the retired token; the caller commits (the link keeps its responses).
    """
    old = link.token
    link.generation += 1
    link.reprinted_at = clock.now()  # evidence for analysis.link_evidence
    link.token = sign_token(key or link_key(current_app.config), link.id, link.generation)
    return old


def resign_unsigned(session: Session, key: bytes) -> int:
    """Re-issue the tokens that do not verify under `key` (links made before signing, or
    after a key change) as a new generation; returns how many. The caller commits."""
    count = 0
    for link in session.scalars(select(CollectionLink).order_by(CollectionLink.id)):
        if verify_token(key, link.token) != (link.id, link.generation):
            rotate_link(link, key)
            count += 1
    return count


def survey_url(token: str, base_url: str | None = None) -> str:
    """The public URL printed on the QR code for `token`."""
    base = (base_url or current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    return f"{base}/s/{token}"


def display_url(token: str, base_url: str | None = None) -> str:
    """The secret URL of a counter display (``survey.ops.counter.display_token``)."""
    base = (base_url or current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    return f"{base}/d/{token}"


def qr_svg(url: str, *, scale: int = 6) -> bytes:
    """The QR code of `url` as an SVG document (error correction M, quiet zone 4)."""
    out = io.BytesIO()
    segno.make_qr(url, error="m").save(out, kind="svg", scale=scale, xmldecl=False)
    return out.getvalue()


def qr_data_uri(url: str, *, scale: int = 10) -> str:
    """The QR code of `url` as an SVG ``data:`` URI, for an ``<img>`` under our CSP."""
    return segno.make_qr(url, error="m").svg_data_uri(scale=scale)


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


@links_group.command("rotate")
@with_appcontext
@click.argument("link_ids", nargs=-1, type=int, required=True)
def rotate_command(link_ids: tuple[int, ...]) -> None:
    """Reprint links: give each a new token (next generation) and retire the old one."""
    session = session_scope(write=True)
    try:
        links = [session.get(CollectionLink, i) for i in link_ids]
        missing = [i for i, link in zip(link_ids, links, strict=True) if link is None]
        if missing:
            raise click.ClickException(f"no link {missing[0]}")
        for link in links:
            rotate_link(link)
        session.commit()
        for link in links:
            click.echo(f"{survey_url(link.token)}\tgeneration {link.generation}")
    finally:
        session.close()


@links_group.command("resign")
@with_appcontext
def resign_command() -> None:
    """Re-issue every token not signed with the current LINK_KEY (after upgrading to signed
    links, or after changing the key): the old URLs stop working, so reprint those QR codes."""
    session = session_scope(write=True)
    try:
        count = resign_unsigned(session, link_key(current_app.config))
        session.commit()
    finally:
        session.close()
    click.echo(f"{count} link(s) re-issued")


def _write_qr(directory: str, token: str, url: str) -> None:
    path = pathlib.Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    (path / f"{token}.svg").write_bytes(qr_svg(url))
    (path / f"{token}.png").write_bytes(qr_png(url))


def init_app(app: Flask) -> None:
    """Register the `links` CLI group."""
    app.cli.add_command(links_group)
