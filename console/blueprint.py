"""The console blueprint object (kept apart so views and access checks can share it)."""

from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/console")
