#!/usr/bin/env bash
# make test: install what the tests need, start a throwaway PostgreSQL, run
# every test with the real peers required (a missing peer fails instead of
# skipping).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# shellcheck source=scripts/deps.sh
. scripts/deps.sh
install_deps

# shellcheck source=scripts/postgres.sh
. scripts/postgres.sh
start_postgres
trap stop_postgres EXIT

export GATEHOUSE_TEST_POSTGRES="$PG_DSN"
export GATEHOUSE_REQUIRE_PEERS=1
export GATEHOUSE_PEERS_DIR="$root/tools/peers"
mkdir -p test-artifacts
export GATEHOUSE_ARTIFACTS="$root/test-artifacts"

test -z "$(gofmt -l $(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $(git ls-files '*.go'); exit 1; }
go vet ./...
go test -count=1 -timeout 30m ./...
