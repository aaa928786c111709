# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
MANAGE := $(BIN)/python sandbox/manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help venv demo demo-data serve test test-postgres lint benchmarks clean

help:
	@echo "make demo   - install, migrate, load demo data and serve the demo shop on http://$(HOST):$(PORT)"
	@echo "make test   - install and run the whole test suite"
	@echo "make lint   - ruff"

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,sandbox]"
	touch $(STAMP)

venv: $(STAMP)

demo-data: venv
	$(MANAGE) migrate --noinput
	$(MANAGE) loyalty_demo_data
	$(MANAGE) rebuild_index --noinput --verbosity 0

demo: demo-data
	$(MANAGE) loyalty_demo_data --logins
	$(MANAGE) runserver $(HOST):$(PORT)

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check oscar_loyalty erp_sync wagtail_pages sandbox tests benchmarks

benchmarks: venv
	$(BIN)/python -m benchmarks.ledger_throughput
	$(BIN)/python -m benchmarks.expiry_batch

clean:
	rm -rf $(VENV) sandbox/db.sqlite3 sandbox/whoosh_index sandbox/media
