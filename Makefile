# Promoter's developer commands. Only python3 and make are needed: the rest installs into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The PostgreSQL server the second half of `make test` runs on; Django creates test_<name> there.
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/promoter
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help install install-runtime demo serve test test-deps test-sqlite test-postgres test-long bench lint format lock clean

help: ## list the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"

$(VENV)/.runtime: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

$(VENV)/.dev: requirements-dev.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@ $(VENV)/.runtime

install-runtime: $(VENV)/.runtime

install: $(VENV)/.dev ## create .venv and install the locked dependencies (with the dev tools)

demo: $(VENV)/.runtime ## migrate the embedded SQLite, load demo data, serve on http://127.0.0.1:8000
	$(BIN)/promoter demo --port $(PORT)

test: test-deps test-sqlite test-postgres ## run the whole suite on SQLite, then on PostgreSQL

test-deps: ## install/start what the suite needs (Debian's chromium, PostgreSQL); needs root once
	@.ci/deps

test-sqlite: $(VENV)/.dev
	@echo "=== test suite on SQLite ==="
	env -u DATABASE_URL $(BIN)/pytest

test-postgres: $(VENV)/.dev
	@echo "=== test suite on PostgreSQL ($(TEST_POSTGRES_URL)) ==="
	DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest

test-long: test-deps $(VENV)/.dev ## the minutes-long load, fault, soak and fuzz tests (pytest -m long)
	@echo "=== long tests on PostgreSQL ($(TEST_POSTGRES_URL)) ==="
	DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest -m long

bench: test-deps $(VENV)/.dev ## the benchmark suite (about 25 min): bench/results/latest.json
	@command -v wrk >/dev/null 2>&1 || [ "$$(id -u)" -ne 0 ] || \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null || true
	@command -v wrk >/dev/null 2>&1 || echo "bench: no wrk; the ingest benchmark uses its Python client"
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: $(VENV)/.dev ## ruff format check, ruff check and mypy
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	SECRET_KEY=lint-only-$(shell printf "%040d" 0) DATABASE_URL= $(BIN)/mypy promoter

format: $(VENV)/.dev ## reformat and autofix what ruff can
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lock: ## re-resolve requirements*.lock from pyproject.toml (needs network to PyPI)
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements-dev.lock

clean: ## remove the virtualenv and caches (keeps ./data)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
