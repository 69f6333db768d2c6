package directorydb_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
	"github.com/gatehouse-id/gatehouse/internal/store/storetest"
	"github.com/gatehouse-id/gatehouse/internal/testenv"
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

// TestDirectorySQLite runs the conformance suite on a SQLite file per
// subtest.
func TestDirectorySQLite(t *testing.T) {
	storetest.RunDirectory(t, func(t *testing.T) (storetest.Directory, func() storetest.Directory) {
		return opener(t, filepath.Join(t.TempDir(), "directory.db"))
	})
}

// TestDirectoryPostgres runs the conformance suite on PostgreSQL: one
// throwaway database, and a schema of its own per subtest (selected with
// search_path).
func TestDirectoryPostgres(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	storetest.RunDirectory(t, func(t *testing.T) (storetest.Directory, func() storetest.Directory) {
		return opener(t, schemaDSN(t, admin, dsn))
	})
}

// schemaDSN creates a new schema and returns dsn with it as search_path.
func schemaDSN(t *testing.T, admin *sql.DB, dsn string) string {
	t.Helper()
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
	return u.String()
}
