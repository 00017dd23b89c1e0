# One entry point for people and CI. `make run` runs the platform on embedded defaults;
# `make test` runs every suite. Both bootstrap what they need through `make setup`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.setup-stamp
SRC_TREES := scripts/loan-generator/src scripts/platform-testkit/src db-bootstrap/src risk-monitoring/src \
             scripts/release-tool/src scripts/platform-status/src \
             feature-pipeline/src model-training/src inference-service/src
PY_TREES  := scripts e2e db-bootstrap risk-monitoring feature-pipeline model-training inference-service infra/tests infra/scripts
LOCKS     := requirements.lock requirements-checkov.lock requirements-bootstrap.lock
PYPROJECTS := $(wildcard scripts/*/pyproject.toml) db-bootstrap/pyproject.toml risk-monitoring/pyproject.toml feature-pipeline/pyproject.toml \
              model-training/pyproject.toml inference-service/pyproject.toml

# Where `make run` keeps its work (generated data, lake, store, registry, bundle).
RUN_DIR   ?= var/run
CUSTOMERS ?= 36457
SEED      ?= 42
PORT      ?= 8000
# The day `make run`'s synthetic world stands on (its store is as of this day); `make status`
# judges staleness on it. In AWS, `platform-status status` judges it on today's date.
AS_OF     ?= 2021-01-01
UI_PORT   ?= 5000

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

.PHONY: setup
setup: $(STAMP) ## create .venv (all services + tools) and .venv-checkov from the hashed locks

$(STAMP): $(LOCKS) $(PYPROJECTS) scripts/dev/setup.sh
	@scripts/dev/setup.sh
	@touch $@

.PHONY: lock
lock: ## re-resolve the hashed locks after a dependency change
	@scripts/dev/lock.sh

.PHONY: lint
lint: setup ## ruff lint + format check, mypy on every src/ tree
	$(BIN)/ruff check $(PY_TREES)
	$(BIN)/ruff format --check $(PY_TREES)
	$(BIN)/mypy $(wildcard $(SRC_TREES))

.PHONY: format
format: setup ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix $(PY_TREES)
	$(BIN)/ruff format $(PY_TREES)

.PHONY: test
test: setup lint ## every test suite: all services, tools and infra
	$(BIN)/python scripts/dev/run_suites.py

.PHONY: run
run: setup ## the whole flow on embedded defaults: data, features, training, gate, registry, API
	RUN_DIR=$(RUN_DIR) CUSTOMERS=$(CUSTOMERS) SEED=$(SEED) PORT=$(PORT) AS_OF=$(AS_OF) scripts/run_platform.sh

.PHONY: serve
serve: setup ## start the API on localhost with the bundle and store that `make run` produced
	RUN_DIR=$(RUN_DIR) PORT=$(PORT) scripts/run_platform.sh serve

.PHONY: stop
stop: ## stop the API that `make run` left running
	RUN_DIR=$(RUN_DIR) scripts/run_platform.sh stop

.PHONY: status
status: setup ## what is live (store, registry, served bundle, traffic, monitoring); exit 1 if they disagree
	$(BIN)/platform-status status --run-dir $(RUN_DIR) --today $(AS_OF)

.PHONY: registry-ui
registry-ui: setup ## the MLflow UI on the `make run` registry, on http://127.0.0.1:$(UI_PORT)
	$(BIN)/platform-status registry-ui --run-dir $(RUN_DIR) --port $(UI_PORT)

.PHONY: scorecard
scorecard: setup ## the ML Test Score from the last `make test` results (var/test-reports)
	$(BIN)/platform-status scorecard

.PHONY: e2e
e2e: setup ## the release flow end to end on emulated AWS (moto) and a real local Postgres
	$(BIN)/python -m pytest e2e/tests -q

.PHONY: new-market
new-market: setup ## scaffold infra/live/<MARKET>/{staging,prod}: make new-market MARKET=co REGION=us-east-1
	@test -n "$(MARKET)" -a -n "$(REGION)" || { echo "usage: make new-market MARKET=<two-letter code> REGION=<aws region>" >&2; exit 2; }
	$(BIN)/python infra/scripts/new_market.py $(MARKET) $(REGION)

.PHONY: bench-generate
bench-generate: setup ## time the full-size synthetic dataset generation
	$(BIN)/python scripts/loan-generator/benchmarks/bench_generate.py

.PHONY: bench-features
bench-features: setup ## full-size feature pipeline: wall time per stage and peak memory
	$(BIN)/python feature-pipeline/benchmarks/bench_features.py

.PHONY: bench-train
bench-train: setup ## full-size training set, search included
	$(BIN)/python model-training/benchmarks/bench_train.py

.PHONY: bench-api
bench-api: setup ## cold start, warm handler latency, HTTP throughput and memory
	$(BIN)/python inference-service/benchmarks/bench_api.py

.PHONY: bench-monitor
bench-monitor: setup ## a day of prediction logs (8.64 M lines) through the monitoring job
	$(BIN)/python risk-monitoring/benchmarks/bench_monitor.py

.PHONY: clean
clean: ## remove run outputs and caches (keeps the virtualenvs)
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
