# Two commands matter: `make run` (the live demo) and `make test` (the whole suite).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV    := $(VENV)/.installed-dev

.PHONY: run test check lint format typecheck openapi docs screenshots bench bench-full bench-intake fuzz test-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# The runtime alone for `make run`; the dev tools (pytest, playwright, mypy, …) only for the
# targets that use them.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	touch $(STAMP)

$(DEV): $(STAMP)
	$(BIN)/pip install -q -e '.[dev]'
	touch $(DEV)

## The demo: embedded PostgreSQL, the example city, the worker, both simulators, the API on :8000;
## prints the URLs, the admin key and console sign-ins (then: .venv/bin/appeals --help)
run: $(STAMP)
	$(BIN)/appeals demo

## System packages the tests need (promtool and a Prometheus server; Chromium for the console)
test-deps:
	@./scripts/install-test-deps.sh

## The whole suite against PostgreSQL (APPEALS_TEST_DATABASE_URL, else :5432, else embedded)
test: $(DEV) test-deps
	$(BIN)/ruff check app tests bench
	$(BIN)/ruff format --check app tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest

## The inner loop (about 1.5 minutes here): the lint of `make lint`, then the unit and api tests on every core
check: lint test-deps
	$(BIN)/pytest -n auto tests/unit tests/api

lint: $(DEV)
	$(BIN)/ruff check app tests bench
	$(BIN)/ruff format --check app tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(DEV)
	$(BIN)/ruff format app tests bench
	$(BIN)/ruff check --fix app tests bench

typecheck: $(DEV)
	$(BIN)/mypy

## Regenerate the published contract openapi/openapi.json
openapi: $(STAMP)
	$(BIN)/python -m app.tools.openapi_export openapi/openapi.json

## Regenerate the configuration tables (README.md, docs/CONFIGURATION.md) and docs/CLI.md
docs: $(STAMP)
	$(BIN)/python -m app.tools.config_doc README.md docs/CONFIGURATION.md
	$(BIN)/python -m app.tools.cli_doc docs/CLI.md

## Refresh the console screenshots docs/CONSOLE.md shows (tests write theirs to build/screenshots)
screenshots: $(DEV) test-deps
	SCREENSHOTS_DIR=docs $(BIN)/pytest -q tests/e2e/test_console_browser.py tests/e2e/test_reports_browser.py \
		tests/e2e/test_console_operator_browser.py tests/e2e/test_console_safety_browser.py \
		tests/e2e/test_incidents_browser.py

## Short benchmarks with their baseline in the same run
bench: $(DEV)
	@./scripts/install-bench-deps.sh
	$(BIN)/python -m bench.run --short

bench-full: $(DEV)
	@./scripts/install-bench-deps.sh
	$(BIN)/python -m bench.run --full

## The intake alone: receipt vs a bare INSERT, then the pipeline's deliveries per second
bench-intake: $(DEV)
	@./scripts/install-bench-deps.sh
	$(BIN)/python -m bench.intake

## Long fuzz and fault runs
fuzz: $(DEV) test-deps
	APPEALS_FUZZ_EXAMPLES=500 $(BIN)/pytest -m slow tests

clean:
	rm -rf $(VENV) var build .pytest_cache .mypy_cache .ruff_cache
