#!/usr/bin/env bash
# make bench: the long benchmarks whose figures docs/benchmarks.md records,
# with the same commands. Run them on a quiet machine: every figure shares
# the two cores with its own load generator, and anything else running
# moves it. The output goes to stdout; nothing is asserted.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
go build -o bin/gatehouse ./cmd/gatehouse
g=bin/gatehouse

run() {
  echo
  echo "\$ gatehouse $*"
  "$g" "$@"
}

run bench scim --users 100000 --workers 64 --lookups 20000
run bench provisioning joiners --joiners 1000 --rate 50
run bench provisioning initial-sync --users 100000 --groups 10000 --members-per-group 100 --workers 128
run bench provisioning initial-sync --users 100000 --groups 10000 --members-per-group 100 --workers 128 --no-audit
run bench saml --clients 32 --duration 9s --rounds 3
run bench saml --clients 32 --duration 9s --rounds 3 --no-audit
run bench pim --activations 200
