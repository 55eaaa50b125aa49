# The two commands a new user runs: `make demo` (the main job) and `make test` (all checks).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
RUN_STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench data clean

$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $@

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@ $(RUN_STAMP)

demo: $(RUN_STAMP)
	$(BIN)/critmin brief rare-earths --out out/rare-earths-brief.html

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) lint typecheck
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/pytest bench --benchmark-only -q

data: $(STAMP)
	$(BIN)/critmin data build

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
