# casebot: `make chat` to try it, `make test` to run every test. Both create .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: chat test lint bench diagram clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

chat: $(STAMP)
	$(BIN)/casebot chat

# Every core runs tests (pytest-xdist, a module per worker); then the tests marked `serial`,
# which time rates and latencies, run alone so no other test's load can skew them.
TEST_WORKERS ?= auto
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not serial"
	$(BIN)/python -m pytest -m serial

# mypy's files and `strict` come from pyproject.toml: every package, tests/ and bench/
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/engine_step.py
	$(BIN)/python bench/effort.py

diagram: $(STAMP)
	$(BIN)/python -m flows.diagram > docs/intake-machine.md

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
