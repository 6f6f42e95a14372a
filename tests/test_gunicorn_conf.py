"""gunicorn.conf.py: caches are built before a worker's first request, not during it."""

from pathlib import Path
from types import SimpleNamespace

from gunicorn.app.wsgiapp import WSGIApplication
from gunicorn.config import Config

import instruments
from instruments import loader
from survey.ops import topics

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def gunicorn_config() -> Config:
    """gunicorn.conf.py read by gunicorn's own loader (no command line parsed)."""
    app = WSGIApplication.__new__(WSGIApplication)
    app.cfg = Config()
    app.load_config_from_file(str(CONF))
    return app.cfg


def test_master_builds_the_tokenizer_and_instruments_before_forking():
    topics._tokenizer.cache_clear()
    loader.clear_cache()
    gunicorn_config().on_starting(None)
    assert topics._tokenizer.cache_info().currsize == 1
    assert loader._load_default.cache_info().currsize == 1
    topics.tags.cache_clear()
    assert topics.tags("价格太贵了", "") == ("price",)
    assert "finance" in {inst.code for inst in instruments.load_all().values()}


def test_worker_compiles_every_template_before_its_first_request(app):
    env = app.jinja_env
    env.cache.clear()
    gunicorn_config().post_worker_init(SimpleNamespace(wsgi=app))
    names = env.list_templates(extensions=("html", "xml", "txt"))
    assert len(names) > 20 and "portal/dashboard.html" in names
    assert len(env.cache) == len(names)


def test_worker_with_a_failed_app_is_left_to_report_its_error():
    def fail_app(environ, start_response):  # gunicorn's stand-in when the app cannot load
        raise AssertionError

    gunicorn_config().post_worker_init(SimpleNamespace(wsgi=fail_app))
