# breachpath — the two commands of the README's quick start are `make demo`
# and `make test`; everything else here is for development.
SHELL := /bin/bash
GO ?= go
BIN := bin/breachpath

.PHONY: demo test build web neo4j-up neo4j-down moto-up moto-down azurite-up azurite-down bench fuzz vet fmt clean

## demo: build breachpath and load the synthetic demo estate into ./breachpath.db
demo: build
	./$(BIN) demo

## test: every test, against a real Neo4j, a real moto server and a real headless Chromium
test:
	scripts/test.sh

build:
	$(GO) build -o $(BIN) ./cmd/breachpath

## web: rebuild the explorer's embedded assets (web/dist) from web/src; a test checks they are current
web:
	cd web && npm ci --no-audit --no-fund && npm run build

neo4j-up:
	scripts/neo4j-dev.sh up

neo4j-down:
	scripts/neo4j-dev.sh down

moto-up:
	scripts/moto.sh up

moto-down:
	scripts/moto.sh down

azurite-up:
	scripts/azurite.sh up

azurite-down:
	scripts/azurite.sh down

## bench: the Go benchmarks recorded in docs/benchmarks.md
bench:
	scripts/bench.sh

## fuzz: a short run of every fuzz target (FUZZTIME=30s by default)
fuzz:
	scripts/fuzz.sh

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin .build artifacts
