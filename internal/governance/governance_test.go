package governance_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/governance"
	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
	"github.com/gatehouse-id/gatehouse/internal/store/governancedb"
	"github.com/gatehouse-id/gatehouse/internal/store/storetest"
)

// t0 is a whole second, so that "to the second" is exact.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)         { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// flakyDir fails the next AddMember or RemoveMember once, after or before
// the directory applied it, to simulate a crash between steps.
type flakyDir struct {
	directory.Store
	failAdd, failRemove bool
	applyFirst          bool // apply the change, then fail (crash after the call)
}

var errCrash = errors.New("simulated crash")

func (f *flakyDir) AddMember(ctx context.Context, g, m string, at time.Time) error {
	if f.failAdd {
		f.failAdd = false
		if f.applyFirst {
			f.Store.AddMember(ctx, g, m, at)
		}
		return errCrash
	}
	return f.Store.AddMember(ctx, g, m, at)
}

func (f *flakyDir) RemoveMember(ctx context.Context, g, m string, at time.Time) error {
	if f.failRemove {
		f.failRemove = false
		if f.applyFirst {
			f.Store.RemoveMember(ctx, g, m, at)
		}
		return errCrash
	}
	return f.Store.RemoveMember(ctx, g, m, at)
}

type env struct {
	t     *testing.T
	ctx   context.Context
	clock *clock
	dir   *directorydb.Store
	flaky *flakyDir
	gov   *governancedb.Store
	svc   *governance.Service
	sched *governance.Scheduler
	ended []string // "group/user" of OnEnd calls
	seq   int64    // outbox position already looked at
}

func newEnv(t *testing.T, dsn string) *env {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	e := &env{t: t, ctx: context.Background(), clock: &clock{t: t0}, dir: directorydb.New(db), gov: governancedb.New(db)}
	e.flaky = &flakyDir{Store: e.dir}
	e.svc = &governance.Service{Store: e.gov, Dir: e.flaky, Now: e.clock.Now,
		OnEnd: func(_ context.Context, g, u string) { e.ended = append(e.ended, g+"/"+u) }}
	e.sched = &governance.Scheduler{Service: e.svc, Now: e.clock.Now}
	return e
}

func (e *env) user(upn string) string {
	e.t.Helper()
	u := &directory.User{ID: uuid.NewString(), UserPrincipalName: upn, DisplayName: upn, AccountEnabled: true, Created: t0, Modified: t0}
	if err := e.dir.CreateUser(e.ctx, u); err != nil {
		e.t.Fatalf("CreateUser: %v", err)
	}
	return u.ID
}

func (e *env) group(name string, members ...string) string {
	e.t.Helper()
	g := &directory.Group{ID: uuid.NewString(), DisplayName: name, SecurityEnabled: true, Created: t0, Modified: t0}
	if err := e.dir.CreateGroup(e.ctx, g); err != nil {
		e.t.Fatalf("CreateGroup: %v", err)
	}
	for _, m := range members {
		if err := e.dir.AddMember(e.ctx, g.ID, m, t0); err != nil {
			e.t.Fatalf("AddMember: %v", err)
		}
	}
	return g.ID
}

func (e *env) eligible(el governance.Eligibility) *governance.Eligibility {
	e.t.Helper()
	if err := e.svc.AddEligibility(e.ctx, &el); err != nil {
		e.t.Fatalf("AddEligibility: %v", err)
	}
	return &el
}

func (e *env) isMember(g, u string) bool {
	e.t.Helper()
	gs, err := e.dir.MemberOf(e.ctx, u)
	if err != nil {
		e.t.Fatal(err)
	}
	return slices.Contains(gs, g)
}

func (e *env) wantMember(g, u string, want bool, when string) {
	e.t.Helper()
	if got := e.isMember(g, u); got != want {
		e.t.Fatalf("%s: member = %v, want %v", when, got, want)
	}
}

// markOutbox remembers the outbox position; wantOutbox checks that group g
// and user u were recorded after it (what provisioning pushes).
func (e *env) markOutbox() {
	e.t.Helper()
	s, err := e.dir.LastChange(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	e.seq = s
}

func (e *env) wantOutbox(g, u string) {
	e.t.Helper()
	cs, err := e.dir.Changes(e.ctx, e.seq, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	var sawG, sawU bool
	for _, c := range cs {
		sawG = sawG || c.Kind == directory.KindGroup && c.ID == g
		sawU = sawU || c.Kind == directory.KindUser && c.ID == u
	}
	if !sawG || !sawU {
		e.t.Fatalf("outbox after %d: group recorded %v, user recorded %v; want both (%v)", e.seq, sawG, sawU, cs)
	}
	e.markOutbox()
}

func (e *env) tick() {
	e.t.Helper()
	if err := e.sched.Tick(e.ctx); err != nil {
		e.t.Fatalf("Tick: %v", err)
	}
}

func (e *env) status(id string) governance.Status {
	e.t.Helper()
	r, err := e.svc.Request(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return r.Status
}

func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: err = %v, want %v", what, err, target)
	}
}

func wantRule(t *testing.T, err error, rule string) {
	t.Helper()
	var pe *governance.PolicyError
	if !errors.As(err, &pe) || pe.Rule != rule {
		t.Fatalf("err = %v, want policy rule %s", err, rule)
	}
}

func TestLifecycle(t *testing.T) {
	storetest.Backends(t, "governance", func(t *testing.T, newDSN func(t *testing.T) string) {
		for _, tc := range []struct {
			name string
			fn   func(t *testing.T, e *env)
		}{
			{"Eligibility", testEligibility},
			{"Requirements", testRequirements},
			{"ExpiryToTheSecond", testExpiry},
			{"Approval", testApproval},
			{"Denial", testDenial},
			{"ApprovalWindow", testApprovalWindow},
			{"EarlyDeactivation", testDeactivation},
			{"Overlapping", testOverlapping},
			{"PermanentMember", testPermanent},
			{"TimeBoundAssignment", testAssign},
			{"CrashSafety", testCrash},
			{"Run", testRun},
		} {
			t.Run(tc.name, func(t *testing.T) { tc.fn(t, newEnv(t, newDSN(t))) })
		}
	})
}

// Eligibility directly, through a group, through a nested group; none
// otherwise; an ended eligibility no longer counts; limits of MaxDuration.
func testEligibility(t *testing.T, e *env) {
	alice, bob, carol, dave := e.user("alice@x"), e.user("bob@x"), e.user("carol@x"), e.user("dave@x")
	inner := e.group("inner", carol)
	team := e.group("team", bob, inner)
	priv := e.group("priv")
	end := t0.Add(48 * time.Hour)
	e.eligible(governance.Eligibility{GroupID: priv, PrincipalID: alice, MaxDuration: 2 * time.Hour, Expires: &end})
	e.eligible(governance.Eligibility{GroupID: priv, PrincipalID: team, MaxDuration: 4 * time.Hour})

	el, err := e.svc.EligibilityFor(e.ctx, priv, alice)
	if err != nil || el.PrincipalID != alice || el.MaxDuration != 2*time.Hour {
		t.Fatalf("alice: %+v, %v; want the direct eligibility", el, err)
	}
	for who, id := range map[string]string{"bob (member of team)": bob, "carol (team > inner)": carol} {
		el, err := e.svc.EligibilityFor(e.ctx, priv, id)
		if err != nil || el.PrincipalID != team {
			t.Fatalf("%s: %+v, %v; want via team", who, el, err)
		}
	}
	_, err = e.svc.Activate(e.ctx, governance.ActivateInput{GroupID: priv, UserID: dave})
	wantErr(t, err, governance.ErrNotEligible, "dave")
	e.wantMember(priv, dave, false, "dave refused")

	// Activating through a group applies to the requester only.
	e.markOutbox()
	r, err := e.svc.Activate(e.ctx, governance.ActivateInput{GroupID: priv, UserID: carol})
	if err != nil || r.Status != governance.StatusActive || r.End != t0.Add(4*time.Hour) {
		t.Fatalf("carol: %+v, %v; want Active until +4h", r, err)
	}
	e.wantMember(priv, carol, true, "carol activated")
	e.wantMember(priv, bob, false, "bob not activated")
	e.wantMember(priv, inner, false, "the group itself")
	e.wantOutbox(priv, carol)

	// After the eligibility ends, alice is no longer eligible.
	e.clock.Set(end)
	_, err = e.svc.Activate(e.ctx, governance.ActivateInput{GroupID: priv, UserID: alice})
	wantErr(t, err, governance.ErrNotEligible, "alice after eligibility end")

	for _, d := range []time.Duration{30 * time.Minute, 25 * time.Hour} {
		err := e.svc.AddEligibility(e.ctx, &governance.Eligibility{GroupID: priv, PrincipalID: dave, MaxDuration: d})
		wantErr(t, err, governance.ErrInvalid, "MaxDuration "+d.String())
	}
	err = e.svc.AddEligibility(e.ctx, &governance.Eligibility{GroupID: priv, PrincipalID: team})
	wantErr(t, err, governance.ErrConflict, "duplicate eligibility")
}

// Each requirement refused when missing and accepted when met.
func testRequirements(t *testing.T, e *env) {
	alice := e.user("alice@x")
	priv := e.group("priv")
	e.eligible(governance.Eligibility{GroupID: priv, PrincipalID: alice, MaxDuration: 2 * time.Hour,
		RequireMFA: true, RequireJustification: true, RequireTicket: true})
	ok := governance.ActivateInput{GroupID: priv, UserID: alice, Duration: time.Hour, MFA: true,
		Justification: "INC-7 database failover", Ticket: "INC-7"}
	for _, tc := range []struct {
		rule string
		mod  func(in *governance.ActivateInput)
	}{
		{governance.RuleMFA, func(in *governance.ActivateInput) { in.MFA = false }},
		{governance.RuleJustification, func(in *governance.ActivateInput) { in.Justification = "  " }},
		{governance.RuleTicket, func(in *governance.ActivateInput) { in.Ticket = "" }},
		{governance.RuleExpiration, func(in *governance.ActivateInput) { in.Duration = 2*time.Hour + time.Second }},
		{governance.RuleExpiration, func(in *governance.ActivateInput) { in.Duration = time.Minute }},
	} {
		in := ok
		tc.mod(&in)
		_, err := e.svc.Activate(e.ctx, in)
		wantRule(t, err, tc.rule)
		e.wantMember(priv, alice, false, "refused "+tc.rule)
	}
	reqs, _ := e.svc.Requests(e.ctx, governance.RequestQuery{UserID: alice})
	if len(reqs) != 0 {
		t.Fatalf("refused activations stored %d requests", len(reqs))
	}
	r, err := e.svc.Activate(e.ctx, ok)
	if err != nil || r.Status != governance.StatusActive || !r.MFA || r.Ticket != "INC-7" || r.End != t0.Add(time.Hour) {
		t.Fatalf("all requirements met: %+v, %v", r, err)
	}
	e.wantMember(priv, alice, true, "activated")
}

// Expiry to the second: a tick at End-1s keeps the membership, at End
// removes it, records it in the outbox and calls OnEnd.
func testExpiry(t *testing.T, e *env) {
	alice := e.user("alice@x")
	priv := e.group("priv")
	e.eligible(governance.Eligibility{GroupID: priv, PrincipalID: alice, MaxDuration: time.Hour})
	r, err := e.svc.Activate(e.ctx, governance.ActivateInput{GroupID: priv, UserID: alice, Duration: 30 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	e.markOutbox()
	next, ok, err := e.gov.NextDue(e.ctx)
	if err != nil || !ok || !next.Equal(t0.Add(30*time.Minute)) {
		t.Fatalf("NextDue = %v %v %v, want the End", next, ok, err)
	}
	e.clock.Set(r.End.Add(-time.Second))
	e.tick()
	e.wantMember(priv, alice, true, "End-1s")
	if e.status(r.ID) != governance.StatusActive || len(e.ended) != 0 {
		t.Fatalf("End-1s: status %s, OnEnd %v", e.status(r.ID), e.ended)
	}
	e.clock.Set(r.End)
	e.tick()
	e.wantMember(priv, alice, false, "End")
	if st := e.status(r.ID); st != governance.StatusExpired {
		t.Fatalf("status at End = %s, want Expired", st)
	}
	e.wantOutbox(priv, alice)
	if !slices.Equal(e.ended, []string{priv + "/" + alice}) {
		t.Fatalf("OnEnd calls = %v", e.ended)
	}
	if _, ok, _ := e.gov.NextDue(e.ctx); ok {
		t.Fatal("NextDue after expiry: want none")
	}
}

// Approval by a named approver starts the activation then; the requester
// and non-approvers are refused.
func testApproval(t *testing.T, e *env) {
	alice, boss, mallory := e.user("alice@x"), e.user("boss@x"), e.user("mallory@x")
	priv := e.group("priv")
	e.eligible(governance.Eligibility{GroupID: priv, PrincipalID: alice, MaxDuration: 4 * time.Hour,
		Approvers: []string{boss, alice}})
	r, err := e.svc.Activate(e.ctx, governance.ActivateInput{GroupID: priv, UserID: alice, Duration: 2 * time.Hour})
	if err != nil || r.Status != governance.StatusPendingApproval || !r.ApprovalDeadline.Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("activate: %+v, %v; want PendingApproval until +24h", r, err)
	}
	e.wantMember(priv, alice, false, "pending")
	_, err = e.svc.Approve(e.ctx, r.ID, alice, "me")
	wantErr(t, err, governance.ErrForbidden, "self-approval")
	_, err = e.svc.Approve(e.ctx, r.ID, mallory, "ok")
	wantErr(t, err, governance.ErrForbidden, "non-approver")

	e.clock.Advance(3 * time.Hour)
	e.markOutbox()
	a, err := e.svc.Approve(e.ctx, r.ID, boss, "go ahead")
	if err != nil || a.Status != governance.StatusActive || a.Decision.By != boss || a.Decision.Reason != "go ahead" ||
		!a.Start.Equal(t0.Add(3*time.Hour)) || !a.End.Equal(t0.Add(5*time.Hour)) {
		t.Fatalf("approve: %+v, %v; want Active from approval for 2h", a, err)
	}
	e.wantMember(priv, alice, true, "approved")
	e.wantOutbox(priv, alice)
	_, err = e.svc.Deny(e.ctx, r.ID, boss, "too late")
	wantErr(t, err, governance.ErrState, "decide twice")

	e.clock.Set(a.End.Add(-time.Second))
	e.tick()
	e.wantMember(priv, alice, true, "approved End-1s")
	e.clock.Set(a.End)
	e.tick()
	e.wantMember(priv, alice, false, "approved End")
}

func testDenial(t *testing.T, e *env) {
	alice, boss := e.user("alice@x"), e.user("boss@x")
	priv := e.group("priv")
	e.eligible(governance.Eligibility{GroupID: priv, PrincipalID: alice, Approvers: []string{boss}})
	r, err := e.svc.Activate(e.ctx, governance.ActivateInput{GroupID: priv, UserID: alice})
	if err != nil || r.Duration != governance.DefaultMaxDuration {
		t.Fatalf("activate: %+v %v", r, err)
	}
	d, err := e.svc.Deny(e.ctx, r.ID, boss, "not during the freeze")
	if err != nil || d.Status != governance.StatusDenied || d.Decision.Reason != "not during the freeze" {
		t.Fatalf("deny: %+v, %v", d, err)
	}
	e.wantMember(priv, alice, false, "denied")
	_, err = e.svc.Approve(e.ctx, r.ID, boss, "changed my mind")
	wantErr(t, err, governance.ErrState, "approve after deny")

	// A pending request can be cancelled by its requester only.
	r2, _ := e.svc.Activate(e.ctx, governance.ActivateInput{GroupID: priv, UserID: alice})
	_, err = e.svc.Cancel(e.ctx, r2.ID, boss)
	wantErr(t, err, governance.ErrForbidden, "cancel by another")
	if c, err := e.svc.Cancel(e.ctx, r2.ID, alice); err != nil || c.Status != governance.StatusCanceled {
		t.Fatalf("cancel: %+v %v", c, err)
	}
}

// The approval window is 24 h: a decision after it is refused and the
// request expires; the scheduler expires undecided requests at the
// deadline.
func testApprovalWindow(t *testing.T, e *env) {
	alice, boss := e.user("alice@x"), e.user("boss@x")
	priv := e.group("priv")
	e.eligible(governance.Eligibility{GroupID: priv, PrincipalID: alice, Approvers: []string{boss}})
	r1, _ := e.svc.Activate(e.ctx, governance.ActivateInput{GroupID: priv, UserID: alice})
	e.clock.Advance(time.Hour)
	r2, _ := e.svc.Activate(e.ctx, governance.ActivateInput{GroupID: priv, UserID: alice})

	e.clock.Set(t0.Add(24*time.Hour - time.Second))
	e.tick()
	if e.status(r1.ID) != governance.StatusPendingApproval {
		t.Fatalf("r1 1s before deadline: %s", e.status(r1.ID))
	}
	e.clock.Set(t0.Add(24 * time.Hour))
	_, err := e.svc.Approve(e.ctx, r1.ID, boss, "ok")
	wantErr(t, err, governance.ErrApprovalExpired, "approve at the deadline")
	if e.status(r1.ID) != governance.StatusExpired {
		t.Fatalf("r1 after late approval: %s, want Expired", e.status(r1.ID))
	}
	e.wantMember(priv, alice, false, "late approval")

	e.clock.Set(t0.Add(25 * time.Hour))
	e.tick()
	if e.status(r2.ID) != governance.StatusExpired {
		t.Fatalf("r2 after deadline tick: %s, want Expired", e.status(r2.ID))
	}
}

// Early deactivation removes the membership at once.
func testDeactivation(t *testing.T, e *env) {
	alice := e.user("alice@x")
	priv := e.group("priv")
	e.eligible(governance.Eligibility{GroupID: priv, PrincipalID: alice})
	r, _ := e.svc.Activate(e.ctx, governance.ActivateInput{GroupID: priv, UserID: alice, Duration: 2 * time.Hour})
	e.clock.Advance(10 * time.Minute)
	e.markOutbox()
	ended, err := e.svc.Deactivate(e.ctx, priv, alice)
	if err != nil || len(ended) != 1 || ended[0].Status != governance.StatusRevoked || !ended[0].End.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("deactivate: %+v, %v", ended, err)
	}
	e.wantMember(priv, alice, false, "deactivated")
	e.wantOutbox(priv, alice)
	if e.status(r.ID) != governance.StatusRevoked || len(e.ended) != 1 {
		t.Fatalf("status %s, OnEnd %v", e.status(r.ID), e.ended)
	}
	_, err = e.svc.Deactivate(e.ctx, priv, alice)
	wantErr(t, err, governance.ErrNotFound, "deactivate twice")
}

// Two overlapping grants: the first ending keeps the membership until the
// second ends.
func testOverlapping(t *testing.T, e *env) {
	alice := e.user("alice@x")
	priv := e.group("priv")
	e.eligible(governance.Eligibility{GroupID: priv, PrincipalID: alice, MaxDuration: 4 * time.Hour})
	r1, _ := e.svc.Activate(e.ctx, governance.ActivateInput{GroupID: priv, UserID: alice, Duration: time.Hour})
	e.clock.Advance(30 * time.Minute)
	e.markOutbox()
	r2, err := e.svc.Activate(e.ctx, governance.ActivateInput{GroupID: priv, UserID: alice, Duration: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if cs, _ := e.dir.Changes(e.ctx, e.seq, 10); len(cs) != 0 {
		t.Fatalf("second activation changed the directory: %v", cs)
	}
	e.clock.Set(r1.End)
	e.tick()
	e.wantMember(priv, alice, true, "first ended, second live")
	if e.status(r1.ID) != governance.StatusExpired {
		t.Fatalf("r1: %s", e.status(r1.ID))
	}
	e.clock.Set(r2.End.Add(-time.Second))
	e.tick()
	e.wantMember(priv, alice, true, "second End-1s")
	e.clock.Set(r2.End)
	e.tick()
	e.wantMember(priv, alice, false, "second End")

	// Deactivating early with an admin assignment still live keeps the
	// membership too.
	e.clock.Set(t0.Add(10 * time.Hour))
	if _, err := e.svc.Assign(e.ctx, priv, alice, t0.Add(12*time.Hour), "admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Activate(e.ctx, governance.ActivateInput{GroupID: priv, UserID: alice, Duration: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Deactivate(e.ctx, priv, alice); err != nil {
		t.Fatal(err)
	}
	e.wantMember(priv, alice, true, "deactivated, assignment live")
}

// A permanent member who activates is never removed by governance.
func testPermanent(t *testing.T, e *env) {
	alice := e.user("alice@x")
	priv := e.group("priv", alice)
	e.eligible(governance.Eligibility{GroupID: priv, PrincipalID: alice})
	r, err := e.svc.Activate(e.ctx, governance.ActivateInput{GroupID: priv, UserID: alice, Duration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.gov.GetMembership(e.ctx, priv, alice); !errors.Is(err, governance.ErrNotFound) {
		t.Fatalf("governance claimed a permanent membership: %v", err)
	}
	e.clock.Set(r.End)
	e.tick()
	e.wantMember(priv, alice, true, "permanent after expiry")
	if _, err := e.svc.Assign(e.ctx, priv, alice, r.End.Add(time.Hour), "admin"); err != nil {
		t.Fatal(err)
	}
	e.svc.Unassign(e.ctx, priv, alice)
	e.wantMember(priv, alice, true, "permanent after unassign")
	if len(e.ended) != 0 {
		t.Fatalf("OnEnd for a permanent member: %v", e.ended)
	}
}

// Time-bound direct assignment: no eligibility needed, ends to the second.
func testAssign(t *testing.T, e *env) {
	bob := e.user("bob@x")
	priv := e.group("priv")
	until := t0.Add(72 * time.Hour)
	e.markOutbox()
	r, err := e.svc.Assign(e.ctx, priv, bob, until, "admin")
	if err != nil || r.Kind != governance.KindAssign || r.Status != governance.StatusActive || !r.End.Equal(until) {
		t.Fatalf("assign: %+v, %v", r, err)
	}
	e.wantMember(priv, bob, true, "assigned")
	e.wantOutbox(priv, bob)
	_, err = e.svc.Assign(e.ctx, priv, bob, t0.Add(-time.Second), "admin")
	wantErr(t, err, governance.ErrInvalid, "end in the past")
	_, err = e.svc.Deactivate(e.ctx, priv, bob)
	wantErr(t, err, governance.ErrNotFound, "self-deactivate an admin assignment")
	e.clock.Set(until.Add(-time.Second))
	e.tick()
	e.wantMember(priv, bob, true, "until-1s")
	e.clock.Set(until)
	e.tick()
	e.wantMember(priv, bob, false, "until")
	e.wantOutbox(priv, bob)
}

// A failure between the steps of a transition is finished by the next tick.
func testCrash(t *testing.T, e *env) {
	alice, bob := e.user("alice@x"), e.user("bob@x")
	priv := e.group("priv")
	e.eligible(governance.Eligibility{GroupID: priv, PrincipalID: alice})
	e.eligible(governance.Eligibility{GroupID: priv, PrincipalID: bob})

	// 1. Fails before the directory call: the request is stored, the
	//    membership is not; the tick adds it.
	e.flaky.failAdd = true
	r, err := e.svc.Activate(e.ctx, governance.ActivateInput{GroupID: priv, UserID: alice, Duration: time.Hour})
	if !errors.Is(err, errCrash) || r == nil || r.Status != governance.StatusActive {
		t.Fatalf("activate with failing directory: %+v, %v", r, err)
	}
	e.wantMember(priv, alice, false, "after failed add")
	if m, err := e.gov.GetMembership(e.ctx, priv, alice); err != nil || m.State != governance.StateAdding {
		t.Fatalf("transition row: %+v, %v; want adding", m, err)
	}
	e.tick()
	e.wantMember(priv, alice, true, "tick finished the add")
	if m, _ := e.gov.GetMembership(e.ctx, priv, alice); m == nil || m.State != governance.StateAdded {
		t.Fatalf("transition row after tick: %+v", m)
	}

	// 2. Fails after the directory call (the member was added, the row
	//    still says adding): the tick completes, and expiry still removes.
	e.flaky.failAdd, e.flaky.applyFirst = true, true
	r2, _ := e.svc.Activate(e.ctx, governance.ActivateInput{GroupID: priv, UserID: bob, Duration: time.Hour})
	e.wantMember(priv, bob, true, "added before the crash")
	e.tick()
	if m, _ := e.gov.GetMembership(e.ctx, priv, bob); m == nil || m.State != governance.StateAdded {
		t.Fatalf("bob's row after tick: %+v", m)
	}

	// 3. Removal fails at expiry: the row says removing; the next tick
	//    removes.
	e.flaky.failRemove, e.flaky.applyFirst = true, false
	e.clock.Set(r.End)
	if err := e.sched.Tick(e.ctx); !errors.Is(err, errCrash) {
		t.Fatalf("tick with failing remove: %v", err)
	}
	if e.isMember(priv, alice) == e.isMember(priv, bob) {
		// exactly one of the two removals failed
		t.Fatalf("after failing tick: alice %v bob %v", e.isMember(priv, alice), e.isMember(priv, bob))
	}
	e.tick()
	e.wantMember(priv, alice, false, "alice after retry")
	e.wantMember(priv, bob, false, "bob after retry")
	if rows, _ := e.gov.ListMemberships(e.ctx); len(rows) != 0 {
		t.Fatalf("transition rows left: %+v", rows)
	}
	if e.status(r2.ID) != governance.StatusExpired {
		t.Fatalf("r2: %s", e.status(r2.ID))
	}

	// 4. A crash after the grant ended but before the removal (simulated by
	//    ending the grant in the store only): the tick removes.
	e.clock.Set(t0.Add(5 * time.Hour))
	r3, _ := e.svc.Activate(e.ctx, governance.ActivateInput{GroupID: priv, UserID: alice, Duration: time.Hour})
	e.gov.UpdateRequest(e.ctx, r3.ID, func(r *governance.Request) error { r.Status = governance.StatusRevoked; return nil })
	e.wantMember(priv, alice, true, "before recovery")
	e.tick()
	e.wantMember(priv, alice, false, "recovered removal")
}

// Run acts at the End without polling: with a real clock, a grant of a
// second ends within a fraction of a second after its End.
func testRun(t *testing.T, e *env) {
	alice := e.user("alice@x")
	priv := e.group("priv")
	e.svc.Now, e.sched.Now = nil, nil
	e.sched.MaxWait = time.Hour // no polling: only the timer can end the grant
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	go func() { e.sched.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	time.Sleep(50 * time.Millisecond) // Run is asleep now
	start := time.Now()
	r, err := e.svc.Assign(e.ctx, priv, alice, start.Add(time.Second), "admin")
	if err != nil {
		t.Fatal(err)
	}
	for e.isMember(priv, alice) {
		if time.Since(start) > 5*time.Second {
			t.Fatal("membership not removed 5s after a 1s grant")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if late := time.Since(r.End); late < 0 || late > 500*time.Millisecond {
		t.Fatalf("removed %v after End, want within 500ms", late)
	}
}
