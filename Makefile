# Liangxian — 两险征缴管理系统
#   make demo   set everything up on a fresh machine and serve the demo on http://127.0.0.1:8000
#   make setup  the same without serving (for scripts)
#   make test   install what the tests need and run every check (SQLite; PostgreSQL too when DATABASE_URL is set)
#   make bench  run the benchmarks
#   make practice  the practice site for drills (Art 25) on its own synthetic data, every page marked practice

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
LX := $(BIN)/liangxian
PERSONS ?= 20000
SEED ?= 2026
HOST ?= 127.0.0.1
PORT ?= 8000
PRACTICE_PORT ?= 8001
LOGINS ?= var/demo/logins.txt
# pytest workers: the machine's cores, at most 4 (xdist gives each its own test database).
TEST_JOBS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt 4 ] && n=4; echo $$n)
export DJANGO_SETTINGS_MODULE ?= config.settings.dev

RUNTIME_DEBS := fonts-noto-cjk fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 gettext nodejs npm make python3-venv
TEST_DEBS := chromium openjdk-17-jre-headless

.PHONY: demo practice setup serve test test-sqlite test-postgres lint bench system system-test venv venv-dev assets messages data clean

demo: setup serve

setup: system venv assets messages data
	@echo
	@echo "== 演示账号 / demo logins (demo only: change them before any real use) =="
	@cat var/demo/logins.txt

# The practice site (系统操作演练, Art 25): the same system on its own synthetic county in var/practice/, every page
# marked as practice, on PRACTICE_PORT; drills are recorded on it (/outreach/drill/).
practice: system venv assets messages
	mkdir -p var/practice
	LIANGXIAN_VAR=$(CURDIR)/var/practice $(LX) collectstatic --noinput -v0
	LIANGXIAN_VAR=$(CURDIR)/var/practice $(MAKE) --no-print-directory data LOGINS=var/practice/logins.txt
	LIANGXIAN_VAR=$(CURDIR)/var/practice LIANGXIAN_PRACTICE_SITE=1 $(MAKE) --no-print-directory serve PORT=$(PRACTICE_PORT)

serve:
	@echo "== 服务地址 / serving on http://$(HOST):$(PORT) =="
	$(BIN)/gunicorn config.wsgi:application --bind $(HOST):$(PORT) --workers 2 --threads 4 --access-logfile -

# Debian packages: installed where missing (as root), else named for the administrator.
system:
	@bash scripts/debs.sh $(RUNTIME_DEBS)

system-test:
	@bash scripts/debs.sh $(RUNTIME_DEBS) $(TEST_DEBS)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

venv: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/base.txt
	$(BIN)/pip install --quiet --no-deps -e .

venv-dev: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/dev.txt
	$(BIN)/pip install --quiet --no-deps -e .

# Front-end assets come from the npm registry (package-lock.json) and are served by the system itself.
assets:
	npm ci --no-audit --no-fund --loglevel=error
	$(LX) assets
	$(LX) collectstatic --noinput -v0

messages:
	$(LX) compilemessages --ignore=.venv --ignore=node_modules -v0

data:
	$(LX) migrate --noinput -v0
	$(LX) calendar load --confirm-through 2026
	$(LX) divisions load
	$(LX) org bootstrap
	$(LX) exchange catalogue
	$(LX) obligations rules
	$(LX) demo-data --persons $(PERSONS) --seed $(SEED)
	$(LX) demo-users --write $(LOGINS)
	$(LX) demo-campaign
	$(LX) demo-collection
	$(LX) obligations generate --campaign 2027
	$(LX) demo-reconcile
	$(LX) demo-supervise

lint: venv-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy liangxian config
	$(BIN)/lint-imports
	DJANGO_SETTINGS_MODULE=config.settings.test $(LX) makemigrations --check --dry-run

test: system-test venv-dev assets messages lint
	@echo "== pytest on SQLite: everything, on $(TEST_JOBS) workers =="
	env -u DATABASE_URL $(BIN)/pytest -q -p no:cacheprovider -n $(TEST_JOBS)
	@if [ -n "$${DATABASE_URL:-}" ]; then \
		echo "== pytest on PostgreSQL ($${DATABASE_URL}): all but the browser and once-only suites run above =="; \
		$(BIN)/pytest -q -p no:cacheprovider -n $(TEST_JOBS) -m "not browser and not once"; \
	fi

bench: venv
	$(BIN)/python bench/run.py

clean:
	rm -rf var/static var/demo node_modules node_modules_static
