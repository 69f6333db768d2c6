package reviews_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-id/gatehouse/internal/audit"
	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/governance/reviews"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
	"github.com/gatehouse-id/gatehouse/internal/store/reviewsdb"
	"github.com/gatehouse-id/gatehouse/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// recorder is an audit.Appender that keeps records in memory.
type recorder struct {
	mu   sync.Mutex
	recs []audit.Record
}

func (r *recorder) Append(_ context.Context, rec audit.Record) (audit.Record, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec)
	return rec, nil
}

func (r *recorder) find(kind, action string) []audit.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []audit.Record
	for _, rec := range r.recs {
		if rec.Kind == kind && rec.Action == action {
			out = append(out, rec)
		}
	}
	return out
}

type fixture struct {
	t     *testing.T
	ctx   context.Context
	dir   *directorydb.Store
	svc   *reviews.Service
	sched *reviews.Scheduler
	audit *recorder
	now   time.Time
}

func setup(t *testing.T) *fixture {
	ctx := context.Background()
	db := storetest.SQLite(t)
	f := &fixture{t: t, ctx: ctx, dir: directorydb.New(db), audit: &recorder{}, now: t0}
	rs := reviewsdb.New(db)
	f.svc = &reviews.Service{Store: rs, Dir: f.dir, SignIns: rs, Audit: f.audit, Now: func() time.Time { return f.now },
		Logger: slog.New(slog.DiscardHandler)}
	f.sched = &reviews.Scheduler{Service: f.svc}
	return f
}

func (f *fixture) user(upn, manager string, enabled bool) string {
	u := &directory.User{ID: uuid.NewString(), UserPrincipalName: upn, DisplayName: upn, ManagerID: manager,
		AccountEnabled: enabled, Created: t0, Modified: t0}
	if err := f.dir.CreateUser(f.ctx, u); err != nil {
		f.t.Fatal(err)
	}
	return u.ID
}

// signIn records a sign-in session of the user created at `at`.
func (f *fixture) signIn(userID string, at time.Time) {
	s := &directory.Session{ID: uuid.NewString(), UserID: userID, Created: at, LastSeen: at, Expires: at.Add(12 * time.Hour), CSRF: "x"}
	if err := f.dir.CreateSession(f.ctx, s); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) group(name string, members ...string) string {
	g := &directory.Group{ID: uuid.NewString(), DisplayName: name, SecurityEnabled: true, Created: t0, Modified: t0}
	if err := f.dir.CreateGroup(f.ctx, g); err != nil {
		f.t.Fatal(err)
	}
	for _, m := range members {
		if err := f.dir.AddMember(f.ctx, g.ID, m, t0); err != nil {
			f.t.Fatal(err)
		}
	}
	return g.ID
}

func (f *fixture) tick(at time.Time) {
	f.t.Helper()
	f.now = at
	if err := f.sched.Tick(f.ctx); err != nil {
		f.t.Fatalf("tick at %s: %v", at, err)
	}
}

func (f *fixture) instances(campaignID string) []*reviews.Instance {
	f.t.Helper()
	ins, err := f.svc.Instances(f.ctx, campaignID)
	if err != nil {
		f.t.Fatal(err)
	}
	return ins
}

// items maps the UPN of each item of the instance to the item.
func (f *fixture) items(instanceID string) map[string]*reviews.Item {
	f.t.Helper()
	its, err := f.svc.Items(f.ctx, instanceID, "")
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]*reviews.Item{}
	for _, it := range its {
		out[it.UPN] = it
	}
	return out
}

func (f *fixture) isMember(g, u string) bool {
	gs, _ := f.dir.MemberOf(f.ctx, u)
	return slices.Contains(gs, g)
}

// TestGroupCampaign: named reviewers over a group's members, decisions,
// refusals, recommendations, reminders, the end applying explicit and
// default denials through the outbox, recurrence, and the CSV report.
func TestGroupCampaign(t *testing.T) {
	f := setup(t)
	rev1, rev2 := f.user("rev1@x", "", true), f.user("rev2@x", "", true)
	active, idle, never, disabled, quiet := f.user("active@x", "", true), f.user("idle@x", "", true),
		f.user("never@x", "", true), f.user("disabled@x", "", false), f.user("quiet@x", "", true)
	f.signIn(active, t0.Add(-2*day))
	f.signIn(idle, t0.Add(-31*day))
	f.signIn(quiet, t0.Add(-day))
	sub := f.group("sub")
	g := f.group("admins", active, idle, never, disabled, quiet, sub)

	c := &reviews.Campaign{Name: "Quarterly admins", GroupID: g, Reviewers: reviews.ReviewersNamed,
		ReviewerIDs: []string{rev1, rev2}, Start: t0, Duration: 7 * day, Recurrence: reviews.RecurWeekly,
		Default: reviews.DefaultDeny, AutoApply: true, ReminderInterval: 2 * day}
	if err := f.svc.CreateCampaign(f.ctx, c); err != nil {
		t.Fatal(err)
	}
	// The first instance started at creation (Start is now).
	ins := f.instances(c.ID)
	if len(ins) != 1 || ins[0].Status != reviews.StatusInProgress || !ins[0].End.Equal(t0.Add(7*day)) {
		t.Fatalf("first instance: %+v", ins)
	}
	if c.NextStart == nil || !c.NextStart.Equal(t0.Add(7*day)) {
		t.Fatalf("NextStart = %v, want a week later", c.NextStart)
	}
	inst := ins[0]
	items := f.items(inst.ID)
	if len(items) != 5 { // the nested group is not an item
		t.Fatalf("items: %d, want 5 users", len(items))
	}
	for upn, want := range map[string]string{"active@x": reviews.RecommendApprove, "idle@x": reviews.RecommendInactive,
		"never@x": reviews.RecommendInactive, "disabled@x": reviews.RecommendDisabled, "quiet@x": reviews.RecommendApprove} {
		if got := items[upn].Recommendation; got != want {
			t.Errorf("recommendation for %s = %q, want %q", upn, got, want)
		}
	}
	if !items["never@x"].LastSignIn.IsZero() || !items["idle@x"].LastSignIn.Equal(t0.Add(-31*day)) {
		t.Errorf("last sign-ins: never %v, idle %v", items["never@x"].LastSignIn, items["idle@x"].LastSignIn)
	}
	if r := items["active@x"].Reviewers; !slices.Equal(r, []string{rev1, rev2}) {
		t.Errorf("reviewers = %v", r)
	}

	// Refusals: not a reviewer; a denial without a reason; a bad decision.
	f.now = t0.Add(time.Hour)
	if _, err := f.svc.Decide(f.ctx, reviews.DecideInput{ItemID: items["idle@x"].ID, ReviewerID: active, Decision: reviews.Approve}); !errors.Is(err, reviews.ErrForbidden) {
		t.Fatalf("decision by a non-reviewer: %v", err)
	}
	if len(f.audit.find(audit.KindReviewDecision, "decide")) != 1 {
		t.Fatalf("the refusal was not audited: %+v", f.audit.recs)
	}
	if _, err := f.svc.Decide(f.ctx, reviews.DecideInput{ItemID: items["idle@x"].ID, ReviewerID: rev1, Decision: reviews.Deny, Reason: "  "}); !errors.Is(err, reviews.ErrInvalid) {
		t.Fatalf("deny without a reason: %v", err)
	}
	if _, err := f.svc.Decide(f.ctx, reviews.DecideInput{ItemID: items["idle@x"].ID, ReviewerID: rev1, Decision: "Maybe"}); !errors.Is(err, reviews.ErrInvalid) {
		t.Fatalf("unknown decision: %v", err)
	}
	// Decisions; rev2 changes rev1's approval of idle to a denial.
	decide := func(upn, by string, d reviews.Decision, reason string) {
		t.Helper()
		if _, err := f.svc.Decide(f.ctx, reviews.DecideInput{ItemID: items[upn].ID, ReviewerID: by, Decision: d, Reason: reason}); err != nil {
			t.Fatalf("decide %s: %v", upn, err)
		}
	}
	decide("active@x", rev1, reviews.Approve, "still on call")
	decide("idle@x", rev1, reviews.Approve, "")
	decide("idle@x", rev2, reviews.Deny, "left the team")
	decide("disabled@x", rev1, reviews.DontKnow, "")
	if it, _ := f.svc.Item(f.ctx, items["idle@x"].ID); it.Decision != reviews.Deny || it.ReviewedBy != rev2 || it.Reason != "left the team" {
		t.Fatalf("changed decision: %+v", it)
	}
	if got := len(f.audit.find(audit.KindReviewDecision, "decide")); got != 5 {
		t.Fatalf("decide audit records = %d, want 5 (1 refusal + 4)", got)
	}

	// Reminders at the interval: not at 2d-1ms, at 2d (two reviewers
	// with 2 pending items each: never, quiet), not again until 4d.
	f.tick(t0.Add(2*day - time.Millisecond))
	if n := len(f.audit.find(reviews.KindReviewReminder, "remind")); n != 0 {
		t.Fatalf("reminded early: %d", n)
	}
	if next, ok, _ := f.svc.Store.NextDue(f.ctx); !ok || !next.Equal(t0.Add(2*day)) {
		t.Fatalf("NextDue = %v %v, want the first reminder", next, ok)
	}
	f.tick(t0.Add(2 * day))
	rem := f.audit.find(reviews.KindReviewReminder, "remind")
	if len(rem) != 2 || rem[0].Details["pending"] != 2 || !slices.Contains([]string{rem[0].Subject, rem[1].Subject}, rev2) {
		t.Fatalf("reminders: %+v", rem)
	}
	if it := f.items(inst.ID)["never@x"]; !it.RemindedAt.Equal(t0.Add(2*day)) || it.Reminders != 1 {
		t.Fatalf("item reminder: %+v", it)
	}
	if it := f.items(inst.ID)["active@x"]; !it.RemindedAt.IsZero() {
		t.Fatalf("decided item reminded: %+v", it)
	}
	f.tick(t0.Add(3 * day))
	if n := len(f.audit.find(reviews.KindReviewReminder, "remind")); n != 2 {
		t.Fatalf("reminders before the next interval: %d", n)
	}
	decide("quiet@x", rev2, reviews.Approve, "needed")
	f.tick(t0.Add(4 * day))
	if n := len(f.audit.find(reviews.KindReviewReminder, "remind")); n != 4 {
		t.Fatalf("second round of reminders: %d", n)
	}

	// The end: a decision a millisecond before End is taken; at End the
	// instance is applied.
	end := inst.End
	f.now = end.Add(-time.Millisecond)
	decide("quiet@x", rev2, reviews.Approve, "needed, confirmed")
	seq, _ := f.dir.LastChange(f.ctx)
	f.tick(end.Add(-time.Millisecond))
	if got, _ := f.svc.Instance(f.ctx, inst.ID); got.Status != reviews.StatusInProgress {
		t.Fatalf("ended early: %s", got.Status)
	}
	f.now = end
	if _, err := f.svc.Decide(f.ctx, reviews.DecideInput{ItemID: items["active@x"].ID, ReviewerID: rev1, Decision: reviews.Deny, Reason: "late"}); !errors.Is(err, reviews.ErrState) {
		t.Fatalf("decision at End: %v", err)
	}
	f.tick(end)
	if got, _ := f.svc.Instance(f.ctx, inst.ID); got.Status != reviews.StatusApplied {
		t.Fatalf("status at End: %s", got.Status)
	}
	// Denied explicitly (idle) and by default (never, disabled: DontKnow
	// is a decision, so disabled stays); approved ones stay.
	final := f.items(inst.ID)
	for upn, want := range map[string]reviews.Decision{"active@x": reviews.Approve, "idle@x": reviews.Deny,
		"never@x": reviews.Deny, "disabled@x": reviews.DontKnow, "quiet@x": reviews.Approve} {
		if final[upn].Decision != want {
			t.Errorf("%s decision = %s, want %s", upn, final[upn].Decision, want)
		}
	}
	if it := final["never@x"]; it.ReviewedBy != reviews.ActorSystem || !it.Applied || it.ApplyResult != "removed" {
		t.Errorf("default denial: %+v", it)
	}
	for u, want := range map[string]bool{active: true, idle: false, never: false, disabled: true, quiet: true} {
		if f.isMember(g, u) != want {
			t.Errorf("member %s = %v, want %v", u, !want, want)
		}
	}
	changes, _ := f.dir.Changes(f.ctx, seq, 100)
	var users []string
	for _, ch := range changes {
		if ch.Kind == directory.KindUser {
			users = append(users, ch.ID)
		}
	}
	if !slices.Contains(users, idle) || !slices.Contains(users, never) || slices.Contains(users, active) {
		t.Fatalf("outbox after the end: %+v", changes)
	}
	if n := len(f.audit.find(audit.KindReviewDecision, "apply")); n != 2 {
		t.Fatalf("apply audit records = %d, want 2", n)
	}

	// Recurrence: the next instance starts a week after the first, with
	// the members that remain.
	ins = f.instances(c.ID)
	if len(ins) != 2 || !ins[1].Start.Equal(end) || ins[1].Status != reviews.StatusInProgress {
		t.Fatalf("next instance: %+v", ins)
	}
	if next := f.items(ins[1].ID); len(next) != 3 || next["idle@x"] != nil || next["disabled@x"] == nil {
		t.Fatalf("next snapshot: %v", next)
	}

	// The CSV report of the first instance.
	var buf bytes.Buffer
	if err := f.svc.Report(f.ctx, &buf, c.ID, inst.ID); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 || !slices.Equal(rows[0], reviews.ReportHeader) {
		t.Fatalf("report: %q", rows)
	}
	byUPN := map[string][]string{}
	for _, r := range rows[1:] {
		byUPN[r[3]] = r
	}
	if r := byUPN["idle@x"]; r[0] != "Quarterly admins" || r[4] != "Deny" || r[5] != "rev2@x" || r[6] != "left the team" ||
		r[7] != reviews.RecommendInactive || r[9] != "true" {
		t.Fatalf("idle row: %q", r)
	}
	if r := byUPN["never@x"]; r[4] != "Deny" || r[5] != "system" || r[9] != "true" || !strings.HasPrefix(r[6], "default decision") {
		t.Fatalf("never row: %q", r)
	}
	if r := byUPN["active@x"]; r[4] != "Approve" || r[5] != "rev1@x" || r[9] != "false" {
		t.Fatalf("active row: %q", r)
	}
	// The whole campaign's report has both instances.
	buf.Reset()
	f.svc.Report(f.ctx, &buf, c.ID, "")
	if rows, _ := csv.NewReader(&buf).ReadAll(); len(rows) != 1+5+3 {
		t.Fatalf("campaign report rows = %d", len(rows))
	}
}

// TestAppCampaignManagers: manager reviewers over an app's assignments;
// a manager decides only for their reports; close applies at once;
// default "approve" keeps undecided items.
func TestAppCampaignManagers(t *testing.T) {
	f := setup(t)
	boss, other, fallback := f.user("boss@x", "", true), f.user("other@x", "", true), f.user("fallback@x", "", true)
	amy, bob, orphan := f.user("amy@x", boss, true), f.user("bob@x", other, true), f.user("orphan@x", "", true)
	for _, u := range []string{amy, bob, orphan, boss} {
		f.signIn(u, t0.Add(-time.Hour))
	}
	app := &directory.App{ID: uuid.NewString(), DisplayName: "AWS", Template: "scim", Created: t0}
	if err := f.dir.CreateApp(f.ctx, app); err != nil {
		t.Fatal(err)
	}
	assign := map[string]string{}
	for _, u := range []string{amy, bob, orphan} {
		a := &directory.Assignment{ID: uuid.NewString(), AppID: app.ID, PrincipalID: u, PrincipalKind: directory.KindUser,
			AppRoleID: directory.DefaultAccessRole, Created: t0}
		if err := f.dir.Assign(f.ctx, a); err != nil {
			t.Fatal(err)
		}
		assign[u] = a.ID
	}
	grp := f.group("devs")
	f.dir.Assign(f.ctx, &directory.Assignment{ID: uuid.NewString(), AppID: app.ID, PrincipalID: grp, PrincipalKind: directory.KindGroup,
		AppRoleID: directory.DefaultAccessRole, Created: t0})

	// Starts tomorrow: nothing until then.
	c := &reviews.Campaign{Name: "AWS access", AppID: app.ID, Reviewers: reviews.ReviewersManagers, ReviewerIDs: []string{fallback},
		Start: t0.Add(day), Duration: 14 * day, Default: reviews.DefaultApprove, AutoApply: true}
	if err := f.svc.CreateCampaign(f.ctx, c); err != nil {
		t.Fatal(err)
	}
	f.tick(t0.Add(day - time.Millisecond))
	if len(f.instances(c.ID)) != 0 {
		t.Fatal("started early")
	}
	f.tick(t0.Add(day))
	ins := f.instances(c.ID)
	if len(ins) != 1 {
		t.Fatalf("instances: %+v", ins)
	}
	items := f.items(ins[0].ID)
	if len(items) != 3 || items["amy@x"].AssignmentID != assign[amy] {
		t.Fatalf("items: %v", items)
	}
	if !slices.Equal(items["amy@x"].Reviewers, []string{boss}) || !slices.Equal(items["orphan@x"].Reviewers, []string{fallback}) {
		t.Fatalf("manager reviewers: amy %v orphan %v", items["amy@x"].Reviewers, items["orphan@x"].Reviewers)
	}
	if items["amy@x"].Recommendation != reviews.RecommendApprove { // signed in 25 hours before the start
		t.Fatalf("amy's recommendation: %q", items["amy@x"].Recommendation)
	}
	// The boss reviews amy, not bob.
	if _, err := f.svc.Decide(f.ctx, reviews.DecideInput{ItemID: items["bob@x"].ID, ReviewerID: boss, Decision: reviews.Deny, Reason: "x"}); !errors.Is(err, reviews.ErrForbidden) {
		t.Fatalf("manager of someone else: %v", err)
	}
	if mine, _ := f.svc.Items(f.ctx, ins[0].ID, boss); len(mine) != 1 || mine[0].UserID != amy {
		t.Fatalf("boss's items: %+v", mine)
	}
	f.now = t0.Add(2 * day)
	if _, err := f.svc.Decide(f.ctx, reviews.DecideInput{ItemID: items["amy@x"].ID, ReviewerID: boss, Decision: reviews.Deny, Reason: "moved to finance"}); err != nil {
		t.Fatal(err)
	}
	// Closing early applies now: amy's assignment goes (outbox: the app
	// and amy), the undecided ones are approved by default.
	seq, _ := f.dir.LastChange(f.ctx)
	got, err := f.svc.Close(f.ctx, ins[0].ID, "admin")
	if err != nil || got.Status != reviews.StatusApplied || !got.End.Equal(f.now) {
		t.Fatalf("close: %+v %v", got, err)
	}
	as, _ := f.dir.Assignments(f.ctx, app.ID)
	var left []string
	for _, a := range as {
		left = append(left, a.PrincipalID)
	}
	if slices.Contains(left, amy) || !slices.Contains(left, bob) || !slices.Contains(left, orphan) {
		t.Fatalf("assignments after close: %v", left)
	}
	changes, _ := f.dir.Changes(f.ctx, seq, 100)
	var sawApp, sawAmy bool
	for _, ch := range changes {
		sawApp = sawApp || ch.Kind == directory.KindAssignment && ch.ID == app.ID
		sawAmy = sawAmy || ch.Kind == directory.KindUser && ch.ID == amy
	}
	if !sawApp || !sawAmy {
		t.Fatalf("outbox: %+v", changes)
	}
	final := f.items(ins[0].ID)
	if final["bob@x"].Decision != reviews.Approve || final["bob@x"].ReviewedBy != reviews.ActorSystem || final["bob@x"].Applied {
		t.Fatalf("default approve: %+v", final["bob@x"])
	}
	if _, err := f.svc.Close(f.ctx, ins[0].ID, "admin"); !errors.Is(err, reviews.ErrState) {
		t.Fatalf("close twice: %v", err)
	}
	// No recurrence: no more instances, nothing due.
	f.tick(t0.Add(30 * day))
	if len(f.instances(c.ID)) != 1 {
		t.Fatal("a one-off campaign recurred")
	}
	if _, ok, _ := f.svc.Store.NextDue(f.ctx); ok {
		t.Fatal("something still due")
	}
}

// TestSelfReview: each user reviews only their own access; no AutoApply
// leaves denials in place (Completed).
func TestSelfReview(t *testing.T) {
	f := setup(t)
	a, b := f.user("a@x", "", true), f.user("b@x", "", true)
	g := f.group("g", a, b)
	c := &reviews.Campaign{Name: "self", GroupID: g, Reviewers: reviews.ReviewersSelf, Duration: 3 * day, Default: reviews.DefaultRecommendation}
	if err := f.svc.CreateCampaign(f.ctx, c); err != nil {
		t.Fatal(err)
	}
	inst := f.instances(c.ID)[0]
	items := f.items(inst.ID)
	if _, err := f.svc.Decide(f.ctx, reviews.DecideInput{ItemID: items["b@x"].ID, ReviewerID: a, Decision: reviews.Approve}); !errors.Is(err, reviews.ErrForbidden) {
		t.Fatalf("a reviewing b: %v", err)
	}
	if _, err := f.svc.Decide(f.ctx, reviews.DecideInput{ItemID: items["a@x"].ID, ReviewerID: a, Decision: reviews.Deny, Reason: "no longer needed"}); err != nil {
		t.Fatal(err)
	}
	f.tick(inst.End)
	got, _ := f.svc.Instance(f.ctx, inst.ID)
	final := f.items(inst.ID)
	// b never signed in: the recommendation (deny) is the default.
	if got.Status != reviews.StatusCompleted || final["b@x"].Decision != reviews.Deny || final["a@x"].Applied {
		t.Fatalf("self review end: %s %+v %+v", got.Status, final["a@x"], final["b@x"])
	}
	if !f.isMember(g, a) || !f.isMember(g, b) {
		t.Fatal("a campaign without AutoApply removed someone")
	}
}

// TestValidation and a missed recurrence period.
func TestValidation(t *testing.T) {
	f := setup(t)
	u := f.user("u@x", "", true)
	g := f.group("g", u)
	for name, c := range map[string]*reviews.Campaign{
		"no scope":         {Name: "x", Reviewers: reviews.ReviewersSelf, Duration: day},
		"both scopes":      {Name: "x", GroupID: g, AppID: "a", Reviewers: reviews.ReviewersSelf, Duration: day},
		"named, nobody":    {Name: "x", GroupID: g, Reviewers: reviews.ReviewersNamed, Duration: day},
		"owners, nobody":   {Name: "x", GroupID: g, Reviewers: reviews.ReviewersOwners, Duration: day},
		"too long":         {Name: "x", GroupID: g, Reviewers: reviews.ReviewersSelf, Duration: 8 * day, Recurrence: reviews.RecurWeekly},
		"bad recurrence":   {Name: "x", GroupID: g, Reviewers: reviews.ReviewersSelf, Duration: day, Recurrence: "daily"},
		"bad default":      {Name: "x", GroupID: g, Reviewers: reviews.ReviewersSelf, Duration: day, Default: "maybe"},
		"no name":          {GroupID: g, Reviewers: reviews.ReviewersSelf, Duration: day},
		"unknown kind":     {Name: "x", GroupID: g, Reviewers: "everyone", Duration: day},
		"unknown group":    {Name: "x", GroupID: "nope", Reviewers: reviews.ReviewersSelf, Duration: day},
		"unknown reviewer": {Name: "x", GroupID: g, Reviewers: reviews.ReviewersNamed, ReviewerIDs: []string{"nope"}, Duration: day},
	} {
		err := f.svc.CreateCampaign(f.ctx, c)
		if !errors.Is(err, reviews.ErrInvalid) && !errors.Is(err, reviews.ErrNotFound) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Monthly, 3 days; the scheduler is down for 40 days after the first
	// instance: the missed period is skipped, not run with no time left.
	c := &reviews.Campaign{Name: "m", GroupID: g, Reviewers: reviews.ReviewersOwners, ReviewerIDs: []string{u},
		Duration: 3 * day, Recurrence: reviews.RecurMonthly}
	if err := f.svc.CreateCampaign(f.ctx, c); err != nil {
		t.Fatal(err)
	}
	f.tick(t0.Add(40 * day))
	ins := f.instances(c.ID)
	if len(ins) != 1 || ins[0].Status != reviews.StatusCompleted {
		t.Fatalf("after the outage: %+v", ins)
	}
	cc, _ := f.svc.Campaign(f.ctx, c.ID)
	if want := t0.AddDate(0, 2, 0); cc.NextStart == nil || !cc.NextStart.Equal(want) {
		t.Fatalf("NextStart = %v, want %v", cc.NextStart, want)
	}
	f.tick(t0.AddDate(0, 2, 0))
	if ins := f.instances(c.ID); len(ins) != 2 || !ins[1].Start.Equal(t0.AddDate(0, 2, 0)) {
		t.Fatalf("after two months: %+v", ins)
	}
}

// TestRunTimer: Run acts at End without a tick from the test.
func TestRunTimer(t *testing.T) {
	f := setup(t)
	u := f.user("u@x", "", true)
	g := f.group("g", u)
	f.svc.Now = nil // real time
	c := &reviews.Campaign{Name: "short", GroupID: g, Reviewers: reviews.ReviewersSelf, Duration: time.Hour, Default: reviews.DefaultDeny, AutoApply: true}
	if err := f.svc.CreateCampaign(f.ctx, c); err != nil {
		t.Fatal(err)
	}
	inst := f.instances(c.ID)[0]
	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan struct{})
	go func() { (&reviews.Scheduler{Service: f.svc, MaxWait: time.Hour}).Run(ctx); close(done) }()
	// Close shortens End to now; the Service re-arms the Run timer.
	f.svc.Close(f.ctx, inst.ID, "admin")
	deadline := time.Now().Add(5 * time.Second)
	for f.isMember(g, u) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if f.isMember(g, u) {
		t.Fatal("default denial not applied")
	}
}
