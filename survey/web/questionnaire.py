"""The questionnaire's body as HTML, shared by the respondent's page and the console preview."""

from __future__ import annotations

from flask import current_app, render_template
from markupsafe import Markup


def questions_html(instrument, locale: str, answers=None, errors=None) -> Markup:
    """The questionnaire's sections; the blank version is rendered once per language."""
    if answers is None and errors is None:
        cache = current_app.extensions.setdefault("manyi_blank_questions", {})
        key = (instrument.key, locale)
        if key not in cache:
            cache[key] = Markup(_render_questions(instrument, locale, {}, {}))
        return cache[key]
    return Markup(_render_questions(instrument, locale, answers or {}, errors or {}))


def _render_questions(instrument, locale, answers, errors) -> str:
    return render_template(
        "survey/_questions.html",
        instrument=instrument,
        locale=locale,
        answers=answers,
        errors=errors,
    )
