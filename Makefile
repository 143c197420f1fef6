# Closeloop — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test unit integration e2e lint bench demo clean help

help:  ## show the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing dependencies into $(VENV) (about a minute the first time; pip names each package) ..."
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar off -e '.[dev]'
	@rm -f $(VENV)/.installed-*; touch $@
	@echo "dependencies installed"

run: $(STAMP)  ## start the local stack on the example rules (API :8000, embedded AWS :4566)
	$(BIN)/closeloop dev

test: $(STAMP)  ## every test: unit, integration (moto), e2e (local stack)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

demo: $(STAMP)  ## the whole loop in a minute, narrated (closeloop demo)
	$(BIN)/closeloop demo

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

.PHONY: soak
soak: $(STAMP)  ## 20 min of mixed traffic into closeloop dev (SOAK_MINUTES, SOAK_RATE=2/s) → bench/soak.json
	$(BIN)/python -m bench.soak

clean:  ## remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

# ------------------------------------------------------------------ sam build
# template.yaml gives every function `BuildMethod: makefile`: `sam build` runs
# `make build-<LogicalId>` with ARTIFACTS_DIR set. All functions ship the same bundle, made by
# one recipe: the runtime packages (not infra/, tests/, bench/) and the runtime dependencies,
# read from pyproject.toml's [project] dependencies (the one list), as wheels for Lambda's
# arm64 / Python 3.11.
LAMBDA_FUNCTIONS := ApiFunction OutboxPublisherFunction RulesSyncFunction OutboxSweepFunction TimerSweepFunction DeliveryFunction \
                    KpiRollupFunction KpiSnapshotFunction HealthSweepFunction
LAMBDA_PACKAGES  := shared functions schedules admin_sheets
LAMBDA_PLATFORM  := --platform manylinux2014_aarch64 --implementation cp --python-version 3.11 --only-binary=:all:
RUNTIME_DEPS      = $(PYTHON) -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))'
NEED_ARTIFACTS    = $(if $(ARTIFACTS_DIR),,$(error ARTIFACTS_DIR is not set: sam build sets it, or make $@ ARTIFACTS_DIR=dir))

.PHONY: lambda-requirements lambda-code lambda-deps $(addprefix build-,$(LAMBDA_FUNCTIONS))

$(addprefix build-,$(LAMBDA_FUNCTIONS)): lambda-code lambda-deps

lambda-requirements:  ## print the Lambda runtime dependencies (from pyproject.toml)
	@$(RUNTIME_DEPS)

lambda-code:  ## copy the runtime packages into ARTIFACTS_DIR (the code part of sam build)
	$(NEED_ARTIFACTS)
	mkdir -p "$(ARTIFACTS_DIR)"
	rm -rf $(addprefix "$(ARTIFACTS_DIR)"/,$(LAMBDA_PACKAGES))
	cp -R $(LAMBDA_PACKAGES) "$(ARTIFACTS_DIR)/"
	find $(addprefix "$(ARTIFACTS_DIR)"/,$(LAMBDA_PACKAGES)) -name __pycache__ -prune -exec rm -rf {} +

lambda-deps:  ## pip install the runtime dependencies for Lambda (arm64, py3.11) into ARTIFACTS_DIR
	$(NEED_ARTIFACTS)
	mkdir -p "$(ARTIFACTS_DIR)"
	deps="$$($(RUNTIME_DEPS))" && test -n "$$deps" && printf '%s\n' "$$deps" | \
		$(PYTHON) -m pip install --quiet --disable-pip-version-check --no-warn-conflicts --no-compile --upgrade \
		--target "$(ARTIFACTS_DIR)" $(LAMBDA_PLATFORM) -r /dev/stdin
