# Customer Management developer entry points. See README.md.

GO ?= go
TEST_FLAGS ?=
# Tests create and drop their own databases on this server.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
export TEST_DATABASE_URL
# The S3 storage tests run against this versitygw binary (scripts/ensure-versitygw.sh builds it).
VERSITYGW ?= $(CURDIR)/bin/tools/versitygw
export VERSITYGW

.PHONY: build run test bench lint clean

## build: compile api, projector, exporter and bench into bin/
build:
	$(GO) build -o bin/ ./cmd/...

## run: start everything locally (embedded NATS, local Postgres, all binaries)
run:
	bash scripts/run.sh

## test: lint, then every test against real NATS and Postgres
test:
	DATABASE_URL='$(TEST_DATABASE_URL)' bash scripts/ensure-postgres.sh
	bash scripts/ensure-versitygw.sh
	bash scripts/ensure-libreoffice.sh
	bash scripts/ensure-chromium.sh
	bash scripts/lint.sh
	$(GO) test -race -count=1 -timeout 20m ./... $(TEST_FLAGS)

## bench: run the benchmark program against the local Postgres
bench:
	bash scripts/ensure-postgres.sh && $(GO) run ./cmd/bench

## lint: gofmt, go vet and staticcheck
lint:
	bash scripts/lint.sh

## clean: remove build output and local data (var/ holds NATS and Postgres data)
clean:
	rm -rf bin/ var/
