# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

# ariadne-codegen pins a graphql-core older than strawberry's: it gets a virtualenv of its own.
CODEGEN = $(VENV)-codegen/bin/ariadne-codegen

.PHONY: run test lint bench schema client

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml clients/python/pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]" -e clients/python
	touch $(VENV)/.installed $@

$(CODEGEN):
	$(PYTHON) -m venv $(VENV)-codegen
	$(VENV)-codegen/bin/pip install --quiet ariadne-codegen==0.19.0 ruff==0.15.22

## Install and start qrforge on the embedded default (SQLite + bundled Redis + worker).
run: $(VENV)/.installed
	$(BIN)/qrforge serve

## Install and run the whole suite: lint and types, then tests on PostgreSQL, SQLite and Redis.
test: $(VENV)/.installed-test $(CODEGEN) lint
	$(BIN)/pytest

## Lint, format, types, and the direction of imports (the contracts in pyproject.toml).
lint: $(VENV)/.installed-test
	$(BIN)/ruff check app workers qrforge tests bench
	$(BIN)/ruff format --check app workers qrforge tests bench
	$(BIN)/mypy app workers qrforge
	$(BIN)/lint-imports

schema: $(VENV)/.installed
	$(BIN)/qrforge schema

## Regenerate the Python client (clients/python) from schema.graphql and its operations.
client: $(CODEGEN)
	cd clients/python && for kind in aio sync; do \
	  ../../$(CODEGEN) --config codegen-$$kind.toml client >/dev/null; done

bench: $(VENV)/.installed-test
	$(BIN)/pip install --quiet -e ".[bench]"
	$(BIN)/python bench/render.py
