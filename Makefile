# Herald: developer commands. `make demo` is all a new user needs.
#
#   make venv       create .venv and install Herald (fast when already installed)
#   make demo       run the offline demo on the bundled snapshot of real news
#   make dev        install the development tools (pytest, ruff, mypy)
#   make lint       ruff check + ruff format --check
#   make typecheck  mypy (strict, see pyproject.toml)
#   make test       dev, lint, typecheck, then the test suite
#   make snapshot   rebuild src/herald/demo/snapshot.jsonl.gz from ../shared/data
#
# PYTHON must be Python 3.11 or newer: `make demo PYTHON=python3.12`.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --quiet --disable-pip-version-check
STAMP := $(VENV)/.herald-installed
DEV_STAMP := $(VENV)/.herald-dev-installed
LINTED := src tests scripts

.PHONY: venv demo dev lint typecheck test snapshot clean

venv: $(STAMP)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Herald needs Python 3.11 or newer; try: make PYTHON=python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	@touch $@

demo: venv
	$(BIN)/herald demo

dev: $(DEV_STAMP)

$(DEV_STAMP): pyproject.toml $(STAMP)
	$(PIP) install -e '.[dev]'
	@touch $@

lint: dev
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

typecheck: dev
	$(BIN)/mypy

test: dev lint typecheck
	$(BIN)/pytest

snapshot: venv
	$(BIN)/python scripts/build_demo_snapshot.py

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache build dist
