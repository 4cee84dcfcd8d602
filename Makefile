# cxloop — the two Quick-start commands are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT
LOCALE_IGNORE := --ignore=.venv --ignore=node_modules --ignore=var --ignore=tests

.DEFAULT_GOAL := help
.PHONY: help install demo serve worker test lint typecheck check-migrations check-messages pytest test-pytest messages clean bench bench-send test-rq

help:
	@echo "make demo    install everything, migrate, load demo data, start server + worker on :$(PORT)"
	@echo "make test    lint, types, migrations check and the whole test suite"
	@echo "make messages  extract and compile translations (needs GNU gettext)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "cxloop needs Python >= 3.11 (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,rq]"
	@touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is required (install Node.js >= 18)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed node_modules/.installed

demo: install
	$(BIN)/cxloop demo --port $(PORT)

serve: install
	$(BIN)/cxloop migrate --no-input
	$(BIN)/cxloop runserver 127.0.0.1:$(PORT)

worker: install
	$(BIN)/cxloop worker

test: install lint typecheck check-migrations pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

check-migrations: install
	$(BIN)/cxloop makemigrations --check --dry-run

# The compiled catalogues are committed so a fresh machine needs no gettext; CI checks that
# every marked string was extracted and that the .mo files match their sources.
check-messages: install
	$(BIN)/cxloop makemessages --no-obsolete --no-location -l zh_Hans -l zh_Hant -l en $(LOCALE_IGNORE) > /dev/null
	$(BIN)/cxloop compilemessages $(LOCALE_IGNORE) > /dev/null
	@git diff --quiet -I '^"POT-Creation-Date: ' -- 'src/cxloop/locale/*.po' || { \
		echo "Translation catalogues are out of date: run 'make messages' and translate."; \
		git diff --stat -- 'src/cxloop/locale/'; exit 1; }
	git diff --exit-code -- 'src/cxloop/locale/*.mo'

pytest: install
	$(BIN)/pytest

# The suite alone, e.g. for a second database: DATABASE_URL=postgres://… make test-pytest
test-pytest: pytest

messages: install
	$(BIN)/cxloop makemessages --no-obsolete --no-location -l zh_Hans -l zh_Hant -l en $(LOCALE_IGNORE)
	$(BIN)/cxloop compilemessages $(LOCALE_IGNORE)

# Dashboard benchmark on N synthetic responses; its own SQLite file unless DATABASE_URL is set.
N ?= 10000000
bench: install
	DATABASE_URL="$${DATABASE_URL:-sqlite:///$(CURDIR)/var/bench.sqlite3}" \
		$(BIN)/python -c 'from cxloop.bench import cli; cli()' --responses $(N)

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache

# Send benchmark: N personalized invitation e-mails through 2 workers to a local SMTP sink
# (aiosmtpd); its own SQLite file, started fresh, unless DATABASE_URL is set.
bench-send: install
	@if [ -z "$${DATABASE_URL:-}" ]; then rm -f var/bench-send.sqlite3 var/bench-send.sqlite3-wal var/bench-send.sqlite3-shm; fi
	DATABASE_URL="$${DATABASE_URL:-sqlite:///$(CURDIR)/var/bench-send.sqlite3}" \
		$(BIN)/python -c 'from cxloop.bench.send import cli; cli()' --n $(if $(filter command line environment,$(origin N)),$(N),10000)

# The distribution tests once more with tasks going through Redis and RQ (local Redis; its
# own database index by default, so no running app's queue is touched).
test-rq: install
	CXLOOP_TASKS_BACKEND=django_tasks_rq.RQBackend \
	CXLOOP_TEST_TASKS_BACKEND=django_tasks_rq.RQBackend \
	CXLOOP_REDIS_URL="$${CXLOOP_REDIS_URL:-redis://127.0.0.1:6379/15}" \
		$(BIN)/pytest tests/distribution -p no:cacheprovider
