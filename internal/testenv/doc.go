// Package testenv gives tests the real parts they run against: a throwaway
// PostgreSQL database, the third-party peers installed under tools/peers,
// and a directory for artifacts.
//
// Under `make test` (GATEHOUSE_REQUIRE_PEERS=1) a missing part fails the
// test; under a bare `go test` it skips it with the reason, so a developer
// without PostgreSQL or npm can still run the rest.
package testenv
