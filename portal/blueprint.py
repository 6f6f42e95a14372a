"""The portal blueprint object (kept apart so views and access checks can share it)."""

from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/portal")
