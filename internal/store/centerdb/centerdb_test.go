package centerdb_test

import (
	"context"
	"testing"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/centerdb"
	"github.com/gatehouse-id/gatehouse/internal/store/storetest"
)

// opener opens dsn as a center store and gives the suite its reopen hook;
// the store open last is closed when the test ends.
func opener(t *testing.T, dsn string) (center.Store, func() center.Store) {
	t.Helper()
	var db *store.DB
	open := func() center.Store {
		t.Helper()
		if db != nil {
			if err := db.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			db = nil
		}
		var err error
		if db, err = store.Open(context.Background(), dsn); err != nil {
			t.Fatalf("open: %v", err)
		}
		return centerdb.New(db)
	}
	t.Cleanup(func() {
		if db != nil {
			db.Close()
		}
	})
	return open(), open
}

// TestCenter runs the conformance suite on SQLite and PostgreSQL.
func TestCenter(t *testing.T) {
	storetest.Backends(t, "center", func(t *testing.T, newDSN func(t *testing.T) string) {
		storetest.RunCenter(t, func(t *testing.T) (center.Store, func() center.Store) {
			return opener(t, newDSN(t))
		})
	})
}
