package provisioningdb_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/gatehouse-id/gatehouse/internal/provisioning"
	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/provisioningdb"
	"github.com/gatehouse-id/gatehouse/internal/store/storetest"
	"github.com/gatehouse-id/gatehouse/internal/testenv"
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

// TestProvisioningSQLite runs the conformance suite on a SQLite file per
// subtest.
func TestProvisioningSQLite(t *testing.T) {
	storetest.RunProvisioning(t, func(t *testing.T) (provisioning.Store, func() provisioning.Store) {
		return opener(t, filepath.Join(t.TempDir(), "provisioning.db"))
	})
}

// TestProvisioningPostgres runs the conformance suite on PostgreSQL: one
// throwaway database, and a schema of its own per subtest (selected with
// search_path).
func TestProvisioningPostgres(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	storetest.RunProvisioning(t, func(t *testing.T) (provisioning.Store, func() provisioning.Store) {
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
