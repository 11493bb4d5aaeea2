# The two commands of the README: `make demo` (whole graph, offline) and `make test`.
SHELL := /bin/bash
export DATASET_PLATFORM_HOME ?= $(CURDIR)/.data
export DAGSTER_HOME ?= $(DATASET_PLATFORM_HOME)/dagster_home
# uv from PyPI, run as a module so a fresh `pip install uv` is usable at once.
PYTHON ?= python3
UV := $(PYTHON) -m uv
RUN := $(UV) run --frozen --extra dev

.PHONY: setup system-deps instance demo demo-data materialize test test-fast lint dev review bench validate clean

system-deps:
	bash scripts/system-deps.sh

setup: system-deps
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen --extra dev

demo: setup demo-data materialize

# The demo's instance folder: telemetry off there too (no banner), unless the folder already has a config.
instance:
	mkdir -p "$(DAGSTER_HOME)"
	test -f "$(DAGSTER_HOME)/dagster.yaml" || printf 'telemetry:\n  enabled: false\n' > "$(DAGSTER_HOME)/dagster.yaml"

demo-data: instance
	$(RUN) dataset-platform demo-data

materialize: instance
	$(RUN) dataset-platform materialize-all

test: setup
	$(RUN) pytest

test-fast: setup
	$(RUN) pytest -m "not slow"

# ruff (lint + format check) and mypy, configured in pyproject.toml; CI runs this before the tests.
lint: setup
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy

# With the default DAGSTER_HOME, the repo-root dagster.yaml is that same instance plus run monitoring, no telemetry.
dev:
	mkdir -p "$(DAGSTER_HOME)"
ifeq ($(DAGSTER_HOME),$(CURDIR)/.data/dagster_home)
	env -u DAGSTER_HOME $(RUN) dagster dev -m dataset_platform.definitions
else
	$(RUN) dagster dev -m dataset_platform.definitions
endif

review:
	$(RUN) dataset-platform review

validate:
	$(RUN) dagster definitions validate -m dataset_platform.definitions

bench:
	$(RUN) python bench/run_all.py

clean:
	rm -rf "$(DATASET_PLATFORM_HOME)"
