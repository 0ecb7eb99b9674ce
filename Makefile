# casebot: `make chat` to try it, `make test` to run every test. Both create .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: chat test lint bench diagram messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# the compiled catalogs (bot/i18n.py reads a .mo when it is at least as new as its .po, else
# the .po itself): made from the .po, never committed
CATALOGS := $(patsubst %.po,%.mo,$(wildcard bot/locales/*/LC_MESSAGES/casebot.po))
%.mo: %.po | $(STAMP)
	$(BIN)/pybabel compile -D casebot -i $< -o $@

chat: $(STAMP) $(CATALOGS)
	$(BIN)/casebot chat

# Every core runs tests (pytest-xdist; an idle worker takes tests from a busy one), then the
# tests marked `serial`, which time rates and latencies, run alone so no other test's load
# can skew them.
TEST_WORKERS ?= auto
test: $(STAMP) $(CATALOGS)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal -m "not serial" --durations=15
	$(BIN)/python -m pytest -m serial

# mypy's files and `strict` come from pyproject.toml: every package, tests/ and bench/
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/engine_step.py
	$(BIN)/python bench/effort.py

# issue 27: gather every msgid into bot/locales/casebot.pot and merge it into each language's
# catalog (new ids arrive empty; tests/unit/test_catalogs.py fails until they are translated).
# Then each catalog is compiled to its .mo (also done before `make chat` and `make test`).
# A new language: $(BIN)/pybabel init -D casebot -i bot/locales/casebot.pot -d bot/locales -l LANG
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -o bot/locales/casebot.pot --no-location \
		--sort-output --project casebot --no-wrap .
	$(BIN)/pybabel update -D casebot -i bot/locales/casebot.pot -d bot/locales \
		--no-wrap --ignore-obsolete --ignore-pot-creation-date
	$(BIN)/pybabel compile -D casebot -d bot/locales --statistics

diagram: $(STAMP)
	$(BIN)/python -m flows.diagram > docs/intake-machine.md

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
