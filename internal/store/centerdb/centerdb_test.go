package centerdb_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/centerdb"
	"github.com/gatehouse-id/gatehouse/internal/store/storetest"
	"github.com/gatehouse-id/gatehouse/internal/testenv"
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

// TestCenterSQLite runs the conformance suite on a SQLite file per subtest.
func TestCenterSQLite(t *testing.T) {
	storetest.RunCenter(t, func(t *testing.T) (center.Store, func() center.Store) {
		return opener(t, filepath.Join(t.TempDir(), "center.db"))
	})
}

// TestCenterPostgres runs the conformance suite on PostgreSQL: one throwaway
// database, and a schema of its own per subtest (selected with search_path),
// which is much faster to make than a database.
func TestCenterPostgres(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	storetest.RunCenter(t, func(t *testing.T) (center.Store, func() center.Store) {
		b := make([]byte, 6)
		rand.Read(b)
		schema := "t_" + hex.EncodeToString(b)
		if _, err := admin.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
			t.Fatalf("create schema: %v", err)
		}
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return opener(t, u.String())
	})
}
