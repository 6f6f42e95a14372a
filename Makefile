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

STEP := bash scripts/step.sh

.PHONY: run test setup setup-run system system-run venv venv-run translations lint bench soak audit clean

# What serving needs (fonts, the runtime Python packages); `setup` adds everything tests need.
setup-run: system-run venv-run translations
setup: system venv translations

system-run:
	@$(STEP) "install system packages (run)" bash scripts/install-system.sh run

system:
	@$(STEP) "install system packages (test)" bash scripts/install-system.sh test

# The test set includes the run set: a virtualenv installed for tests serves as it is.
$(VENV)/.installed-run: requirements.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	@if [ $(VENV)/.installed -nt requirements.txt ]; then echo "==> Python packages (run) already installed"; \
	else $(STEP) "install Python packages (run)" sh -c '$(PY) -m pip install -q --upgrade pip && $(PY) -m pip install -q -r requirements.txt'; fi
	@touch $@

$(VENV)/.installed: requirements.txt requirements-test.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(STEP) "install Python packages (test)" sh -c '$(PY) -m pip install -q --upgrade pip && $(PY) -m pip install -q -r requirements-test.txt'
	@touch $(VENV)/.installed-run $@

venv-run: $(VENV)/.installed-run

venv: $(VENV)/.installed

translations: venv-run
	@$(STEP) "compile translations" $(VENV)/bin/pybabel compile -d translations

# Prints the demo's console and portal logins (not in production) and a survey URL.
# Random SECRET_KEY, LINK_KEY and HASH_KEY made on first start (mode 0600) fill those not
# set in the environment. The access log holds no addresses, User-Agents or survey tokens.
run: export FLASK_KEYS_FILE := $(CURDIR)/instance/keys.json
run: setup-run
	@$(STEP) "keys" $(PY) -m survey.keys "$(FLASK_KEYS_FILE)"
	@$(STEP) "migrate" $(VENV)/bin/flask db-upgrade
	@$(STEP) "demo (load, publish, compute)" $(VENV)/bin/flask demo --if-empty
	@echo "serving on $(FLASK_PUBLIC_BASE_URL)/ (Ctrl-C stops)"
	exec $(VENV)/bin/gunicorn --config gunicorn.conf.py --workers $(WORKERS) --bind $(HOST):$(PORT) \
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
