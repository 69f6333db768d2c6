package directorydb_test

import (
	"context"
	"testing"

	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
	"github.com/gatehouse-id/gatehouse/internal/store/storetest"
)

// opener opens dsn as a directory store and gives the suite its hook to
// open more nodes on the same database; every store is closed when the test
// ends.
func opener(t *testing.T, dsn string) (storetest.Directory, func() storetest.Directory) {
	t.Helper()
	open := func() storetest.Directory {
		t.Helper()
		db, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		return directorydb.New(db)
	}
	return open(), open
}

// TestDirectory runs the conformance suite on SQLite and PostgreSQL.
func TestDirectory(t *testing.T) {
	storetest.Backends(t, "directory", func(t *testing.T, newDSN func(t *testing.T) string) {
		storetest.RunDirectory(t, func(t *testing.T) (storetest.Directory, func() storetest.Directory) {
			return opener(t, newDSN(t))
		})
	})
}
