"""Locale selection: Simplified Chinese by default, English on request (?lang=en)."""

from __future__ import annotations

from functools import cache

from babel import Locale
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import Babel

LANG_COOKIE = "lang"
ONE_YEAR = 365 * 24 * 3600


def select_locale() -> str:
    """The `lang` query argument, else the `lang` cookie, else the default locale."""
    config = current_app.config
    if not has_request_context():  # CLI commands speak the default language
        return config["DEFAULT_LOCALE"]
    supported = config["LOCALES"]
    # Most requests carry neither: skip parsing the query string and cookies then.
    environ = request.environ
    if "lang=" in environ.get("QUERY_STRING", ""):
        if request.args.get("lang") in supported:
            return request.args["lang"]
    if "lang=" in environ.get("HTTP_COOKIE", ""):
        if request.cookies.get(LANG_COOKIE) in supported:
            return request.cookies[LANG_COOKIE]
    return config["DEFAULT_LOCALE"]


def current_locale() -> str:
    """The locale of this request, as a string such as 'zh_CN'."""
    if "locale" not in g:
        g.locale = select_locale()
    return g.locale


@cache
def _babel_locale(code: str) -> Locale:
    # Parsing a locale string scans Babel's whole locale list: do it once per code.
    return Locale.parse(code)


def babel_locale() -> Locale:
    """The request's locale as a Babel Locale, for Flask-Babel."""
    return _babel_locale(current_locale())


def remember_choice(response):
    """Keep an explicit ?lang= choice in a cookie so later pages follow it."""
    lang = request.args.get("lang") if b"lang=" in request.query_string else None
    if lang in current_app.config["LOCALES"] and request.cookies.get(LANG_COOKIE) != lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=ONE_YEAR, samesite="Lax", httponly=True,
                            secure=current_app.session_interface.get_cookie_secure(current_app))
    return response


def init_app(app: Flask) -> None:
    """Attach Flask-Babel with our selector and the cookie hook."""
    translations = f"{app.root_path}/translations"
    Babel(app, locale_selector=babel_locale, default_translation_directories=translations)
    app.after_request(remember_choice)
    app.jinja_env.globals["current_locale"] = current_locale
