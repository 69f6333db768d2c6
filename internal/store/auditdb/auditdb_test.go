package auditdb_test

import (
	"context"
	"testing"

	"github.com/gatehouse-id/gatehouse/internal/audit"
	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/auditdb"
	"github.com/gatehouse-id/gatehouse/internal/store/storetest"
)

// TestAudit runs the conformance suite on SQLite and PostgreSQL.
func TestAudit(t *testing.T) {
	storetest.Backends(t, "audit", func(t *testing.T, newDSN func(t *testing.T) string) {
		storetest.RunAudit(t, func(t *testing.T) storetest.AuditBackend {
			dsn := newDSN(t)
			open := func() *store.DB {
				db, err := store.Open(context.Background(), dsn)
				if err != nil {
					t.Fatalf("open: %v", err)
				}
				t.Cleanup(func() { db.Close() })
				return db
			}
			db := open()
			return storetest.AuditBackend{
				Store: auditdb.New(db),
				Node:  func() audit.Store { return auditdb.New(open()) },
				Exec: func(q string, args ...any) error {
					return db.Update(context.Background(), func(tx *store.Tx) error {
						_, err := tx.Exec(q, args...)
						return err
					})
				},
			}
		})
	})
}
