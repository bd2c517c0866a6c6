# yiwang: every target creates the virtual environment it needs (.venv) by itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check
CONSTRAINTS := requirements/constraints.txt

.DEFAULT_GOAL := help
.PHONY: help run test lint bench docs clean lock

help: ## Show the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-6s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: $(BIN)/python pyproject.toml $(CONSTRAINTS)
	$(PIP_INSTALL) -c $(CONSTRAINTS) -e .
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime
	$(PIP_INSTALL) -c $(CONSTRAINTS) -e '.[dev]'
	@touch $@

run: $(VENV)/.runtime ## Serve on port 8000 (IPv4 and IPv6) with the demo data
	$(BIN)/yiwang serve --demo

test: $(VENV)/.dev ## Run the whole suite on SQLite and PostgreSQL
	$(BIN)/pytest

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
