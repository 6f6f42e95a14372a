# Manyi: `make run` serves the demo district; `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1
WORKERS ?= 2
export FLASK_APP := app
export MPLCONFIGDIR := $(CURDIR)/instance/mplconfig
export FLASK_PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test setup system venv translations lint bench soak audit clean

setup: system venv translations

system:
	@bash scripts/install-system.sh

$(VENV)/.installed: requirements.txt requirements-test.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-test.txt
	touch $@

venv: $(VENV)/.installed

translations: venv
	$(VENV)/bin/pybabel compile -d translations

# Random SECRET_KEY, LINK_KEY and HASH_KEY made on first start (mode 0600) fill those not
# set in the environment. The access log holds no addresses, User-Agents or survey tokens.
run: export FLASK_KEYS_FILE := $(CURDIR)/instance/keys.json
run: setup
	$(PY) -m survey.keys "$(FLASK_KEYS_FILE)"
	$(VENV)/bin/flask db-upgrade
	$(VENV)/bin/flask demo --if-empty
	@echo "serving on http://$(HOST):$(PORT)/ (Ctrl-C stops)"
	exec $(VENV)/bin/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) \
	  --access-logfile - --logger-class survey.web.accesslog.PrivateLogger \
	  --access-logformat '%(t)s "%(r)s" %(s)s %(b)s %(L)s' "app:create_app()"

test: setup audit
	mkdir -p artifacts
	$(VENV)/bin/pytest -q
	bash scripts/with-postgres.sh $(VENV)/bin/pytest -q tests

# Known vulnerabilities in the pinned runtime requirements (needs the package index).
audit: venv
	$(PY) scripts/audit.py requirements.txt

lint: venv
	$(VENV)/bin/ruff check .

bench: setup
	$(PY) bench/submit.py
	$(PY) bench/analysis.py
	$(PY) bench/bulletin.py
	$(MAKE) soak

# 64 phones for 60 s while a gunicorn worker is killed: on SQLite, then on PostgreSQL.
soak: setup
	$(PY) bench/soak.py
	bash scripts/with-postgres.sh sh -c '$(PY) bench/soak.py --database-url "$$MANYI_TEST_DATABASE_URL"'

clean:
	rm -rf $(VENV) instance artifacts
