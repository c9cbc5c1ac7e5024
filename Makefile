# FTR: `make demo` serves the app with sample data; `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/ftr
export DATABASE_URL
DEMO_AGENCY ?= Demo Agency
PY_SOURCES := app.py models tracing matching bench data/samples/generate.py

.PHONY: demo test install system postgres db samples demo-login serve lint typecheck security \
        migrations-check pytest bench clean

demo: install postgres db samples demo-login serve

test: install system postgres lint typecheck security migrations-check pytest

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/.installed

# PostGIS always; Chromium for the browser tests.
system:
	bash scripts/setup-system.sh --browser

postgres:
	bash scripts/setup-system.sh
	bash scripts/postgres-up.sh

db: install postgres
	$(BIN)/ftr db create
	$(BIN)/ftr db upgrade

samples: db
	$(BIN)/ftr import children data/samples/children.csv
	$(BIN)/ftr import requests data/samples/requests.csv

demo-login: db
	@echo "=== Demo logins (a new password each time you run make demo) ==="
	@$(BIN)/ftr users demo --agency "$(DEMO_AGENCY)"

# The session-signing key: FTR_SECRET_KEY when set, else one generated once into
# instance/secret-key (git-ignored, readable by its owner only) and kept across restarts.
SECRET_FILE := instance/secret-key

$(SECRET_FILE):
	@mkdir -p instance
	@umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_hex(32))" > $@

serve: install $(SECRET_FILE)
	@echo "=== FTR is served on http://127.0.0.1:5000 by gunicorn (Ctrl-C stops it) ==="
	FTR_SECRET_KEY="$${FTR_SECRET_KEY:-$$(cat $(SECRET_FILE))}" $(BIN)/ftr serve --host 127.0.0.1 --port 5000

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

security: install
	$(BIN)/bandit -q -c pyproject.toml -r app.py models tracing matching

# Models and migrations agree: migrate a throwaway database, then `alembic check`.
migrations-check: install postgres
	@db=ftr_check_$$$$; \
	url=postgresql+psycopg://postgres@127.0.0.1:5432/$$db; \
	psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $$db" && \
	trap 'psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $$db WITH (FORCE)"' EXIT; \
	DATABASE_URL=$$url $(BIN)/alembic upgrade head && DATABASE_URL=$$url $(BIN)/alembic check

# Tests run in up to four processes (two on a 2-core machine), each on throwaway databases of its own; one file stays in one process
# so a module's shared store is prepared once.
pytest: install postgres
	$(BIN)/pytest -W error -q -n auto --maxprocesses 4 --dist loadfile

bench: install postgres
	$(BIN)/python bench/import_bench.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info
