"""Manyi (满意): customer-satisfaction index platform for a district quality bureau.

`create_app()` builds the Flask application; nothing runs at import time.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

DEFAULTS = {
    # Signs sessions, CSRF tokens and the keyed hashes. The public default is refused
    # outside debug and testing; `make run` generates random keys (KEYS_FILE).
    "SECRET_KEY": "dev-only-change-me",
    # A JSON file of SECRET_KEY, LINK_KEY and HASH_KEY filling those left empty
    # (`python -m survey.keys FILE` makes one, mode 0600).
    "KEYS_FILE": "",
    # Number of reverse proxies in front of the app whose X-Forwarded-For/-Proto to trust
    # (0 = none: forwarded headers are ignored).
    "PROXY_FIX": 0,
    # Empty means SQLite at instance/manyi.sqlite3.
    "DATABASE_URL": "",
    "SQLITE_BUSY_TIMEOUT_MS": 5000,
    "DB_POOL_SIZE": 5,
    # Keyed hashes of IPs and devices; empty means derived from SECRET_KEY.
    "HASH_KEY": "",
    # Signs the collection-link tokens printed on QR codes; empty means derived from
    # SECRET_KEY. Set it on its own in production so rotating SECRET_KEY keeps posters valid.
    "LINK_KEY": "",
    "RECEIPT_KEY": "",
    # Overrides of the data-quality thresholds (analysis.quality.QualityRules), e.g.
    # {"burst_count": 8, "reading_cps": 15}.
    "QUALITY": {},
    # The district's clock: decides which day a wave opens and closes.
    "TIMEZONE": "Asia/Shanghai",
    "DEFAULT_LOCALE": "zh_CN",
    "LOCALES": ["zh_CN", "en"],
    # Base of the URLs printed on QR codes and by the CLI.
    "PUBLIC_BASE_URL": "http://127.0.0.1:8000",
    "MAX_CONTENT_LENGTH": 256 * 1024,
    # Seconds a survey link's look-up is kept per process: a change committed elsewhere
    # (another worker, the CLI) reaches the survey within this time (0 = never kept).
    "LINK_CACHE_SECONDS": 2.0,
    # Counter displays: their QR code's stamp changes every this many minutes; an answer
    # with a stamp older than the grace counts as copied-link evidence.
    "COUNTER_STAMP_MINUTES": 5,
    "COUNTER_STAMP_GRACE_MINUTES": 30,
    "COMMENT_MAX_LENGTH": 1000,
    # Enterprise bulk import: rows per file, upload size (admins only), staging folder
    # between preview and confirmation (empty = instance/imports).
    "IMPORT_MAX_ROWS": 5000,
    "IMPORT_MAX_BYTES": 4 * 1024 * 1024,
    "IMPORT_UPLOAD_DIR": "",
    # A respondent may read slowly: the CSRF token lives as long as the session.
    "WTF_CSRF_TIME_LIMIT": None,
    # Our form messages are translated by Flask-Babel; WTForms' own catalog is not needed
    # (loading it costs a catalog parse per request).
    "WTF_I18N_ENABLED": False,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    # The site is served only over HTTPS (behind a TLS proxy): HSTS on every response and
    # Secure cookies even when the proxy forwards plain HTTP.
    "HTTPS_ONLY": False,
    # Days after which personal data in comments is erased by `flask retention apply`.
    "COMMENT_RETENTION_DAYS": 730,
    # Console logins last a working day.
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,
    "DEMO_SEED": 20261126,
    # "production" (FLASK_ENV=production) keeps demo accounts from being created or printed.
    "ENV": "development",
    # Where `flask demo` keeps the demo accounts' passwords (empty = instance/).
    "DEMO_CREDENTIALS_FILE": "",
    # Printed on bulletins and the public pages.
    "DISTRICT_NAME": "金普新区",
    "BULLETIN_TITLE": "服务业顾客满意度指数公报",
    # The same in the bulletin's English edition.
    "DISTRICT_NAME_EN": "Jinpu New Area",
    "BULLETIN_TITLE_EN": "Customer Satisfaction Index Bulletin: Service Industries",
    # Enterprise portal: invitation links expire; comments appear only from k responses
    # per enterprise and wave; complaint deadlines (working days: China's holiday calendar).
    "INVITATION_TTL_HOURS": 72,
    "COMMENT_MIN_RESPONSES": 5,
    "COMPLAINT_REPLY_WORKING_DAYS": 1,
    "COMPLAINT_RESOLVE_DAYS": 15,
    # Empty = the real clock; an ISO timestamp fixes "now" for the portal (tests, demos).
    "CLOCK_NOW": "",
    # Background jobs start in their own process as soon as they are queued (tests may run
    # them in-process instead).
    "JOBS_AUTOSTART": True,
}


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the application."""
    root = Path(__file__).resolve().parent
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(root / "templates"),
        static_folder=str(root / "static"),
    )
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env()
    if test_config:
        app.config.from_mapping(test_config)
    _check_keys(app)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'manyi.sqlite3'}"

    import bulletins
    import console
    import instruments.cli
    import portal
    from survey import db
    from survey.cli import dwellings as dwellings_cli
    from survey.cli import field as field_cli
    from survey.cli import quality
    from survey.cli import receipts as receipts_cli
    from survey.demo import cli as demo_cli
    from survey.ops import backup, links, retention
    from survey.respondent import views
    from survey.web import errors, headers, i18n, login, params, ratelimits, signing

    params.init_app(app)  # bounded <int:> before any route exists
    headers.init_app(app)
    ratelimits.init_app(app)
    signing.init_app(app)
    db.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    login.init_app(app)
    views.init_app(app)
    # Every POST is CSRF-checked; the survey checks its own token in the view so that a
    # respondent whose page expired keeps their answers.
    csrf = CSRFProtect(app)
    csrf.exempt(views.bp)
    links.init_app(app)
    quality.init_app(app)
    receipts_cli.init_app(app)
    dwellings_cli.init_app(app)
    field_cli.init_app(app)
    demo_cli.init_app(app)
    instruments.cli.init_app(app)
    console.init_app(app)
    bulletins.init_app(app)
    portal.init_app(app)
    retention.init_app(app)
    backup.init_app(app)
    if int(app.config["PROXY_FIX"]) > 0:
        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    return app


def _check_keys(app: Flask) -> None:
    """Take keys from KEYS_FILE; refuse the public default SECRET_KEY outside debug/testing."""
    from survey import keys

    keys.apply_keys_file(app.config)
    fatal, notes = keys.key_problems(app.config, debug=app.debug)
    if fatal:
        raise RuntimeError(fatal)
    if not (app.debug or app.testing):
        for note in notes:
            app.logger.warning(note)
