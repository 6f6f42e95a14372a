"""What a served process loads before its first request, so that no visitor pays for it.

gunicorn.conf.py calls :func:`warm_shared` in the master (the workers fork with it loaded and
share its pages) and :func:`warm_app` in each worker once the app is built.
"""

from __future__ import annotations

from flask import Flask

import instruments
from survey.ops import topics

TEMPLATE_SUFFIXES = ("html", "xml", "txt")


def warm_shared() -> None:
    """Build the process-wide caches that need no app: the comment tokenizer (jieba's
    dictionary, ~1 s) and the instruments parsed from their TOML files (~0.1 s)."""
    topics.warm()
    instruments.load_all()


def warm_app(app: Flask) -> int:
    """Compile every template of `app` into its Jinja cache; returns how many."""
    env = app.jinja_env
    names = env.list_templates(extensions=TEMPLATE_SUFFIXES)
    for name in names:
        env.get_template(name)
    return len(names)
