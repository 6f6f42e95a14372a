"""The benchmark's WSGI app: the real application plus two bare baseline routes.

Served by gunicorn from bench/submit.py as ``bench.wsgi:create_bench_app()``. The routes exist
only here, never in the real app:

- ``GET /bench/bare``: a short text, the floor of a Flask request under gunicorn;
- ``POST /bench/insert``: one row into ``bench_row`` through the app's own writer engine
  (BEGIN IMMEDIATE on SQLite), committed: the floor of a request that stores data.
"""

from __future__ import annotations

from flask import Flask, request
from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from app import create_app
from survey.db import get_writer

metadata = MetaData()
bench_row = Table(
    "bench_row",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("note", String(32), nullable=False),
)
TEXT = {"Content-Type": "text/plain; charset=utf-8"}


def bare():
    """Answer with a short text and touch nothing else."""
    return "ok\n", 200, TEXT


def insert_row():
    """Insert one row in a transaction of the application's writer engine."""
    with get_writer().begin() as conn:
        conn.execute(insert(bench_row).values(note=request.form.get("note", "")[:32]))
    return "stored\n", 200, TEXT


def create_bench_app() -> Flask:
    """The real application with the two bench routes added."""
    app = create_app()
    app.add_url_rule("/bench/bare", "bench_bare", bare, methods=["GET"])
    app.add_url_rule("/bench/insert", "bench_insert", insert_row, methods=["POST"])
    # A bare baseline has no form to protect: keep the app's global CSRF check off it.
    app.extensions["csrf"].exempt(insert_row)
    return app
