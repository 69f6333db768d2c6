package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/testenv"
)

// Backends runs a suite on every engine: run gets newDSN, which names an
// empty database for each call — a SQLite file in a temporary directory, or
// on PostgreSQL a schema of its own (selected with search_path) in one
// throwaway database, which is much faster to make than a database.
// PostgreSQL is required under make test and skipped otherwise
// (internal/testenv).
func Backends(t *testing.T, name string, run func(t *testing.T, newDSN func(t *testing.T) string)) {
	t.Run("SQLite", func(t *testing.T) {
		run(t, func(t *testing.T) string { return filepath.Join(t.TempDir(), name+".db") })
	})
	t.Run("Postgres", func(t *testing.T) {
		dsn := testenv.PostgresDSN(t)
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { admin.Close() })
		run(t, func(t *testing.T) string { return schemaDSN(t, admin, dsn) })
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

// SQLite opens a store on a new SQLite file in t's temporary directory,
// migrated, and closes it when t ends: the database of a test that runs
// against one engine.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
