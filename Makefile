# Two commands matter: `make run` and `make test`. Both create .venv with python3.11 if it is missing.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: run test ui lint bench clean browser serve notebook services

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

# the instance storage is created and migrated once, before any run (telemetry off, run monitoring on)
$(DAGSTER_HOME)/dagster.yaml: $(STAMP)
	@$(BIN)/smart-money init

## run: materialize raw -> features/labels -> model (splits, model, report, registry, predictions) and print a summary
run: $(STAMP) $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/smart-money build

## browser: Debian's chromium + chromedriver for the page test (installed with apt-get when missing)
browser:
	@if [ -x "$${SMART_MONEY_CHROMIUM:-/usr/bin/chromium}" ] && [ -x "$${SMART_MONEY_CHROMEDRIVER:-/usr/bin/chromedriver}" ]; then :; else \
	  echo "installing Debian chromium and chromium-driver for the browser test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null \
	    || { echo "error: could not install chromium/chromium-driver; install them or set SMART_MONEY_CHROMIUM and SMART_MONEY_CHROMEDRIVER"; exit 1; }; \
	fi

## services: Debian's postgresql and redis-server for the deployment test (installed with apt-get when
## missing; the test starts its own servers in temporary directories on loopback ports and stops them)
services:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v redis-server >/dev/null; then :; else \
	  echo "installing Debian postgresql and redis-server for the deployment test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends postgresql redis-server >/dev/null \
	    || { echo "error: could not install postgresql/redis-server; install them (README: Running at scale)"; exit 1; }; \
	fi

## test: the whole test suite (API, the page in headless chromium, the notebook, the deployment included)
test: $(STAMP) browser services
	$(BIN)/python -m pytest

## serve: the prediction API and web page on http://127.0.0.1:8000 (README: Serving)
serve: $(STAMP)
	$(BIN)/smart-money serve

## notebook: JupyterLab (dev extra) on notebooks/explore_warehouse.ipynb, after `make run` (README: Notebook)
NOTEBOOK := notebooks/explore_warehouse.ipynb
NOTEBOOK_ARGS ?=
# Jupyter refuses to run as root unless told to (containers often run as root)
NOTEBOOK_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
notebook: $(STAMP)
	$(BIN)/jupyter lab $(NOTEBOOK_ROOT) $(NOTEBOOK_ARGS) $(NOTEBOOK)

## ui: the Dagster UI over the same DAGSTER_HOME (http://127.0.0.1:3000)
ui: $(STAMP) $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -w workspace.yaml

lint: $(STAMP)
	$(BIN)/ruff check .

## bench: the default full build from an empty data dir, training + report, the API, the options classifier
bench: $(STAMP)
	$(BIN)/python benchmarks/build.py
	$(BIN)/python benchmarks/model.py
	$(BIN)/python benchmarks/serve.py
	$(BIN)/python benchmarks/load.py
	$(BIN)/python benchmarks/options_flow.py

clean:
	rm -rf data/parquet data/warehouse.duckdb .dagster_home
