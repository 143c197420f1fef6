# Closeloop — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test unit integration e2e lint bench demo clean help deploy deploy-dry-run sam-cli

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

lint: $(STAMP)  ## ruff, mypy strict on every package, import-layer contracts, cfn-lint
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
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .aws-sam .sam-venv

# ------------------------------------------------------------------ deploy (docs/deploy.md)
# Parameters: samconfig.toml's [default] and [$(STAGE)] tables, then PARAMS="Key=Value ...".
STAGE  ?=
PARAMS ?=
BUILD  ?= full

deploy: $(STAMP) $(if $(shell command -v sam),,.sam-venv/bin/sam)  ## build and deploy a stage: make deploy STAGE=prod [PARAMS="Key=Value ..."] [CONFIRM=1]
	$(BIN)/python -m infra.deploy deploy --stage "$(STAGE)" --params "$(PARAMS)" $(if $(CONFIRM),--confirm)

# aws-sam-cli pins older boto3/pydantic than the functions' own: it gets a virtualenv of its own.
SAM_CLI_VERSION := 1.170.0
sam-cli: .sam-venv/bin/sam  ## install the sam CLI (aws-sam-cli $(SAM_CLI_VERSION)) into .sam-venv for make deploy
.sam-venv/bin/sam:
	$(PYTHON) -m venv .sam-venv
	.sam-venv/bin/python -m pip install --quiet --disable-pip-version-check aws-sam-cli==$(SAM_CLI_VERSION)

deploy-dry-run: $(STAMP)  ## make deploy without AWS or sam: checks, builds (BUILD=full|code|none), prints the parameters
	$(BIN)/python -m infra.deploy dry-run --stage "$(STAGE)" --params "$(PARAMS)" --build "$(BUILD)"

# ------------------------------------------------------------------ sam build
# template.yaml gives every function and layer `BuildMethod: makefile`: `sam build` runs
# `make build-<LogicalId>` with ARTIFACTS_DIR set (make deploy-dry-run runs the same targets).
#   build-<Function>   the runtime packages only (not infra/, tests/, bench/): no dependency
#   build-CommonLayer  what every function imports, from lambda/common.lock (hashes required)
#   build-SheetsLayer  what only rules-sync and kpi-snapshot add (gspread, google-auth,
#                      cryptography, openpyxl), from lambda/sheets.lock
# One pip run per layer, none per function. Then nothing Lambda never reads (unused botocore
# service models, phonenumbers' geocoding and carrier data, pycountry's and holidays'
# translations: only codes and dates are read; type stubs), and bytecode for Python 3.11
# (/var/task and /opt are read-only: without it every cold start compiles everything) with
# unchecked-hash pycs (no source stat on import). make deploy-dry-run imports every handler
# from what this builds, with nothing else on the path.
LAMBDA_LAYERS    := CommonLayer SheetsLayer
LAMBDA_PACKAGES  := shared functions schedules admin_sheets
LAMBDA_PLATFORM  := --platform manylinux2014_aarch64 --implementation cp --python-version 3.11 --only-binary=:all:
# botocore service models the code and its libraries call (tests/integration/local/test_build.py
# checks every client the code makes is here)
BOTOCORE_SERVICES := dynamodb dynamodbstreams sqs events secretsmanager ses sesv2 sts
# dns: email-validator's deliverability check, off (check_deliverability=False); Powertools'
# event handler and parser: unused (the API is Chalice; its messages are shared/*/messages' pydantic models);
# pydantic's v1 copy and its mypy plugin: never imported
LAYER_PRUNE      := pycountry/locales pycountry/tests phonenumbers/geodata phonenumbers/carrierdata phonenumbers/tzdata \
                    holidays/locale dns aws_lambda_powertools/event_handler aws_lambda_powertools/utilities/parser \
                    pydantic/v1 pydantic/mypy.py
# the bytecode must be Lambda's Python's (3.11): a pyc of another version is never read
LAMBDA_PYTHON    ?= $(shell command -v python3.11 2>/dev/null || echo $(PYTHON))
NEED_ARTIFACTS    = $(if $(ARTIFACTS_DIR),,$(error ARTIFACTS_DIR is not set: sam build sets it, or make $@ ARTIFACTS_DIR=dir))
COMPILE           = $(LAMBDA_PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "bytecode for Lambda needs Python 3.11 (LAMBDA_PYTHON=...)")' && \
                    $(LAMBDA_PYTHON) -m compileall -q -j 2 --invalidation-mode unchecked-hash

.PHONY: lambda-code lambda-lock lambda-lock-check $(addprefix build-,$(LAMBDA_LAYERS))

# every function of template.yaml (its logical id ends in Function): the code, nothing of its own;
# a new function needs no line here
build-%Function: lambda-code ;

build-CommonLayer: LAYER = common
build-SheetsLayer: LAYER = sheets
$(addprefix build-,$(LAMBDA_LAYERS)):
	$(NEED_ARTIFACTS)
	rm -rf "$(ARTIFACTS_DIR)/python" && mkdir -p "$(ARTIFACTS_DIR)/python"
ifeq ($(SKIP_DEPENDENCIES),)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --no-warn-conflicts --no-compile --no-deps \
		--require-hashes --target "$(ARTIFACTS_DIR)/python" $(LAMBDA_PLATFORM) -r lambda/$(LAYER).lock
else
	@echo "SKIP_DEPENDENCIES: lambda/$(LAYER).lock not installed into $(ARTIFACTS_DIR)"
endif
	cd "$(ARTIFACTS_DIR)/python" && rm -rf $(LAYER_PRUNE) bin && \
		if [ -d botocore/data ]; then find botocore/data -mindepth 1 -maxdepth 1 -type d \
			$(foreach s,$(BOTOCORE_SERVICES),! -name $(s)) -exec rm -rf {} +; fi && \
		find . \( -name __pycache__ -o -name '*.pyi' \) -prune -exec rm -rf {} +
	$(COMPILE) "$(ARTIFACTS_DIR)/python"

lambda-code:  ## copy the runtime packages into ARTIFACTS_DIR, compiled (the code part of sam build)
	$(NEED_ARTIFACTS)
	mkdir -p "$(ARTIFACTS_DIR)"
	rm -rf $(addprefix "$(ARTIFACTS_DIR)"/,$(LAMBDA_PACKAGES))
	cp -R $(LAMBDA_PACKAGES) "$(ARTIFACTS_DIR)/"
	find $(addprefix "$(ARTIFACTS_DIR)"/,$(LAMBDA_PACKAGES)) -name __pycache__ -prune -exec rm -rf {} +
	$(COMPILE) $(addprefix "$(ARTIFACTS_DIR)"/,$(LAMBDA_PACKAGES))

lambda-lock:  ## re-resolve lambda/*.lock from lambda/*.in (after changing a dependency)
	$(PYTHON) -m tools.lambda_lock

lambda-lock-check:  ## are lambda/*.in, lambda/*.lock and pyproject.toml in step?
	$(PYTHON) -m tools.lambda_lock --check
