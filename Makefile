# yiwang: every target creates the virtual environment it needs (.venv) by itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check
CONSTRAINTS := requirements/constraints.txt

.DEFAULT_GOAL := help
.PHONY: help run test test-dates lint bench docs clean lock

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: $(BIN)/python pyproject.toml $(CONSTRAINTS)
	$(PIP_INSTALL) -c $(CONSTRAINTS) -e .
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime
	$(PIP_INSTALL) -c $(CONSTRAINTS) -e '.[dev]'
	@touch $@

# npm packages the browser tests use (axe-core), exactly as package-lock.json pins them.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# `make run PORT=8080 HOST=127.0.0.1`; the environment's PORT and HOST are not read. Several
# addresses, space-separated, listen on each; none means every IPv4 and IPv6 address.
PORT := 8000
HOST :=
run: $(VENV)/.runtime ## Serve the demo on port 8000, every address (PORT=8080, HOST=127.0.0.1)
	$(BIN)/yiwang serve --demo --port $(PORT) $(addprefix --host ,$(HOST))

test: $(VENV)/.dev node_modules/.installed ## Run the whole suite on SQLite and PostgreSQL
	$(BIN)/pytest

# The last working day of a year, a day in the week before Spring Festival, a leap day and a
# year's end in a year with no official holiday schedule.
DATES ?= 2027-12-31 2028-01-20 2028-02-29 2029-12-31
# Only the modules that hold date-sensitive tests are collected (collecting all takes longer).
DATED_TESTS = $(shell grep -rl --include='*.py' 'mark.dates' tests)

test-dates: $(VENV)/.dev ## Run the date-sensitive tests with the clock pinned to awkward days
	@for day in $(DATES); do \
	  echo "== the date-sensitive tests on $$day"; \
	  YIWANG_TEST_CLOCK=$$day $(BIN)/pytest -q -m dates $(DATED_TESTS) || exit 1; \
	done

lint: $(VENV)/.dev ## ruff, mypy, import contracts, model/migration drift
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	YIWANG_DATABASE_URL=sqlite:///$(CURDIR)/var/lint-check.db $(BIN)/yiwang db upgrade >/dev/null
	YIWANG_DATABASE_URL=sqlite:///$(CURDIR)/var/lint-check.db $(BIN)/yiwang db check
	@rm -f var/lint-check.db*

bench: $(VENV)/.dev ## Run bench/, write bench/results/*.json and docs/performance.md
	$(BIN)/python -m bench

docs: $(VENV)/.dev ## Write docs/openapi.json and run the documentation examples
	$(BIN)/yiwang openapi > docs/openapi.json
	$(BIN)/pytest -q tests/docs

lock: $(VENV)/.dev ## Re-pin every dependency into requirements/constraints.txt
	$(BIN)/python -m pip freeze --exclude-editable | grep -v -e '^-e ' -e '^py-spy=' > $(CONSTRAINTS)


clean: ## Remove the virtual environment and caches (keeps ./var)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
