# ticketd — the two front doors are `make run` and `make test`; everything they need is installed by `make deps`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PORT ?= 3049
REDIS_PORT ?= 6379
SEED_EVENTS ?= 5
SEED_TICKETS ?= 10000
RELEASE_BIN = $(shell swift build -c release --show-bin-path 2>/dev/null)
REDIS_DIR := .redis
SWIFT_BUILD_FLAGS ?=
# Each group of tests under a deadline: a hung test fails the run within minutes and prints its threads (see the script).
SWIFT_TEST := bash scripts/test-watchdog.sh 600 swift test
# The fallback's suites, run by `make test-fallback` and as one group of `make test`, skipped by the other groups.
FALLBACK_TESTS := EscrowScriptTests|LocalEscrowTests|FallbackJournalTests|EscrowReleasePolicyTests|FallbackTests
# The tracing test's OTLP receiver decodes spans with the reference protobuf definitions, kept in a venv.
TEST_VENV := .venv-test
TEST_PYTHON_PACKAGES := opentelemetry-proto==1.45.2

# Debian packages the build, the tests and the benchmarks use, each checked by one file it installs.
APT_PACKAGES := redis-server:/usr/bin/redis-server redis-tools:/usr/bin/redis-benchmark pkg-config:/usr/bin/pkg-config \
	wrk:/usr/bin/wrk curl:/usr/bin/curl prometheus:/usr/bin/promtool \
	libhpdf-dev:/usr/include/hpdf.h libqrencode-dev:/usr/include/qrencode.h \
	fonts-dejavu-core:/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf poppler-utils:/usr/bin/pdftotext zbar-tools:/usr/bin/zbarimg \
	docker-compose:/usr/bin/docker-compose nginx:/usr/sbin/nginx

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Test-only Python tools for `make test-deploy` (pytest, PyYAML, openapi-spec-validator, schemathesis), in a venv.
DEPLOY_VENV := .venv-deploy

.PHONY: help deps deploy-deps trace-test-deps build test test-unit test-integration test-fallback test-release-binary test-bench-scripts test-deploy run load load-full \
	redis-up redis-down fuzz bench-redis-client bench-purchase bench-purchase-script bench-purchase-instructions bench-load-vs-wrk \
	bench-pdf bench-aof bench-tracing bench-floor bench-stripes cluster-demo cluster-demo-down lint clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-20s %s\n", $$1, $$2}'

deps: ## Install the missing Debian packages (apt-get update first, only if something is missing)
	@missing=""; for entry in $(APT_PACKAGES); do \
		package=$${entry%%:*}; file=$${entry#*:}; \
		[ -e "$$file" ] || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@command -v swift >/dev/null || { echo "swift is not on PATH: install Swift 6.2 or later (swift.org)"; exit 1; }

build: deps ## Build everything (debug)
	swift build $(SWIFT_BUILD_FLAGS)

test: deps trace-test-deps ## Run every test: unit, then integration against real redis-server processes (each group alone), then the races against the release build
	swift build --build-tests $(SWIFT_BUILD_FLAGS)
	$(SWIFT_TEST) --skip-build $(SWIFT_BUILD_FLAGS) --filter 'RESPClientTests|OTLPTracingTests|TicketCoreTests|TicketHTTPTests|TicketLoadTests|TicketPDFTests' --skip '$(FALLBACK_TESTS)'
	$(SWIFT_TEST) --skip-build $(SWIFT_BUILD_FLAGS) --filter RESPClientIntegrationTests
	$(SWIFT_TEST) --skip-build $(SWIFT_BUILD_FLAGS) --filter ClusterIntegrationTests
	$(SWIFT_TEST) --skip-build $(SWIFT_BUILD_FLAGS) --filter TicketRedisTests --skip '$(FALLBACK_TESTS)'
	$(SWIFT_TEST) --skip-build $(SWIFT_BUILD_FLAGS) --filter TicketdIntegrationTests --skip 'LoadTesterTests|PDFTicketTests|TraceExportTests|ClusterServeTests|LargeEventAuditTests|$(FALLBACK_TESTS)'
	$(SWIFT_TEST) --skip-build $(SWIFT_BUILD_FLAGS) --filter ClusterServeTests
	$(SWIFT_TEST) --skip-build $(SWIFT_BUILD_FLAGS) --filter PDFTicketTests
	$(SWIFT_TEST) --skip-build $(SWIFT_BUILD_FLAGS) --filter TraceExportTests
	$(SWIFT_TEST) --skip-build $(SWIFT_BUILD_FLAGS) --filter LoadTesterTests
	$(SWIFT_TEST) --skip-build $(SWIFT_BUILD_FLAGS) --filter '$(FALLBACK_TESTS)'
	$(MAKE) --no-print-directory test-deploy SKIP_SWIFT_BUILD=1
	$(MAKE) --no-print-directory test-bench-scripts
	$(MAKE) --no-print-directory test-release-binary

test-release-binary: deps ## The real-socket races (5000 connections; one Redis, and a cluster behind nginx) against the release build that make run and the Dockerfile ship
	swift build --build-tests $(SWIFT_BUILD_FLAGS)
	swift build -c release $(SWIFT_BUILD_FLAGS) --product ticketd
	TICKETD_BIN="$$(swift build -c release $(SWIFT_BUILD_FLAGS) --show-bin-path)/ticketd" \
		$(SWIFT_TEST) --skip-build $(SWIFT_BUILD_FLAGS) --filter 'ConcurrentPurchaseTests|LargeEventAuditTests'
	TICKETD_BIN="$$(swift build -c release $(SWIFT_BUILD_FLAGS) --show-bin-path)/ticketd" \
		$(SWIFT_TEST) --skip-build $(SWIFT_BUILD_FLAGS) --filter ClusterServeTests

test-bench-scripts: deps ## The benchmarks that call purchase.lua themselves, at a tiny size: they fail when they no longer match its keys
	SALES=320 bash bench/purchase-script/run.sh
	SALES=200 CLIENTS=5 bash bench/aof/run.sh

test-unit: deps ## Run only the tests that need no Redis
	swift test $(SWIFT_BUILD_FLAGS) --filter 'RESPClientTests|OTLPTracingTests|TicketCoreTests|TicketHTTPTests|TicketLoadTests|TicketPDFTests'

test-integration: deps ## Run only the tests against real redis-server processes
	swift test $(SWIFT_BUILD_FLAGS) --filter 'RESPClientIntegrationTests|ClusterIntegrationTests|TicketRedisTests|TicketdIntegrationTests'

test-fallback: deps ## Run the fallback tests: escrow scripts, journal, and Redis killed, hung and restarted under load
	swift build --build-tests $(SWIFT_BUILD_FLAGS)
	$(SWIFT_TEST) --skip-build $(SWIFT_BUILD_FLAGS) --filter '$(FALLBACK_TESTS)'

test-deploy: deps deploy-deps ## Check the Docker, compose, Prometheus, Grafana and OpenAPI files, against the live service
	@[ -n "$(SKIP_SWIFT_BUILD)" ] || swift build $(SWIFT_BUILD_FLAGS) --product ticketd
	TICKETD_BIN="$$(swift build $(SWIFT_BUILD_FLAGS) --show-bin-path)/ticketd" \
		$(DEPLOY_VENV)/bin/python -m pytest -p no:cacheprovider -q Tests/Deploy

deploy-deps: $(DEPLOY_VENV)/.installed

trace-test-deps: ## Install opentelemetry-proto into .venv-test/ for the tracing test's OTLP receiver
	@$(TEST_VENV)/bin/python3 -c 'import opentelemetry.proto' 2>/dev/null || { \
		python3 -c 'import venv, ensurepip' 2>/dev/null || { $(SUDO) apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends python3 python3-venv; }; \
		echo "installing opentelemetry-proto into $(TEST_VENV)/"; \
		rm -rf $(TEST_VENV) && python3 -m venv $(TEST_VENV) && \
		$(TEST_VENV)/bin/pip install -q --disable-pip-version-check $(TEST_PYTHON_PACKAGES); \
	}

$(DEPLOY_VENV)/.installed: Tests/Deploy/requirements.txt
	@python3 -c 'import venv, ensurepip' 2>/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends python3 python3-venv; }
	rm -rf $(DEPLOY_VENV)
	python3 -m venv $(DEPLOY_VENV)
	$(DEPLOY_VENV)/bin/pip install --quiet --disable-pip-version-check -r Tests/Deploy/requirements.txt
	touch $@

redis-up: deps ## Start a local Redis on REDIS_PORT (AOF, appendfsync always) unless one answers there already
	@if redis-cli -p $(REDIS_PORT) ping >/dev/null 2>&1; then \
		echo "Redis already answers on port $(REDIS_PORT)"; \
	else \
		mkdir -p $(REDIS_DIR); \
		redis-server --port $(REDIS_PORT) --bind 127.0.0.1 --dir $(CURDIR)/$(REDIS_DIR) --appendonly yes --appendfsync always \
			--save "" --daemonize yes --pidfile $(CURDIR)/$(REDIS_DIR)/redis.pid --logfile $(CURDIR)/$(REDIS_DIR)/redis.log; \
		for i in $$(seq 1 100); do redis-cli -p $(REDIS_PORT) ping >/dev/null 2>&1 && break; sleep 0.05; done; \
		redis-cli -p $(REDIS_PORT) ping >/dev/null && echo "started Redis on port $(REDIS_PORT) (data in $(REDIS_DIR)/)"; \
	fi

redis-down: ## Stop the Redis that `make redis-up` started
	@if [ -f $(REDIS_DIR)/redis.pid ]; then redis-cli -p $(REDIS_PORT) shutdown nosave >/dev/null 2>&1 || true; rm -f $(REDIS_DIR)/redis.pid; echo "stopped"; fi

run: deps ## Install what is missing, start a local Redis unless REDIS_URL is set, build, seed, serve on PORT (3049)
	@if [ -z "$$REDIS_URL" ]; then $(MAKE) --no-print-directory redis-up; else echo "using REDIS_URL=$$REDIS_URL"; fi
	swift build -c release --product ticketd
	$(RELEASE_BIN)/ticketd seed $(SEED_EVENTS) $(SEED_TICKETS)
	PORT=$(PORT) $(RELEASE_BIN)/ticketd serve

load: deps ## Load-test the server at TEST_URL (default http://localhost:3049) with ticket-load: make load ARGS="--connections 5000"
	swift build -c release --product ticketd
	swift build -c release --product ticket-load
	$(RELEASE_BIN)/ticket-load $(ARGS)

load-full: deps ## ticket-load's suite against the server at TEST_URL: resets events 1-5 of REDIS_URL, one verdict per scenario
	swift build -c release --product ticketd
	swift build -c release --product ticket-load
	$(RELEASE_BIN)/ticket-load --full --connections 5000 $(ARGS)

cluster-demo: deps ## A local 3-primary Redis Cluster, 3 ticketd instances and nginx in front on PORT (release build; TICKETD_BIN overrides)
	bash bench/cluster/demo.sh up

cluster-demo-down: ## Stop what `make cluster-demo` started
	bash bench/cluster/demo.sh down

fuzz: ## Fuzz the RESP decoder with libFuzzer (RUNS=10000000 by default)
	bash Fuzz/run-fuzzer.sh $(RUNS)

bench-redis-client: deps ## Benchmark the Redis client against redis-benchmark (release build)
	bash bench/redis-client/run.sh

bench-purchase: deps ## wrk at 5000 connections: POST /buy against the no-op route of the same server, logging on and off
	bash bench/purchase/run.sh

bench-load-vs-wrk: deps ## ticket-load against wrk at 5000 connections on the same server and pool (release builds)
	bash bench/load-vs-wrk/run.sh

bench-pdf: deps ## Purchases/s with the PDF renderer on vs off (wrk, 2000 connections), PDFs per CPU-second, bytes per PDF
	bash bench/pdf/run.sh

bench-tracing: deps ## wrk at 5000 connections: purchases/s with tracing off, on (every purchase sampled) and at 1%, A B B A
	bash bench/tracing/run.sh

bench-floor: deps ## The framework's own floor at 5000 connections: SwiftNIO and Hummingbird alone, one await, a recording tracer
	bash bench/floor/run.sh

bench-stripes: deps ## One hot event in 1 vs 3 stripes on a local 3-primary cluster: purchases/s, Redis CPU per purchase, busiest node
	bash bench/stripes/run.sh

bench-purchase-script: deps ## Redis CPU and memory per purchase of purchase.lua, driven by redis-benchmark
	bash bench/purchase-script/run.sh

bench-aof: deps ## What AOF durability costs a purchase: appendfsync always vs everysec vs off (redis-benchmark)
	bash bench/aof/run.sh

bench-purchase-instructions: deps ## Instructions Redis spends per purchase (callgrind): comparable on a busy machine
	bash bench/purchase-script/instructions.sh

lint: ## Check formatting with swift-format
	swift format lint --strict --recursive Sources Tests bench Fuzz

clean: ## Remove build products
	rm -rf .build .build-* fuzz-artifacts $(DEPLOY_VENV)
