"""gunicorn settings shared by `make run`, the README's deployment command and the benches.

Only what every served instance needs lives here; addresses, worker counts and logging are
given on the command line.
"""


def on_starting(server):
    """In the master, before the workers fork: the caches every worker would otherwise build
    on its first request (the comment tokenizer, ~1 s; the instruments). A replaced worker
    starts with them too; the pages are shared copy-on-write."""
    from survey.web.warm import warm_shared

    warm_shared()


def post_worker_init(worker):
    """In each worker once the app is loaded, before it accepts requests: its templates."""
    from survey.web.warm import warm_app

    if hasattr(worker.wsgi, "jinja_env"):  # not gunicorn's error app when loading failed
        warm_app(worker.wsgi)
