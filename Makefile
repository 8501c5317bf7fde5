# `make run` and `make test` each do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install migrate clean bench schema

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	mkdir -p var
	$(BIN)/pagerline migrate

run: migrate
	PAGERLINE_DEMO=1 $(BIN)/pagerline demo
	PAGERLINE_DEMO=1 $(BIN)/pagerline serve

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) var

schema: install
	$(BIN)/python -c "from pagerline.graphql.schema import schema; open('schema.graphql','w').write(schema.as_str()+'\n')"
