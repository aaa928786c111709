# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
MANAGE := $(BIN)/python sandbox/manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help venv demo demo-data serve test test-postgres lint benchmarks messages dist clean

help:
	@echo "make demo   - install, migrate, load demo data and serve the demo shop on http://$(HOST):$(PORT)"
	@echo "make test   - install and run the whole test suite"
	@echo "make lint   - ruff"
	@echo "make messages - regenerate and compile the ru/en translation catalogs"
	@echo "make dist   - build the sdist and wheel into dist/ and check them with twine"

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,sandbox]"
	touch $(STAMP)

venv: $(STAMP)

demo-data: venv
	$(MANAGE) migrate --noinput
	$(MANAGE) loyalty_demo_data
	$(MANAGE) loyalty_demo_pages
	$(MANAGE) rebuild_index --noinput --verbosity 0

# The demo syncs bonus balances with the reference accounting system it serves itself (/erp-service/).
demo: demo-data
	$(MANAGE) loyalty_demo_data --logins --shop-url http://$(HOST):$(PORT)
	ERP_SYNC_SOAP_URL=http://$(HOST):$(PORT)/erp-service/ws/loyalty.1cws $(MANAGE) runserver $(HOST):$(PORT)

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check oscar_loyalty erp_sync wagtail_pages sandbox tests benchmarks

benchmarks: venv
	$(BIN)/python -m benchmarks.ledger_throughput
	$(BIN)/python -m benchmarks.expiry_batch
	$(BIN)/python -m benchmarks.listing_overhead
	$(BIN)/python -m benchmarks.checkout_overhead
	$(BIN)/python -m benchmarks.orders_export

# Each app keeps its own catalogs (<app>/locale); the .mo files are committed
# so that installs need no gettext.
I18N_APPS := oscar_loyalty erp_sync wagtail_pages sandbox
I18N_ENV := DJANGO_SETTINGS_MODULE=tests.settings PYTHONPATH=$(CURDIR)

messages: venv
	@for app in $(I18N_APPS); do \
		(cd $$app && mkdir -p locale \
			&& $(I18N_ENV) $(abspath $(BIN))/django-admin makemessages -l ru -l en --no-obsolete -e html,txt,py \
			&& $(I18N_ENV) $(abspath $(BIN))/django-admin compilemessages) || exit 1; \
	done

# The wheel is built from the sdist (python -m build does both), so what the sdist lacks fails here.
dist: venv
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*

clean:
	rm -rf $(VENV) sandbox/db.sqlite3 sandbox/whoosh_index sandbox/media sandbox/erp_service.sqlite3
