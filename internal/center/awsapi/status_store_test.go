package awsapi_test

import (
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/centerdb"
	"github.com/gatehouse-id/gatehouse/internal/testenv"
)

// TestStatusStorePostgres runs what sso-admin keeps beyond the AccessStore
// (migration 0009) on PostgreSQL; the SDK tests run it on SQLite.
func TestStatusStorePostgres(t *testing.T) {
	t.Parallel()
	db, err := store.Open(t.Context(), testenv.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := centerdb.New(db)
	ctx := t.Context()
	now := time.Now()
	if err := s.PutRequestStatus(ctx, centerdb.KindAssignmentDeletion, "r1", []byte(`{"Status":"SUCCEEDED"}`), now); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRequestStatus(ctx, centerdb.KindAssignmentDeletion, "r1", []byte(`{"Status":"FAILED"}`), now); err != nil {
		t.Fatal(err)
	}
	if doc, err := s.RequestStatus(ctx, centerdb.KindAssignmentDeletion, "r1"); err != nil || string(doc) != `{"Status":"SUCCEEDED"}` {
		t.Fatalf("RequestStatus: %s %v", doc, err)
	}
	if _, err := s.RequestStatus(ctx, centerdb.KindAssignmentCreation, "r1"); !errors.Is(err, center.ErrNotFound) {
		t.Fatalf("other kind: %v", err)
	}
	if err := s.PutAccessControlAttributes(ctx, []byte(`{"a":1}`), false, now); !errors.Is(err, center.ErrNotFound) {
		t.Fatalf("update before create: %v", err)
	}
	if err := s.PutAccessControlAttributes(ctx, []byte(`{"a":1}`), true, now); err != nil {
		t.Fatal(err)
	}
	if err := s.PutAccessControlAttributes(ctx, []byte(`{"a":2}`), true, now); !errors.Is(err, center.ErrConflict) {
		t.Fatalf("create twice: %v", err)
	}
	if err := s.PutAccessControlAttributes(ctx, []byte(`{"a":3}`), false, now); err != nil {
		t.Fatal(err)
	}
	if doc, _, err := s.AccessControlAttributes(ctx); err != nil || string(doc) != `{"a":3}` {
		t.Fatalf("AccessControlAttributes: %s %v", doc, err)
	}
	if err := s.DeleteAccessControlAttributes(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAccessControlAttributes(ctx); !errors.Is(err, center.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if ids, err := s.ProvisionedAccounts(ctx, "arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-0000000000000000"); err != nil || len(ids) != 0 {
		t.Fatalf("ProvisionedAccounts: %v %v", ids, err)
	}
	if arns, err := s.ProvisionedPermissionSets(ctx, "111111111111"); err != nil || len(arns) != 0 {
		t.Fatalf("ProvisionedPermissionSets: %v %v", arns, err)
	}
}
