# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
MANAGE := $(BIN)/python sandbox/manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help venv demo demo-data serve test test-oldest test-wagtail-lts test-bare-shop test-postgres lint benchmarks messages dist docs clean

help:
	@echo "make demo   - install, migrate, load demo data and serve the demo shop on http://$(HOST):$(PORT)"
	@echo "make test   - install and run the whole test suite"
	@echo "make test-oldest - the same on the oldest supported Django and django-oscar, in .venv-oldest"
	@echo "make test-wagtail-lts - the program pages' tests on Wagtail 7.4 LTS, in .venv-wagtail-lts"
	@echo "make test-bare-shop - the built wheel in a bare Oscar shop made from the README's checklist (PostgreSQL, Redis)"
	@echo "make lint   - ruff: lint and formatting"
	@echo "make messages - regenerate and compile the ru/en translation catalogs"
	@echo "make dist   - build the sdist and wheel into dist/ and check them with twine"
	@echo "make docs   - build the reference documentation into docs/_build/html"

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

# PostgreSQL and Redis on their default local ports are used when they answer (tests/services.py), so the
# concurrency and worker tests run too. A DATABASE_URL or CELERY_BROKER_URL given wins; given empty
# (`make test DATABASE_URL=`) it keeps SQLite, or Celery in eager mode.
test: venv
	$(BIN)/python -m tests.services $(BIN)/python -m pytest $(PYTEST_ARGS)

# The oldest supported combination, Django 4.2 LTS with django-oscar 4.0 (requirements/oldest.txt), in its
# own virtualenv. It has no Wagtail pages (Wagtail 7.4 LTS and 8 need Django 5.2): tests.settings_no_pages. By default
# it runs what the versions touch most (OLDEST_TESTS): the ledger, earning, checkout, the 1C exchange,
# concurrency, the worker and the migrations.
OLDEST_VENV := .venv-oldest
OLDEST_TESTS ?= tests/ledger tests/earning tests/checkout tests/erp tests/test_concurrency.py tests/test_tasks.py \
	tests/test_migrations.py tests/test_compat.py
# Of the exchange, the hostile-file and catalogue-admin tests are left to the newest versions: they exercise
# the parser's hardening and Django's admin, not what differs between the versions, and take a minute and a half.
OLDEST_IGNORE := --ignore=tests/erp/test_exchange_security.py --ignore=tests/erp/test_catalogue_security.py \
	--ignore=tests/erp/test_catalogue_admin.py

$(OLDEST_VENV)/.installed-stamp: setup.cfg pyproject.toml requirements/oldest.txt
	$(PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(OLDEST_VENV)/bin/python -m pip install --quiet -r requirements/oldest.txt -e ".[erp,postgres,redis]"
	touch $@

test-oldest: $(OLDEST_VENV)/.installed-stamp
	DJANGO_SETTINGS_MODULE=tests.settings_no_pages DATABASE_SERVER_SIDE_BINDING=0 TEST_DATABASE_NAME=$${TEST_DATABASE_NAME:-test_oscar_loyalty_oldest} \
		$(OLDEST_VENV)/bin/python -m tests.services $(OLDEST_VENV)/bin/python -m pytest \
		--ignore=tests/pages --ignore=tests/browser $(OLDEST_IGNORE) $(OLDEST_TESTS) $(PYTEST_ARGS)

# The pages extra's oldest Wagtail, the current LTS (7.4), on the newest Django and django-oscar: the pages'
# tests and the migrations, in their own virtualenv.
LTS_VENV := .venv-wagtail-lts

$(LTS_VENV)/.installed-stamp: setup.cfg pyproject.toml requirements/wagtail-lts.txt
	$(PYTHON) -m venv $(LTS_VENV)
	$(LTS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LTS_VENV)/bin/python -m pip install --quiet -r requirements/wagtail-lts.txt -e ".[test]"
	touch $@

test-wagtail-lts: $(LTS_VENV)/.installed-stamp
	TEST_DATABASE_NAME=$${TEST_DATABASE_NAME:-test_oscar_loyalty_wagtail_lts} \
		$(LTS_VENV)/bin/python -m tests.services $(LTS_VENV)/bin/python -m pytest tests/pages tests/test_migrations.py $(PYTEST_ARGS)

# The README's install checklist, proven: the built wheel goes into a fresh virtualenv beside the bare Oscar
# shop in tests/bare_shop/ (the checklist's blocks, word for word), with the core extras and then with every
# extra; it migrates on PostgreSQL and a customer orders, earns, pays with points and gets them back.
test-bare-shop: venv
	$(BIN)/python tests/bare_shop/run.py

LINT_PATHS := oscar_loyalty erp_sync wagtail_pages sandbox tests benchmarks docs

lint: venv
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

docs: venv
	$(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

benchmarks: venv
	$(BIN)/python -m benchmarks.ledger_throughput
	$(BIN)/python -m benchmarks.expiry_batch
	$(BIN)/python -m benchmarks.listing_overhead
	$(BIN)/python -m benchmarks.checkout_overhead
	$(BIN)/python -m benchmarks.orders_export
	$(BIN)/python -m benchmarks.catalogue_import
	$(BIN)/python -m benchmarks.rules_eval
	$(BIN)/python -m benchmarks.kpi_report

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
	rm -rf $(VENV) $(OLDEST_VENV) sandbox/db.sqlite3 sandbox/whoosh_index sandbox/media sandbox/erp_service.sqlite3
