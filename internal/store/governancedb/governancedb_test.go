package governancedb_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/governance"
	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/governancedb"
	"github.com/gatehouse-id/gatehouse/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// TestStore runs on SQLite and PostgreSQL.
func TestStore(t *testing.T) {
	storetest.Backends(t, "governance", func(t *testing.T, newDSN func(t *testing.T) string) {
		ctx := context.Background()
		db, err := store.Open(ctx, newDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		s := governancedb.New(db)

		end := t0.Add(time.Hour)
		e := &governance.Eligibility{ID: "e1", GroupID: "g", PrincipalID: "u", MaxDuration: 2 * time.Hour,
			RequireMFA: true, Approvers: []string{"a"}, Created: t0, Expires: &end}
		if err := s.CreateEligibility(ctx, e); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateEligibility(ctx, &governance.Eligibility{ID: "e2", GroupID: "g", PrincipalID: "u", Created: t0}); !errors.Is(err, governance.ErrConflict) {
			t.Fatalf("duplicate (group, principal): %v", err)
		}
		s.CreateEligibility(ctx, &governance.Eligibility{ID: "e3", GroupID: "g", PrincipalID: "team", Created: t0.Add(time.Second)})
		got, err := s.GetEligibility(ctx, "e1")
		if err != nil || got.MaxDuration != 2*time.Hour || !got.RequireMFA || !got.Expires.Equal(end) || got.Approvers[0] != "a" {
			t.Fatalf("GetEligibility: %+v %v", got, err)
		}
		els, _ := s.ListEligibilities(ctx, governance.EligibilityQuery{GroupID: "g", Principals: []string{"team", "x"}})
		if len(els) != 1 || els[0].ID != "e3" {
			t.Fatalf("by principals: %+v", els)
		}
		if els, _ := s.ListEligibilities(ctx, governance.EligibilityQuery{Principals: []string{}}); len(els) != 0 {
			t.Fatalf("empty principals: %+v", els)
		}
		if err := s.DeleteEligibility(ctx, "e1"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteEligibility(ctx, "e1"); !errors.Is(err, governance.ErrNotFound) {
			t.Fatalf("delete twice: %v", err)
		}

		dl := t0.Add(24 * time.Hour)
		pending := &governance.Request{ID: "r1", GroupID: "g", UserID: "u", Kind: governance.KindActivate,
			Status: governance.StatusPendingApproval, Requested: t0, ApprovalDeadline: &dl, Duration: time.Hour}
		active := &governance.Request{ID: "r2", GroupID: "g", UserID: "u", Kind: governance.KindAssign,
			Status: governance.StatusActive, Requested: t0.Add(time.Second), Start: t0, End: t0.Add(90 * time.Minute)}
		for _, r := range []*governance.Request{pending, active} {
			if err := s.CreateRequest(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if next, ok, err := s.NextDue(ctx); err != nil || !ok || !next.Equal(active.End) {
			t.Fatalf("NextDue = %v %v %v", next, ok, err)
		}
		due, _ := s.ListRequests(ctx, governance.RequestQuery{DueBy: active.End})
		if len(due) != 1 || due[0].ID != "r2" {
			t.Fatalf("DueBy End: %+v", due)
		}
		due, _ = s.ListRequests(ctx, governance.RequestQuery{DueBy: active.End.Add(-time.Millisecond)})
		if len(due) != 0 {
			t.Fatalf("DueBy End-1ms: %+v", due)
		}
		r, err := s.UpdateRequest(ctx, "r2", func(r *governance.Request) error { r.Status = governance.StatusExpired; return nil })
		if err != nil || r.Status != governance.StatusExpired {
			t.Fatalf("UpdateRequest: %+v %v", r, err)
		}
		if next, _, _ := s.NextDue(ctx); !next.Equal(dl) {
			t.Fatalf("NextDue after expiry = %v, want the approval deadline", next)
		}
		boom := errors.New("boom")
		if _, err := s.UpdateRequest(ctx, "r1", func(r *governance.Request) error { r.Status = governance.StatusDenied; return boom }); !errors.Is(err, boom) {
			t.Fatalf("failing update: %v", err)
		}
		if r, _ := s.GetRequest(ctx, "r1"); r.Status != governance.StatusPendingApproval {
			t.Fatalf("failing update was stored: %s", r.Status)
		}
		rs, _ := s.ListRequests(ctx, governance.RequestQuery{GroupID: "g", UserID: "u", Status: []governance.Status{governance.StatusPendingApproval}})
		if len(rs) != 1 || rs[0].ID != "r1" || !rs[0].ApprovalDeadline.Equal(dl) {
			t.Fatalf("by status: %+v", rs)
		}
		if _, err := s.GetRequest(ctx, "nope"); !errors.Is(err, governance.ErrNotFound) {
			t.Fatalf("missing request: %v", err)
		}

		if _, err := s.GetMembership(ctx, "g", "u"); !errors.Is(err, governance.ErrNotFound) {
			t.Fatalf("no row: %v", err)
		}
		for _, st := range []governance.MembershipState{governance.StateAdding, governance.StateAdded} {
			if err := s.PutMembership(ctx, &governance.Membership{GroupID: "g", UserID: "u", State: st, Updated: t0}); err != nil {
				t.Fatal(err)
			}
		}
		if m, err := s.GetMembership(ctx, "g", "u"); err != nil || m.State != governance.StateAdded {
			t.Fatalf("row: %+v %v", m, err)
		}
		if ms, _ := s.ListMemberships(ctx); len(ms) != 1 {
			t.Fatalf("rows: %+v", ms)
		}
		s.DeleteMembership(ctx, "g", "u")
		if ms, _ := s.ListMemberships(ctx); len(ms) != 0 {
			t.Fatalf("rows after delete: %+v", ms)
		}
	})
}
