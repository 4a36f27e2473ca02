# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: run test lint bench schema

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(VENV)/.installed $@

## Install and start qrforge on the embedded default (SQLite + bundled Redis + worker).
run: $(VENV)/.installed
	$(BIN)/qrforge serve

## Install and run the whole suite: lint and types, then tests on PostgreSQL, SQLite and Redis.
test: $(VENV)/.installed-test lint
	$(BIN)/pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check app workers tests bench
	$(BIN)/ruff format --check app workers tests bench
	$(BIN)/mypy app workers

schema: $(VENV)/.installed
	$(BIN)/qrforge schema

bench: $(VENV)/.installed-test
	$(BIN)/python bench/render.py
