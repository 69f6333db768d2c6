# The targets are the commands the README and CI use.
.PHONY: all build test test-go demo bench fuzz lint

all: build

build:
	go build -o bin/gatehouse ./cmd/gatehouse

# Everything: installs what the tests need (PostgreSQL, npm peers), starts a
# throwaway PostgreSQL on 127.0.0.1, runs every Go test against SQLite and
# PostgreSQL and the third-party peers.
test:
	./scripts/test.sh

# Go tests only, with whatever is installed (peers that are missing are
# skipped with a message).
test-go:
	go test ./...

demo:
	go run ./cmd/gatehouse demo

# Long benchmarks, recorded in docs/benchmarks.md.
bench:
	./scripts/bench.sh

fuzz:
	go test -run='^$$' -fuzz=FuzzParse -fuzztime=60s ./internal/scim/filter/
	go test -run='^$$' -fuzz=FuzzParsePath -fuzztime=60s ./internal/scim/filter/

lint:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))"
	go vet ./...
