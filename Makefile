# `make run` and `make test` each do all set-up on a fresh machine.
PYTHON ?= python3
# `make run PORT=9000 HOST=0.0.0.0`: where the demo server listens (links follow unless
# PAGERLINE_PUBLIC_URL is set).
HOST ?= 127.0.0.1
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install migrate clean bench schema browser docs faketime clock nginx web web-test node alertmanager

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) web

migrate: install
	mkdir -p var
	$(BIN)/pagerline migrate

run: migrate
	PAGERLINE_DEMO=1 $(BIN)/pagerline demo --host $(HOST) --port $(PORT)
	PAGERLINE_DEMO=1 $(BIN)/pagerline serve --host $(HOST) --port $(PORT)

# The whole suite, then (unless PYTEST_ARGS picks tests) the clock-sensitive tests again under
# faked clocks (`make clock`). Two pytest-xdist workers, each test file whole in one of them
# (module fixtures start their servers once): most tests wait on servers, browsers and
# databases, and one process at a time took 13.6 minutes against 9.2. Each worker has its own
# Redis database (tests/support/databases.py). PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 2
test: install browser faketime nginx alertmanager web-test
	$(BIN)/python -m pytest --durations=15 $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile) $(PYTEST_ARGS)
	$(if $(PYTEST_ARGS),,$(BIN)/python -m tests.support.faked_clock)

# Schedules, coverage, widget, reminders and calendars at an odd and an even day, just before
# midnight UTC and inside the US and EU daylight-saving changes (tests/support/faked_clock.py).
clock: install faketime
	$(BIN)/python -m tests.support.faked_clock $(CLOCK_ARGS)

# Those runs move the clock with Debian's libfaketime, installed quietly like chromium below;
# if that is not possible they are skipped and say why.
faketime:
	@command -v faketime >/dev/null || [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null || \
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime; } >/dev/null 2>&1 || \
	echo "faketime could not be installed: the faked-clock runs will be skipped"

# The web app's browser tests drive Debian's chromium. Installed quietly when missing and we are
# root with apt-get; otherwise (or if apt fails) those tests skip and say why.
browser:
	@[ -x /usr/bin/chromium ] || [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null || \
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1 || \
	echo "chromium could not be installed: the web app's browser tests will be skipped"

# The PagerDuty- and Opsgenie-compatible intakes are tested against Debian's Prometheus
# Alertmanager (its pagerduty_configs and opsgenie_configs receivers, tests/support/alertmanager.py).
# Installed quietly like chromium above; if that is not possible those tests skip and say why.
alertmanager:
	@[ -x /usr/bin/prometheus-alertmanager ] || [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null || \
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus-alertmanager; } >/dev/null 2>&1 || \
	echo "prometheus-alertmanager could not be installed: the Alertmanager tests will be skipped"

# The docs' nginx configuration is parsed by `nginx -t` (tests/unit/test_docs_site.py). Installed
# quietly like chromium above; if that is not possible that one test skips and says why.
nginx:
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null || \
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light; } >/dev/null 2>&1 || \
	echo "nginx could not be installed: the nginx configuration test will be skipped"

# The web app (web/: TypeScript, React, Vite) is built into pagerline/web/app, which the server
# serves at /. Rebuilt only when its sources, its lock file or schema.graphql changed (the stamp
# file); `npm ci` runs only when package-lock.json changed. Needs Node.js 20 or newer.
WEB_BUILT := pagerline/web/app/.built
WEB_INSTALLED := web/node_modules/.installed
WEB_SOURCES := $(shell find web/src web/public web/index.html web/vite.config.ts web/codegen.ts web/tsconfig.json web/tsconfig.sw.json -type f -not -path 'web/src/gql/*' 2>/dev/null) schema.graphql

node:
	@node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null && command -v npm >/dev/null || \
	{ echo "The web app needs Node.js 20 or newer with npm (found: $$(node --version 2>/dev/null || echo none)). Install it (e.g. apt-get install nodejs npm, or from nodejs.org) and run make again."; exit 1; }

$(WEB_INSTALLED): web/package.json web/package-lock.json | node
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(WEB_BUILT): $(WEB_INSTALLED) $(WEB_SOURCES)
	cd web && npm run --silent build
	touch $@

web: $(WEB_BUILT)

# Typed operations checked against schema.graphql (codegen, tsc --noEmit) and the Vitest tests.
web-test: $(WEB_INSTALLED)
	cd web && npm test --silent

bench: install
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) var web/node_modules web/src/gql pagerline/web/app

schema: install
	$(BIN)/python -c "from pagerline.graphql.schema import schema; open('schema.graphql','w').write(schema.as_str()+'\n')"

# The documentation site (docs/, mkdocs.yml) into site/. `make docs MKDOCS_ARGS=--strict` fails on
# a broken link or a page missing from the navigation, as CI does.
DOCS_STAMP := $(VENV)/.installed-docs

$(DOCS_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[docs]'
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build $(MKDOCS_ARGS)

# The docs' pictures of the chat messages (docs/integrations/images/), drawn from exactly what
# pagerline sends (scripts/chat_screenshots.py, in chromium; Teams' with the adaptivecards SDK).
.PHONY: screenshots
screenshots: $(STAMP) $(WEB_INSTALLED) browser
	PYTHONPATH=. $(BIN)/python scripts/chat_screenshots.py
