package provisioningdb_test

import (
	"context"
	"testing"

	"github.com/gatehouse-id/gatehouse/internal/provisioning"
	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/provisioningdb"
	"github.com/gatehouse-id/gatehouse/internal/store/storetest"
)

// opener opens dsn as a provisioning store and gives the suite its hook to
// open more nodes on the same database; every store is closed when the test
// ends.
func opener(t *testing.T, dsn string) (provisioning.Store, func() provisioning.Store) {
	t.Helper()
	open := func() provisioning.Store {
		t.Helper()
		db, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		return provisioningdb.New(db)
	}
	return open(), open
}

// TestProvisioning runs the conformance suite on SQLite and PostgreSQL.
func TestProvisioning(t *testing.T) {
	storetest.Backends(t, "provisioning", func(t *testing.T, newDSN func(t *testing.T) string) {
		storetest.RunProvisioning(t, func(t *testing.T) (provisioning.Store, func() provisioning.Store) {
			return opener(t, newDSN(t))
		})
	})
}
