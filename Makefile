# Two set-up commands for a new machine (see README):
#   make demo   creates .venv, installs wijkindeling and proposes a division of Woerden
#   make test   creates .venv, installs wijkindeling with test extras and runs the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test test-fast lint install install-test clean bench system-deps browser-deps

# System libraries WeasyPrint needs for the PDF handreiking (pango), and poppler-utils (pdftoppm) to look
# at its pages; installed with apt-get on Debian/Ubuntu when missing (run as root), skipped elsewhere.
SYSTEM_DEPS := libpango-1.0-0 libpangoft2-1.0-0 poppler-utils
system-deps:
	@if command -v apt-get >/dev/null && ! dpkg -s $(SYSTEM_DEPS) >/dev/null 2>&1; then \
		apt-get update -qq && apt-get install -y -qq $(SYSTEM_DEPS); fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/wijkindeling propose configs/woerden.yaml --force

# Debian's chromium for the browser test of map.html (tests/test_browser.py); never a downloaded browser.
browser-deps:
	@bash tests/setup_browser.sh

# Lint, types and the layer rule (no import circles: lint-imports checks the contracts in pyproject.toml).
lint: install-test
	$(BIN)/ruff check wijkindeling tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

test: system-deps browser-deps install-test lint
	$(BIN)/python -m pytest -q

# The fast tier for your own loop (under a minute): every module, no slow or browser tests.
test-fast: install-test
	$(BIN)/python -m pytest -q -m "not slow and not browser"

bench: install
	$(BIN)/pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info
