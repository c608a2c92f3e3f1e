# The two commands of the README, and the pieces they are made of.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo run test lint

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

# Install, then run the demo: simulated vendors, the service on the embedded SQLite
# database (bridge.db here), a connection per team and a first sync.
demo: install
	$(BIN)/bridge demo

# Install, then serve the API on the embedded SQLite database.
run: install
	$(BIN)/bridge serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The browser tests drive Debian's chromium (Playwright downloads no browser);
# installed here when missing, which needs apt and root.
CHROMIUM ?= /usr/bin/chromium
$(CHROMIUM):
	apt-get update && apt-get install -y --no-install-recommends chromium

# Install, then every check CI runs: lint, types, and the tests on SQLite and
# PostgreSQL, the dashboard's in a real browser.
test: lint $(CHROMIUM)
	$(BIN)/pytest
