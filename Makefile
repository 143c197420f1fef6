# Closeloop — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test unit integration e2e lint bench clean help

help:  ## show the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*; touch $@

run: $(STAMP)  ## start the local stack on the example rules (API :8000, embedded AWS :4566)
	$(BIN)/closeloop dev

test: $(STAMP)  ## every test: unit, integration (moto), e2e (local stack)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

unit: $(STAMP)  ## fast tests only
	$(BIN)/python -m pytest -q tests/unit

lint: $(STAMP)  ## ruff, mypy on the core, import-layer contracts, cfn-lint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/cfn-lint template.yaml

bench: $(STAMP)  ## benchmarks → bench/results.json
	$(BIN)/python -m bench

clean:  ## remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
