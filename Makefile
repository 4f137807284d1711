# livesell task runner. `make demo` and `make test` are the README's quick start.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8080

.PHONY: demo serve install install-test test test-fast test-asyncio-debug lint bench dist clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Editable installs, redone only when pyproject.toml changed (so `make demo` starts at once).
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test
	bash scripts/test-services.sh

# Install, then run the server with the demo catalog and a live demo show (embedded SQLite).
demo: install
	$(BIN)/livesell serve --demo --port $(PORT)

serve: install
	$(BIN)/livesell serve --port $(PORT)

# Everything the suite needs (Python packages, Chromium, Redis), then the whole suite, then
# the event-loop tests once more in asyncio debug mode.
test: install-test
	$(BIN)/python -m pytest
	$(MAKE) --no-print-directory test-asyncio-debug

# The realtime and API tests (about half a minute) with PYTHONASYNCIODEBUG=1: loop calls from
# the wrong thread raise, never-awaited coroutines show where they were made.
test-asyncio-debug:
	PYTHONASYNCIODEBUG=1 $(BIN)/python -m pytest -q -m "not slow" tests/realtime tests/api

# The quick inner loop: no browser, no subprocess servers.
test-fast: install-test
	$(BIN)/python -m pytest -m "not browser and not slow and not bench"

lint: install-test
	$(BIN)/ruff check livesell tests bench
	$(BIN)/mypy

# Every scenario, full size (tens of minutes); each appends its section to BENCHMARKS.md.
bench: install-test
	$(BIN)/python bench/parser.py --write
	$(BIN)/python -m bench.stores --write
	$(BIN)/python -m bench.intake --write
	for s in b1 b2 b3 b4 b7 b8 b11; do $(BIN)/python -m bench $$s --write || exit 1; done

# A wheel and an sdist in dist/, as a release would publish them.
dist: install-test
	$(BIN)/python -m build --outdir dist .

clean:
	rm -rf $(VENV) build dist *.egg-info
