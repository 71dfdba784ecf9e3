# Offload — `make help` lists the targets.
#
# Variables (override on the command line or in the environment):
#   SWIFT              the swift driver                      (default: swift)
#   SCRATCH_PATH       SwiftPM's build folder                (default: .build)
#   SWIFT_BUILD_FLAGS  extra flags for swift build/test, e.g. CI's -Xswiftc -warnings-as-errors
#   DATABASE_URL       if set, tests use this server instead of a throwaway local one
#   CHAOS_FLAGS        options for `make chaos`, e.g. --jobs 5000 --duration 20 (offload chaos --help)
#   BENCH_ARGS         flags for `make bench`, e.g. --quick, --runs 5, --only burndown,limit, --json

SWIFT ?= swift
SCRATCH_PATH ?= .build
SWIFT_BUILD_FLAGS ?=
SWIFT_FLAGS = --scratch-path $(SCRATCH_PATH) $(SWIFT_BUILD_FLAGS)
# Where the built executables land for these flags (asks SwiftPM; builds nothing).
BIN_PATH = $(shell $(SWIFT) build $(SWIFT_FLAGS) --show-bin-path)

.DEFAULT_GOAL := help
.PHONY: help deps build test demo chaos local-start local-stop clean format lint

help: ## Show this list
	@echo "Usage: make <target> [SWIFT_BUILD_FLAGS=...] [SCRATCH_PATH=...]"
	@awk 'BEGIN { FS = ":.*## " } /^[a-zA-Z0-9_-]+:.*## / { printf "  %-14s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

deps: ## Install PostgreSQL and libpq if missing (apt-get as root on Debian; else says what to install)
	@scripts/install-deps.sh

build: deps ## Build everything (debug)
	$(SWIFT) build $(SWIFT_FLAGS)

# The Swift sources swift-format checks (.swift-format); the generated migrations file opts out.
FORMAT_PATHS = Package.swift Sources Tests Examples

format: ## Format the Swift sources in place (.swift-format)
	$(SWIFT) format --in-place --recursive --parallel $(FORMAT_PATHS)

lint: ## Check that the Swift sources are formatted (make test runs it first; make format fixes it)
	$(SWIFT) format lint --strict --recursive --parallel $(FORMAT_PATHS)

test: deps lint ## Lint, build, then run all tests against a throwaway PostgreSQL, or DATABASE_URL if set
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)
	OFFLOAD_BIN="$(BIN_PATH)/offload" scripts/with-local-postgres.sh $(SWIFT) test $(SWIFT_FLAGS)

demo: ## The example app end to end: API + 2 workers under load; API latency vs background time (DEMO_*=...)
	@SWIFT="$(SWIFT)" scripts/demo.sh

chaos: build ## Kill workers, restart PostgreSQL, cut connections while 20,000 jobs run; check nothing is lost (CHAOS_FLAGS=...)
	"$(BIN_PATH)/offload" chaos $(CHAOS_FLAGS)

local-start: build ## Start the project's PostgreSQL (.offload/postgres, port 54329) and print its URL
	@"$(BIN_PATH)/offload" local start

local-stop: build ## Stop the project's PostgreSQL (the data stays in .offload/postgres)
	@"$(BIN_PATH)/offload" local stop

clean: ## Remove build products (keeps .offload/, the local databases)
	rm -rf $(SCRATCH_PATH)

.PHONY: bench
bench: deps ## Release build, then `offload bench` (BENCHMARKS.md); pass flags as BENCH_ARGS="--quick" etc.
	$(SWIFT) build -c release $(SWIFT_FLAGS)
	"$$($(SWIFT) build -c release $(SWIFT_FLAGS) --show-bin-path)/offload" bench $(BENCH_ARGS)
