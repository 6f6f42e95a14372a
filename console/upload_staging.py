"""An uploaded import file kept between its preview and its confirmation (or 24 h)."""

from __future__ import annotations

import contextlib
import json
import secrets
import time
from pathlib import Path

from flask import current_app
from flask_login import current_user

from console.enterprise_forms import UPLOAD_ID

# Settings read with these defaults when the app does not set them.
IMPORT_MAX_ROWS = 5000
IMPORT_MAX_BYTES = 4 * 1024 * 1024
UPLOAD_MAX_AGE_S = 24 * 3600


def max_rows() -> int:
    return current_app.config.get("IMPORT_MAX_ROWS", IMPORT_MAX_ROWS)


def max_bytes() -> int:
    return current_app.config.get("IMPORT_MAX_BYTES", IMPORT_MAX_BYTES)


# ---- uploads kept between preview and confirmation -------------------------------------------


def _upload_dir() -> Path:
    default = Path(current_app.instance_path) / "imports"
    path = Path(current_app.config.get("IMPORT_UPLOAD_DIR") or default)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def store_upload(data: bytes, filename: str) -> str:
    """Keep the uploaded bytes under a random id, owned by the current user."""
    folder = _upload_dir()
    _sweep(folder)
    upload_id = secrets.token_urlsafe(24)
    (folder / f"{upload_id}.json").write_text(
        json.dumps({"filename": filename, "user_id": current_user.id}), encoding="utf-8")
    (folder / f"{upload_id}.bin").write_bytes(data)
    return upload_id


def load_upload(upload_id: str) -> tuple[str, bytes] | None:
    """(file name, bytes) of the current user's stored upload, or None."""
    if not UPLOAD_ID.fullmatch(upload_id or ""):
        return None
    folder = _upload_dir()
    try:
        meta = json.loads((folder / f"{upload_id}.json").read_text(encoding="utf-8"))
        data = (folder / f"{upload_id}.bin").read_bytes()
    except (OSError, ValueError):
        return None
    return (meta["filename"], data) if meta.get("user_id") == current_user.id else None


def discard_upload(upload_id: str) -> None:
    for suffix in (".json", ".bin"):
        (_upload_dir() / f"{upload_id}{suffix}").unlink(missing_ok=True)


def _sweep(folder: Path) -> None:
    # Previews that were never confirmed or cancelled are dropped after a day.
    cutoff = time.time() - UPLOAD_MAX_AGE_S
    for path in folder.iterdir():
        with contextlib.suppress(FileNotFoundError):  # another worker may sweep at once
            if path.stat().st_mtime < cutoff:
                path.unlink()
