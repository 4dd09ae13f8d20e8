# Two commands do everything on a fresh machine: `make demo` and `make test`.
# Every target installs what it needs, and does nothing when it is already there.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
CHILDREN ?= 2000
SEED ?= 1
HOST ?= 127.0.0.1
PORT ?= 8000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help demo test install assets browser lint format typecheck contracts pytest \
        serve bench-synth bench-accuracy bench-load-100k bench-load-1m bench-incremental clean

help: ## List every target
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "} {printf "  make %-12s %s\n", $$1, $$2}'

demo: install assets ## Set up, load a synthetic population and serve it on http://localhost:8000
	$(BIN)/contactpoint demo --children $(CHILDREN) --seed $(SEED) --host $(HOST) --port $(PORT)

test: install assets browser ## Run every check: lint, types, import contracts, the test suite on SQLite and PostgreSQL
	$(MAKE) --no-print-directory lint typecheck contracts pytest

install: $(VENV)/.installed ## Create the virtualenv and install the pinned Python packages

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
	  { echo "Python 3.11 is needed; found $$($(PYTHON) --version)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

assets: node_modules/.installed ## Install the GOV.UK Frontend assets and axe-core from npm

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

browser: ## Install Debian's chromium for the browser tests, where it is missing
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

lint: install ## ruff (lint and format check)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: install ## Format the code and apply safe lint fixes
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

typecheck: install ## mypy, strict
	$(BIN)/mypy

contracts: install ## import-linter: the domain layout's dependency rules
	$(BIN)/lint-imports

pytest: install assets ## The test suite alone (PYTEST_ARGS=... to pass options)
	$(BIN)/pytest $(PYTEST_ARGS)

serve: install assets ## Serve the web app on http://localhost:8000 over the existing database
	$(BIN)/contactpoint serve --host $(HOST) --port $(PORT)

bench-synth: install ## Benchmark: generate 1,000,000 synthetic children (time and peak memory)
	$(BIN)/python bench/synth_speed.py --children 1000000

bench-accuracy: install ## Benchmark: linkage accuracy beside Splink 5 (synthetic 10k and 50k, FEBRL3, FEBRL4)
	$(BIN)/python bench/linkage_accuracy.py

bench-load-100k: install ## Benchmark: contactpoint load end to end, 100,000 children, SQLite and PostgreSQL, beside Splink 5
	$(BIN)/python bench/load_speed.py --children 100000 --database both

bench-load-1m: install ## Benchmark: contactpoint load end to end, 1,000,000 children, SQLite and PostgreSQL
	$(BIN)/python bench/load_speed.py --children 1000000 --database both

bench-incremental: install ## Benchmark: one held-out record at a time through the loader, beside Splink's predict_between
	$(BIN)/python bench/incremental_link.py --children 1000000

clean: ## Remove the virtualenv, npm packages, caches and local data
	rm -rf $(VENV) node_modules var .mypy_cache .ruff_cache .pytest_cache .hypothesis
