package governance_test

import (
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/governance"
	"github.com/gatehouse-id/gatehouse/internal/store/storetest"
)

func TestOwnerApproval(t *testing.T) {
	storetest.Backends(t, "governance-owners", func(t *testing.T, newDSN func(t *testing.T) string) {
		for _, tc := range []struct {
			name string
			fn   func(t *testing.T, e *env)
		}{
			{"ApprovedByAnOwner", testOwnerApproves},
			{"DeniedByAnOwner", testOwnerDenies},
			{"NoOwnerToApprove", testNoOwnerToApprove},
		} {
			t.Run(tc.name, func(t *testing.T) { tc.fn(t, newEnv(t, newDSN(t))) })
		}
	})
}

func (e *env) owner(groupID string, users ...string) {
	e.t.Helper()
	for _, u := range users {
		if err := e.dir.AddOwner(e.ctx, groupID, u, t0); err != nil {
			e.t.Fatalf("AddOwner: %v", err)
		}
	}
}

// The approvers of a request are the group's active owners when it is
// made, other than the requester: disabled, deleted and later owners are
// not, a removed one still is. The approval starts the activation then,
// and it ends to the second.
func testOwnerApproves(t *testing.T, e *env) {
	alice, boss, deputy, off, gone, late, mallory := e.user("alice@x"), e.user("boss@x"), e.user("deputy@x"),
		e.user("off@x"), e.user("gone@x"), e.user("late@x"), e.user("mallory@x")
	priv := e.group("priv")
	e.owner(priv, alice, boss, deputy, off, gone)
	if _, err := e.dir.UpdateUser(e.ctx, off, func(u *directory.User) error { u.AccountEnabled = false; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := e.dir.DeleteUser(e.ctx, gone, t0); err != nil {
		t.Fatal(err)
	}
	el := e.eligible(governance.Eligibility{GroupID: priv, PrincipalID: alice, MaxDuration: 4 * time.Hour, OwnersApprove: true})
	if stored, _ := e.gov.GetEligibility(e.ctx, el.ID); stored == nil || !stored.OwnersApprove || !stored.NeedsApproval() {
		t.Fatalf("stored eligibility %+v", stored)
	}

	r, err := e.svc.Activate(e.ctx, governance.ActivateInput{GroupID: priv, UserID: alice, Duration: 2 * time.Hour})
	if err != nil || r.Status != governance.StatusPendingApproval || !r.ApprovalDeadline.Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("activate: %+v, %v; want PendingApproval until +24h", r, err)
	}
	if want := []string{boss, deputy}; !sameSet(r.Approvers, want) {
		t.Fatalf("approvers %v, want the active owners but the requester %v", r.Approvers, want)
	}
	e.wantMember(priv, alice, false, "pending")

	// Owners changed after the request do not change its approvers.
	e.owner(priv, late)
	if err := e.dir.RemoveOwner(e.ctx, priv, deputy); err != nil {
		t.Fatal(err)
	}
	for who, id := range map[string]string{"the requester (an owner)": alice, "an owner added later": late,
		"a disabled owner": off, "a non-owner": mallory} {
		_, err := e.svc.Approve(e.ctx, r.ID, id, "ok")
		wantErr(t, err, governance.ErrForbidden, who)
	}
	e.clock.Advance(2 * time.Hour)
	e.markOutbox()
	a, err := e.svc.Approve(e.ctx, r.ID, deputy, "covering for the incident")
	if err != nil || a.Status != governance.StatusActive || a.Decision.By != deputy ||
		!a.Start.Equal(t0.Add(2*time.Hour)) || !a.End.Equal(t0.Add(4*time.Hour)) {
		t.Fatalf("approve by an owner at request time: %+v, %v", a, err)
	}
	e.wantMember(priv, alice, true, "approved")
	e.wantOutbox(priv, alice)

	e.clock.Set(a.End.Add(-time.Second))
	e.tick()
	e.wantMember(priv, alice, true, "End-1s")
	e.clock.Set(a.End)
	e.tick()
	e.wantMember(priv, alice, false, "End")
	e.wantOutbox(priv, alice)
}

// An owner denies; named approvers approve alongside the owners.
func testOwnerDenies(t *testing.T, e *env) {
	alice, owner, named := e.user("alice@x"), e.user("owner@x"), e.user("named@x")
	priv := e.group("priv")
	e.owner(priv, owner)
	e.eligible(governance.Eligibility{GroupID: priv, PrincipalID: alice, OwnersApprove: true, Approvers: []string{named}})
	r, err := e.svc.Activate(e.ctx, governance.ActivateInput{GroupID: priv, UserID: alice})
	if err != nil || !slices.Equal(r.Approvers, []string{named, owner}) {
		t.Fatalf("activate: %+v, %v; want named then owner", r, err)
	}
	d, err := e.svc.Deny(e.ctx, r.ID, owner, "not in a change window")
	if err != nil || d.Status != governance.StatusDenied || d.Decision.By != owner {
		t.Fatalf("deny: %+v, %v", d, err)
	}
	e.wantMember(priv, alice, false, "denied")
	r2, err := e.svc.Activate(e.ctx, governance.ActivateInput{GroupID: priv, UserID: alice})
	if err != nil {
		t.Fatal(err)
	}
	if a, err := e.svc.Approve(e.ctx, r2.ID, named, ""); err != nil || a.Status != governance.StatusActive {
		t.Fatalf("named approver: %+v, %v", a, err)
	}
	e.wantMember(priv, alice, true, "approved by the named approver")
}

// With no active owner but the requester, the activation is refused
// (ApprovalRule) and nothing is stored; an owner added makes it possible.
func testNoOwnerToApprove(t *testing.T, e *env) {
	alice, bob := e.user("alice@x"), e.user("bob@x")
	priv := e.group("priv")
	e.eligible(governance.Eligibility{GroupID: priv, PrincipalID: alice, OwnersApprove: true})
	_, err := e.svc.Activate(e.ctx, governance.ActivateInput{GroupID: priv, UserID: alice})
	wantRule(t, err, governance.RuleApproval)
	e.owner(priv, alice)
	_, err = e.svc.Activate(e.ctx, governance.ActivateInput{GroupID: priv, UserID: alice})
	wantRule(t, err, governance.RuleApproval)
	if reqs, _ := e.svc.Requests(e.ctx, governance.RequestQuery{UserID: alice}); len(reqs) != 0 {
		t.Fatalf("refused activations stored %d requests", len(reqs))
	}
	e.wantMember(priv, alice, false, "refused")
	e.owner(priv, bob)
	r, err := e.svc.Activate(e.ctx, governance.ActivateInput{GroupID: priv, UserID: alice})
	if err != nil || r.Status != governance.StatusPendingApproval || !slices.Equal(r.Approvers, []string{bob}) {
		t.Fatalf("with an owner: %+v, %v", r, err)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
