package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/provisioning"
)

// OpenProvisioning opens a provisioning store on a new, empty database for
// one subtest, and arranges (t.Cleanup) for it to be closed and removed when
// the subtest ends.
//
// node opens another store on the same database, as another node would;
// every store it returns is closed when the subtest ends. It may be called
// more than once and from the subtest's goroutine only.
type OpenProvisioning func(t *testing.T) (s provisioning.Store, node func() provisioning.Store)

// provEnv is what every subtest of RunProvisioning works with.
type provEnv struct {
	t    *testing.T
	ctx  context.Context
	s    provisioning.Store
	node func() provisioning.Store
}

type provTest struct {
	name string
	run  func(e *provEnv)
}

// RunProvisioning runs the provisioning.Store conformance suite, one subtest
// per rule, each on a database of its own from open.
func RunProvisioning(t *testing.T, open OpenProvisioning) {
	tests := []provTest{
		{"JobRoundTrip", testJobRoundTrip},
		{"PutJobReplaces", testPutJobReplaces},
		{"UpdateJob", testUpdateJob},
		{"UpdateJobErrors", testUpdateJobErrors},
		{"UpdateJobConcurrentNodes", testUpdateJobConcurrent},
		{"DeleteJob", testDeleteJob},

		{"Links", testLinks},
		{"Escrows", testEscrows},

		{"Logs", testLogs},
		{"LogsFilters", testLogsFilters},
		{"LogsLarge", testLogsLarge},

		{"StagedDeletes", testStagedDeletes},

		{"Lease", testLease},
		{"LeasePerJob", testLeasePerJob},
		{"LeaseConcurrent", testLeaseConcurrent},
		{"LeaseConcurrentNodes", testLeaseConcurrentNodes},
		{"LeaseConcurrentTakeover", testLeaseConcurrentTakeover},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, node := open(t)
			tc.run(&provEnv{t: t, ctx: t.Context(), s: s, node: node})
		})
	}
}

// fullJob sets every field of a job and its settings.
func fullJob(appID string) *provisioning.Job {
	return &provisioning.Job{
		AppID:   appID,
		Enabled: true,
		Settings: provisioning.Settings{
			TenantURL:   "https://scim.example.com/" + appID + "/scim/v2/",
			TokenSealed: "sealed:AAAA/BBBB+CCCC==",
			Scope:       provisioning.ScopeAssigned,
			ScopingFilters: []provisioning.ScopingFilter{
				{Clauses: []provisioning.Clause{
					{Attribute: "department", Operator: "EQUALS", Value: `Sales "EU"`},
					{Attribute: "accountEnabled", Operator: "IS TRUE"},
				}},
				{Clauses: []provisioning.Clause{{Attribute: "userPrincipalName", Operator: "REGEX MATCH", Value: `^.*@example\.com$`}}},
			},
			Users: []provisioning.Mapping{
				{Type: "direct", Source: "userPrincipalName", Target: "userName", Match: 1},
				{Type: "expression", Source: `Join(" ", [givenName], [surname])`, Target: "displayName"},
				{Type: "constant", Source: "work", Target: `emails[type eq "work"].type`, Default: "x", Apply: "always"},
			},
			Groups:             []provisioning.Mapping{{Type: "direct", Source: "displayName", Target: "displayName", Match: 1}},
			ProvisionGroups:    true,
			FlattenNested:      true,
			DeletionThreshold:  500,
			RateLimit:          24.5,
			Interval:           provisioning.Duration(40 * time.Minute),
			Dialect:            provisioning.DialectAWS,
			MaxMembersPerPatch: 100,
			Workers:            8,
		},
		Cursor: 1234,
		Quarantine: &provisioning.Quarantine{
			Reason: provisioning.ReasonCredentials, Error: "401 Unauthorized: \"bad token\"",
			Began: t0, NextAttempt: t0.Add(2 * time.Minute),
		},
		LastCycle: &provisioning.CycleSummary{
			ID: "cycle-1", Initial: true, Started: t0, Finished: t0.Add(90 * time.Second),
			Counts: map[string]int{"Create/success": 10, "Update/failure": 2}, Error: "2 objects failed",
		},
		NextCycle: t0.Add(40 * time.Minute),
		Running: &provisioning.RunningCycle{
			ID: "cycle-2", Initial: false, Phase: "export", Done: 7, Total: 42,
			Counts: map[string]int{"Create/success": 3},
		},
		Updated: t0.Add(time.Second),
	}
}

func (e *provEnv) putJob(j *provisioning.Job) *provisioning.Job {
	e.t.Helper()
	if err := e.s.PutJob(e.ctx, j); err != nil {
		e.t.Fatalf("PutJob(%s): %v", j.AppID, err)
	}
	return j
}

func (e *provEnv) getJob(appID string) *provisioning.Job {
	e.t.Helper()
	j, err := e.s.GetJob(e.ctx, appID)
	if err != nil {
		e.t.Fatalf("GetJob(%s): %v", appID, err)
	}
	return j
}

func (e *provEnv) noErr(what string, err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("%s: %v", what, err)
	}
}

func (e *provEnv) wantErr(what string, err, target error) {
	e.t.Helper()
	if !errors.Is(err, target) {
		e.t.Errorf("%s: err = %v, want %v", what, err, target)
	}
}

func testJobRoundTrip(e *provEnv) {
	jobs, err := e.s.ListJobs(e.ctx)
	e.noErr("ListJobs", err)
	if len(jobs) != 0 {
		e.t.Errorf("ListJobs on an empty store = %d jobs", len(jobs))
	}
	b := e.putJob(fullJob("app-b"))
	sameJSON(e.t, "GetJob", e.getJob(b.AppID), b)
	// A new, unconfigured job: zero values survive as zero values.
	a := e.putJob(&provisioning.Job{AppID: "app-a", Updated: t0})
	got := e.getJob(a.AppID)
	sameJSON(e.t, "GetJob(minimal)", got, a)
	if got.Quarantine != nil || got.LastCycle != nil || got.Running != nil || !got.NextCycle.IsZero() {
		e.t.Errorf("minimal job has quarantine %v, last cycle %v, running %v, next cycle %v",
			got.Quarantine, got.LastCycle, got.Running, got.NextCycle)
	}
	if got.Status() != provisioning.StatusNotConfigured || e.getJob(b.AppID).Status() != provisioning.StatusQuarantine {
		e.t.Errorf("statuses %s and %s", got.Status(), e.getJob(b.AppID).Status())
	}
	jobs, err = e.s.ListJobs(e.ctx)
	e.noErr("ListJobs", err)
	sameJSON(e.t, "ListJobs (by app id)", jobs, []*provisioning.Job{a, b})
	_, err = e.s.GetJob(e.ctx, "nosuch")
	e.wantErr("GetJob(unknown)", err, provisioning.ErrNotFound)
}

// PutJob stores the whole job: fields left empty clear what was stored.
func testPutJobReplaces(e *provEnv) {
	j := e.putJob(fullJob("app"))
	j2 := fullJob("app")
	j2.Enabled, j2.Cursor, j2.Quarantine, j2.Running, j2.NextCycle = false, 99, nil, nil, time.Time{}
	j2.Settings.Users = j2.Settings.Users[:1]
	j2.Settings.ScopingFilters = nil
	j2.Updated = t0.Add(time.Hour)
	e.putJob(j2)
	sameJSON(e.t, "GetJob after a second PutJob", e.getJob(j.AppID), j2)
	jobs, err := e.s.ListJobs(e.ctx)
	e.noErr("ListJobs", err)
	if len(jobs) != 1 {
		e.t.Errorf("ListJobs = %d jobs after two PutJobs of one app", len(jobs))
	}
}

func testUpdateJob(e *provEnv) {
	j := e.putJob(fullJob("app"))
	other := e.putJob(fullJob("other"))
	got, err := e.s.UpdateJob(e.ctx, j.AppID, func(cur *provisioning.Job) error {
		sameJSON(e.t, "fn's job", cur, j)
		cur.AppID = "ignored"
		cur.Cursor = 5000
		cur.Quarantine = nil
		cur.Running.Done, cur.Running.Phase = 41, "import"
		cur.LastCycle = &provisioning.CycleSummary{ID: "cycle-3", Started: t0.Add(time.Hour), Finished: t0.Add(2 * time.Hour),
			Counts: map[string]int{"Delete/success": 1}}
		cur.NextCycle = t0.Add(3 * time.Hour)
		cur.Settings.Users = append(cur.Settings.Users, provisioning.Mapping{Type: "direct", Source: "mail", Target: "emails[type eq \"work\"].value"})
		cur.Settings.Scope = provisioning.ScopeAll
		cur.Updated = t0.Add(4 * time.Hour)
		return nil
	})
	e.noErr("UpdateJob", err)
	want := fullJob("app")
	want.Cursor, want.Quarantine = 5000, nil
	want.Running.Done, want.Running.Phase = 41, "import"
	want.LastCycle = &provisioning.CycleSummary{ID: "cycle-3", Started: t0.Add(time.Hour), Finished: t0.Add(2 * time.Hour),
		Counts: map[string]int{"Delete/success": 1}}
	want.NextCycle = t0.Add(3 * time.Hour)
	want.Settings.Users = append(want.Settings.Users, provisioning.Mapping{Type: "direct", Source: "mail", Target: "emails[type eq \"work\"].value"})
	want.Settings.Scope = provisioning.ScopeAll
	want.Updated = t0.Add(4 * time.Hour)
	sameJSON(e.t, "UpdateJob result", got, want)
	sameJSON(e.t, "GetJob after UpdateJob", e.getJob("app"), want)
	sameJSON(e.t, "the other job", e.getJob(other.AppID), other)
	_, err = e.s.GetJob(e.ctx, "ignored")
	e.wantErr("GetJob(the id fn set)", err, provisioning.ErrNotFound)
}

func testUpdateJobErrors(e *provEnv) {
	j := e.putJob(fullJob("app"))
	_, err := e.s.UpdateJob(e.ctx, j.AppID, func(cur *provisioning.Job) error {
		cur.Cursor, cur.Enabled = 1, false
		return errFromFn
	})
	e.wantErr("UpdateJob(fn fails)", err, errFromFn)
	sameJSON(e.t, "job after a failed update", e.getJob(j.AppID), j)
	_, err = e.s.UpdateJob(e.ctx, "nosuch", func(*provisioning.Job) error { return nil })
	e.wantErr("UpdateJob(unknown)", err, provisioning.ErrNotFound)
	_, err = e.s.GetJob(e.ctx, "nosuch")
	e.wantErr("GetJob after UpdateJob(unknown)", err, provisioning.ErrNotFound)
}

// Read-modify-writes of one job from several nodes at once: none is lost.
func testUpdateJobConcurrent(e *provEnv) {
	e.putJob(&provisioning.Job{AppID: "app", Updated: t0})
	nodes := []provisioning.Store{e.s, e.node()}
	const n = 24
	errs := make([]error, n)
	concurrently(n, func(i int) {
		_, errs[i] = nodes[i%len(nodes)].UpdateJob(e.ctx, "app", func(j *provisioning.Job) error {
			j.Cursor++
			return nil
		})
	})
	for _, err := range errs {
		e.noErr("UpdateJob", err)
	}
	if got := e.getJob("app").Cursor; got != n {
		e.t.Errorf("cursor = %d after %d increments", got, n)
	}
}

func (e *provEnv) links(appID, kind string) []string {
	e.t.Helper()
	ls, err := e.s.Links(e.ctx, appID, kind)
	if err != nil {
		e.t.Fatalf("Links(%s, %s): %v", appID, kind, err)
	}
	return linkIDs(ls)
}

func linkIDs(ls []*provisioning.Link) []string {
	out := []string{}
	for _, l := range ls {
		out = append(out, l.SourceID)
	}
	slices.Sort(out)
	return out
}

func (e *provEnv) putLink(l *provisioning.Link) *provisioning.Link {
	e.t.Helper()
	if err := e.s.PutLink(e.ctx, l); err != nil {
		e.t.Fatalf("PutLink(%s): %v", l.SourceID, err)
	}
	return l
}

func (e *provEnv) same(what string, got, want []string) {
	e.t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		e.t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func testLinks(e *provEnv) {
	l := e.putLink(&provisioning.Link{AppID: "app", Kind: "user", SourceID: "u1", TargetID: "t-1"})
	got, err := e.s.GetLink(e.ctx, "app", "user", "u1")
	e.noErr("GetLink", err)
	sameJSON(e.t, "GetLink", got, l)
	esc := e.putLink(&provisioning.Link{AppID: "app", Kind: "user", SourceID: "u2", TargetID: "", Failures: 3,
		NextRetry: t0.Add(time.Hour), LastError: `409 "conflict" 'x'`, Permanent: true})
	got, err = e.s.GetLink(e.ctx, "app", "user", "u2")
	e.noErr("GetLink", err)
	sameJSON(e.t, "GetLink(escrowed)", got, esc)
	e.putLink(&provisioning.Link{AppID: "app", Kind: "group", SourceID: "u1", TargetID: "g-1"})
	e.putLink(&provisioning.Link{AppID: "other", Kind: "user", SourceID: "u3", TargetID: "t-3"})

	// Kind and app are part of the key.
	got, err = e.s.GetLink(e.ctx, "app", "group", "u1")
	e.noErr("GetLink(group)", err)
	if got.TargetID != "g-1" {
		e.t.Errorf("GetLink(group u1) = target %q", got.TargetID)
	}
	_, err = e.s.GetLink(e.ctx, "other", "user", "u1")
	e.wantErr("GetLink(other app)", err, provisioning.ErrNotFound)
	_, err = e.s.GetLink(e.ctx, "app", "user", "nosuch")
	e.wantErr("GetLink(unknown)", err, provisioning.ErrNotFound)
	e.same("Links(app, user)", e.links("app", "user"), []string{"u1", "u2"})
	e.same("Links(app, group)", e.links("app", "group"), []string{"u1"})
	e.same("Links(other, user)", e.links("other", "user"), []string{"u3"})
	e.same("Links(nosuch, user)", e.links("nosuch", "user"), nil)
	ls, err := e.s.Links(e.ctx, "app", "user")
	e.noErr("Links", err)
	for _, x := range ls {
		if x.SourceID == "u2" {
			sameJSON(e.t, "Links(app, user) u2", x, esc)
		}
	}

	// PutLink replaces: an escrow cleared is cleared.
	fixed := &provisioning.Link{AppID: "app", Kind: "user", SourceID: "u2", TargetID: "t-2"}
	e.putLink(fixed)
	got, err = e.s.GetLink(e.ctx, "app", "user", "u2")
	e.noErr("GetLink", err)
	sameJSON(e.t, "GetLink after PutLink", got, fixed)

	e.noErr("DeleteLink", e.s.DeleteLink(e.ctx, "app", "user", "u1"))
	_, err = e.s.GetLink(e.ctx, "app", "user", "u1")
	e.wantErr("GetLink(deleted)", err, provisioning.ErrNotFound)
	e.same("Links(app, user) after delete", e.links("app", "user"), []string{"u2"})
	e.same("Links(app, group) after deleting the user link", e.links("app", "group"), []string{"u1"})
}

// DueEscrows lists the job's retryable escrowed links whose time has come;
// EscrowCount counts every escrowed link.
func testEscrows(e *provEnv) {
	now := t0.Add(24 * time.Hour)
	e.putLink(&provisioning.Link{AppID: "app", Kind: "user", SourceID: "ok", TargetID: "t"})
	e.putLink(&provisioning.Link{AppID: "app", Kind: "user", SourceID: "due", Failures: 2, NextRetry: now.Add(-time.Minute), LastError: "500"})
	e.putLink(&provisioning.Link{AppID: "app", Kind: "group", SourceID: "due-now", TargetID: "g", Failures: 1, NextRetry: now, LastError: "503"})
	e.putLink(&provisioning.Link{AppID: "app", Kind: "user", SourceID: "later", Failures: 1, NextRetry: now.Add(time.Millisecond), LastError: "429"})
	e.putLink(&provisioning.Link{AppID: "app", Kind: "user", SourceID: "permanent", Failures: 1, NextRetry: now.Add(-time.Hour), LastError: "400", Permanent: true})
	e.putLink(&provisioning.Link{AppID: "other", Kind: "user", SourceID: "other-due", Failures: 1, NextRetry: now.Add(-time.Hour), LastError: "500"})

	due, err := e.s.DueEscrows(e.ctx, "app", now)
	e.noErr("DueEscrows", err)
	e.same("DueEscrows(app, now)", linkIDs(due), []string{"due", "due-now"})
	for _, l := range due {
		if l.AppID != "app" || l.Failures == 0 || l.Permanent {
			e.t.Errorf("DueEscrows returned %+v", l)
		}
	}
	due, err = e.s.DueEscrows(e.ctx, "app", now.Add(time.Millisecond))
	e.noErr("DueEscrows", err)
	e.same("DueEscrows(app, now+1ms)", linkIDs(due), []string{"due", "due-now", "later"})
	due, err = e.s.DueEscrows(e.ctx, "app", t0)
	e.noErr("DueEscrows", err)
	e.same("DueEscrows(app, long before)", linkIDs(due), nil)
	due, err = e.s.DueEscrows(e.ctx, "other", now)
	e.noErr("DueEscrows", err)
	e.same("DueEscrows(other)", linkIDs(due), []string{"other-due"})

	for app, want := range map[string]int{"app": 4, "other": 1, "nosuch": 0} {
		n, err := e.s.EscrowCount(e.ctx, app)
		e.noErr("EscrowCount", err)
		if n != want {
			e.t.Errorf("EscrowCount(%s) = %d, want %d", app, n, want)
		}
	}
	// Clearing an escrow takes the link out of both.
	e.putLink(&provisioning.Link{AppID: "app", Kind: "user", SourceID: "due", TargetID: "t-due"})
	due, err = e.s.DueEscrows(e.ctx, "app", now)
	e.noErr("DueEscrows", err)
	e.same("DueEscrows after clearing one", linkIDs(due), []string{"due-now"})
	if n, _ := e.s.EscrowCount(e.ctx, "app"); n != 3 {
		e.t.Errorf("EscrowCount after clearing one = %d, want 3", n)
	}
}

func logEntry(i int, app, cycle, source, action, status string, at time.Time) provisioning.LogEntry {
	return provisioning.LogEntry{
		ID: fmt.Sprintf("log-%02d", i), AppID: app, CycleID: cycle, ChangeID: fmt.Sprint(i), At: at,
		Action: action, Status: status, Kind: "user", SourceID: source, SourceName: "Name " + source,
	}
}

func (e *provEnv) logIDs(q provisioning.LogQuery) []string {
	e.t.Helper()
	ls, err := e.s.Logs(e.ctx, q)
	if err != nil {
		e.t.Fatalf("Logs(%+v): %v", q, err)
	}
	out := []string{}
	for _, l := range ls {
		out = append(out, l.ID)
	}
	return out
}

// Every field of a log entry comes back; Logs lists newest first.
func testLogs(e *provEnv) {
	e.same("Logs on an empty store", e.logIDs(provisioning.LogQuery{}), nil)
	e.noErr("AppendLogs(none)", e.s.AppendLogs(e.ctx, nil))
	full := provisioning.LogEntry{
		ID: "full", AppID: "app", CycleID: "cycle-1", ChangeID: "77", At: t0, Action: "Update", Status: "failure",
		Kind: "user", SourceID: "src-1", SourceName: `Åsa "the boss" O'Berg`, TargetID: "tgt-1",
		Modified:   []provisioning.Modified{{Name: "title", Old: "a", New: "b"}, {Name: "active", Old: "true", New: "false"}},
		ErrorCode:  "SystemForCrossDomainIdentityManagementServiceIncompatible",
		ErrorMsg:   "400 Bad Request: {\"detail\": \"bad\"}",
		Steps:      []provisioning.Step{{Name: "Import", Type: "Import", Status: "success", Details: "read the user"}},
		DurationMS: 1234,
	}
	e.noErr("AppendLogs", e.s.AppendLogs(e.ctx, []provisioning.LogEntry{full}))
	got, err := e.s.Logs(e.ctx, provisioning.LogQuery{})
	e.noErr("Logs", err)
	sameJSON(e.t, "Logs", got, []provisioning.LogEntry{full})

	// Later appends come first, whatever the entries' times.
	var batch []provisioning.LogEntry
	for i := range 5 {
		batch = append(batch, logEntry(i, "app", "cycle-2", "s", "Create", "success", t0.Add(-time.Duration(i)*time.Minute)))
	}
	e.noErr("AppendLogs", e.s.AppendLogs(e.ctx, batch[:3]))
	e.noErr("AppendLogs", e.s.AppendLogs(e.ctx, batch[3:]))
	e.same("Logs", e.logIDs(provisioning.LogQuery{}), []string{"log-04", "log-03", "log-02", "log-01", "log-00", "full"})
	e.same("Logs(Limit 2)", e.logIDs(provisioning.LogQuery{Limit: 2}), []string{"log-04", "log-03"})
	e.same("Logs(Limit 100)", e.logIDs(provisioning.LogQuery{Limit: 100}), []string{"log-04", "log-03", "log-02", "log-01", "log-00", "full"})
}

// A large append (a cycle's worth) keeps every entry, in order.
func testLogsLarge(e *provEnv) {
	var all []provisioning.LogEntry
	for i := range 257 {
		all = append(all, logEntry(i, "app", "cycle", fmt.Sprintf("src-%03d", i), "Create", "success", t0))
	}
	e.noErr("AppendLogs(250)", e.s.AppendLogs(e.ctx, all[:250]))
	e.noErr("AppendLogs(7)", e.s.AppendLogs(e.ctx, all[250:]))
	got, err := e.s.Logs(e.ctx, provisioning.LogQuery{AppID: "app", Limit: 1000})
	e.noErr("Logs", err)
	want := slices.Clone(all)
	slices.Reverse(want)
	sameJSON(e.t, "Logs after a large append", got, want)
	e.same("Logs(SourceID src-123)", e.logIDs(provisioning.LogQuery{SourceID: "src-123"}), []string{"log-123"})
}

// Each filter selects, and they combine (AND).
func testLogsFilters(e *provEnv) {
	base := t0
	entries := []provisioning.LogEntry{
		logEntry(0, "app", "c1", "alice", "Create", "success", base),
		logEntry(1, "app", "c1", "bob", "Create", "failure", base.Add(time.Minute)),
		logEntry(2, "app", "c2", "alice", "Update", "success", base.Add(2*time.Minute)),
		logEntry(3, "other", "c3", "alice", "Delete", "success", base.Add(3*time.Minute)),
		logEntry(4, "app", "c2", "carol", "Skip", "skipped", base.Add(4*time.Minute)),
		logEntry(5, "app", "c2", "bob", "Update", "failure", base.Add(5*time.Minute)),
	}
	e.noErr("AppendLogs", e.s.AppendLogs(e.ctx, entries))
	ids := func(is ...int) []string {
		var out []string
		for _, i := range is {
			out = append(out, fmt.Sprintf("log-%02d", i))
		}
		return out
	}
	cases := []struct {
		q    provisioning.LogQuery
		want []string
	}{
		{provisioning.LogQuery{}, ids(5, 4, 3, 2, 1, 0)},
		{provisioning.LogQuery{AppID: "app"}, ids(5, 4, 2, 1, 0)},
		{provisioning.LogQuery{AppID: "other"}, ids(3)},
		{provisioning.LogQuery{AppID: "nosuch"}, nil},
		{provisioning.LogQuery{CycleID: "c2"}, ids(5, 4, 2)},
		{provisioning.LogQuery{SourceID: "alice"}, ids(3, 2, 0)},
		{provisioning.LogQuery{AppID: "app", SourceID: "alice"}, ids(2, 0)},
		{provisioning.LogQuery{Action: "Update"}, ids(5, 2)},
		{provisioning.LogQuery{Status: "failure"}, ids(5, 1)},
		{provisioning.LogQuery{Status: "FAILURE"}, nil},
		{provisioning.LogQuery{Since: base.Add(2 * time.Minute)}, ids(5, 4, 3, 2)},
		{provisioning.LogQuery{Since: base.Add(2*time.Minute + time.Millisecond)}, ids(5, 4, 3)},
		{provisioning.LogQuery{AppID: "app", Since: base.Add(time.Minute), Status: "success"}, ids(2)},
		{provisioning.LogQuery{AppID: "app", Since: base.Add(time.Minute), Action: "Update"}, ids(5, 2)},
		{provisioning.LogQuery{AppID: "app", CycleID: "c2", SourceID: "bob", Action: "Update", Status: "failure", Since: base}, ids(5)},
		{provisioning.LogQuery{AppID: "app", Limit: 2}, ids(5, 4)},
		{provisioning.LogQuery{SourceID: "alice", Limit: 1}, ids(3)},
	}
	for _, tc := range cases {
		e.same(fmt.Sprintf("Logs(%+v)", tc.q), e.logIDs(tc.q), tc.want)
	}
}

func (e *provEnv) staged(appID string) []provisioning.StagedDelete {
	e.t.Helper()
	ds, err := e.s.StagedDeletes(e.ctx, appID)
	if err != nil {
		e.t.Fatalf("StagedDeletes(%s): %v", appID, err)
	}
	slices.SortFunc(ds, func(a, b provisioning.StagedDelete) int {
		if a.Kind != b.Kind {
			return compare(a.Kind, b.Kind)
		}
		return compare(a.SourceID, b.SourceID)
	})
	return ds
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func testStagedDeletes(e *provEnv) {
	if got := e.staged("app"); len(got) != 0 {
		e.t.Errorf("StagedDeletes on an empty store = %v", got)
	}
	d1 := provisioning.StagedDelete{AppID: "app", Kind: "group", SourceID: "g1", TargetID: "tg1", Action: "Delete", Staged: t0}
	d2 := provisioning.StagedDelete{AppID: "app", Kind: "user", SourceID: "u1", TargetID: "tu1", Action: "Disable", Staged: t0}
	d3 := provisioning.StagedDelete{AppID: "app", Kind: "user", SourceID: "u2", TargetID: "tu2", Action: "Delete", Staged: t0}
	o1 := provisioning.StagedDelete{AppID: "other", Kind: "user", SourceID: "u1", TargetID: "ou1", Action: "Delete", Staged: t0}
	e.noErr("StageDeletes", e.s.StageDeletes(e.ctx, []provisioning.StagedDelete{d2, d1, o1}))
	e.noErr("StageDeletes", e.s.StageDeletes(e.ctx, []provisioning.StagedDelete{d3}))
	e.noErr("StageDeletes(none)", e.s.StageDeletes(e.ctx, nil))
	sameJSON(e.t, "StagedDeletes(app)", e.staged("app"), []provisioning.StagedDelete{d1, d2, d3})
	sameJSON(e.t, "StagedDeletes(other)", e.staged("other"), []provisioning.StagedDelete{o1})

	// Staging an object again updates its record (the action and target)
	// and keeps the time it was first staged; it is not listed twice.
	again := d2
	again.Action, again.TargetID, again.Staged = "Delete", "tu1-new", t0.Add(time.Hour)
	e.noErr("StageDeletes(again)", e.s.StageDeletes(e.ctx, []provisioning.StagedDelete{again}))
	got := e.staged("app")
	if len(got) != 3 {
		e.t.Fatalf("StagedDeletes after restaging = %v, want 3 records", got)
	}
	if r := got[1]; r.SourceID != "u1" || r.Action != "Delete" || r.TargetID != "tu1-new" || !r.Staged.Equal(t0) {
		e.t.Errorf("restaged record = %+v, want action Delete, target tu1-new, staged %v", r, t0)
	}

	e.noErr("ClearStagedDeletes", e.s.ClearStagedDeletes(e.ctx, "app"))
	if got := e.staged("app"); len(got) != 0 {
		e.t.Errorf("StagedDeletes after clearing = %v", got)
	}
	sameJSON(e.t, "StagedDeletes(other) after clearing app", e.staged("other"), []provisioning.StagedDelete{o1})
	e.noErr("ClearStagedDeletes(empty)", e.s.ClearStagedDeletes(e.ctx, "app"))
	// The cleared objects can be staged again.
	e.noErr("StageDeletes", e.s.StageDeletes(e.ctx, []provisioning.StagedDelete{d1}))
	sameJSON(e.t, "StagedDeletes after staging again", e.staged("app"), []provisioning.StagedDelete{d1})
}

func (e *provEnv) acquire(s provisioning.Store, app, owner string, now time.Time, ttl time.Duration) bool {
	e.t.Helper()
	ok, err := s.AcquireLease(e.ctx, app, owner, now, now.Add(ttl))
	if err != nil {
		e.t.Fatalf("AcquireLease(%s, %s): %v", app, owner, err)
	}
	return ok
}

func (e *provEnv) wantLease(what string, got, want bool) {
	e.t.Helper()
	if got != want {
		e.t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// A live lease is its owner's alone; it can be renewed by its owner, taken
// over once expired, and released by its owner only.
func testLease(e *provEnv) {
	const ttl = time.Minute
	now := t0
	e.wantLease("A acquires a free lease", e.acquire(e.s, "app", "A", now, ttl), true)
	e.wantLease("B while A's lease is live", e.acquire(e.s, "app", "B", now.Add(30*time.Second), ttl), false)
	e.wantLease("A renews", e.acquire(e.s, "app", "A", now.Add(30*time.Second), ttl), true)
	// The renewal moved the expiry to now+90s.
	e.wantLease("B after the first term, within the renewed one", e.acquire(e.s, "app", "B", now.Add(61*time.Second), ttl), false)
	e.wantLease("B after the renewed term", e.acquire(e.s, "app", "B", now.Add(91*time.Second), ttl), true)
	e.wantLease("A after B took over", e.acquire(e.s, "app", "A", now.Add(92*time.Second), ttl), false)

	// Releasing someone else's lease does nothing.
	e.noErr("ReleaseLease(A, not the owner)", e.s.ReleaseLease(e.ctx, "app", "A"))
	e.wantLease("A after its stray release", e.acquire(e.s, "app", "A", now.Add(93*time.Second), ttl), false)
	e.noErr("ReleaseLease(B)", e.s.ReleaseLease(e.ctx, "app", "B"))
	e.wantLease("A after B released", e.acquire(e.s, "app", "A", now.Add(94*time.Second), ttl), true)
	e.noErr("ReleaseLease(free)", e.s.ReleaseLease(e.ctx, "nosuch", "A"))

	// Another node sees the lease.
	n2 := e.node()
	e.wantLease("B on another node", e.acquire(n2, "app", "B", now.Add(95*time.Second), ttl), false)
	e.noErr("ReleaseLease(A)", e.s.ReleaseLease(e.ctx, "app", "A"))
	e.wantLease("B on another node after A released", e.acquire(n2, "app", "B", now.Add(96*time.Second), ttl), true)
}

// Leases are per job.
func testLeasePerJob(e *provEnv) {
	e.wantLease("A on app1", e.acquire(e.s, "app1", "A", t0, time.Minute), true)
	e.wantLease("B on app2", e.acquire(e.s, "app2", "B", t0, time.Minute), true)
	e.wantLease("B on app1", e.acquire(e.s, "app1", "B", t0, time.Minute), false)
	e.wantLease("A on app2", e.acquire(e.s, "app2", "A", t0, time.Minute), false)
	e.noErr("ReleaseLease", e.s.ReleaseLease(e.ctx, "app1", "A"))
	e.wantLease("A on app2 after releasing app1", e.acquire(e.s, "app2", "A", t0, time.Minute), false)
	e.wantLease("B on app1 after A released it", e.acquire(e.s, "app1", "B", t0, time.Minute), true)
}

// raceLease has 8 owners, on the given stores in turn, acquire one lease at
// once and returns the winners.
func (e *provEnv) raceLease(stores []provisioning.Store, now time.Time) []int {
	const n = 8
	got := make([]bool, n)
	errs := make([]error, n)
	concurrently(n, func(i int) {
		got[i], errs[i] = stores[i%len(stores)].AcquireLease(e.ctx, "app", fmt.Sprintf("owner-%d", i), now, now.Add(time.Minute))
	})
	var won []int
	for i := range n {
		e.noErr("AcquireLease", errs[i])
		if got[i] {
			won = append(won, i)
		}
	}
	return won
}

func testLeaseConcurrent(e *provEnv) {
	if won := e.raceLease([]provisioning.Store{e.s}, t0); len(won) != 1 {
		e.t.Errorf("8 owners acquiring a free lease: winners %v, want exactly one", won)
	}
}

func (e *provEnv) nodes(n int) []provisioning.Store {
	out := []provisioning.Store{e.s}
	for len(out) < n {
		out = append(out, e.node())
	}
	return out
}

func testLeaseConcurrentNodes(e *provEnv) {
	if won := e.raceLease(e.nodes(8), t0); len(won) != 1 {
		e.t.Errorf("8 owners on 8 nodes acquiring a free lease: winners %v, want exactly one", won)
	}
}

// Owners racing to take over an expired lease: exactly one gets it.
func testLeaseConcurrentTakeover(e *provEnv) {
	e.wantLease("old owner", e.acquire(e.s, "app", "old", t0, time.Minute), true)
	won := e.raceLease(e.nodes(8), t0.Add(2*time.Minute))
	if len(won) != 1 {
		e.t.Fatalf("8 owners on 8 nodes taking over an expired lease: winners %v, want exactly one", won)
	}
	e.wantLease("old owner after the takeover", e.acquire(e.s, "app", "old", t0.Add(2*time.Minute), time.Minute), false)
}

// DeleteJob removes the job with its links, staged deletes and lease, keeps
// its logs, and leaves other jobs alone.
func testDeleteJob(e *provEnv) {
	for _, app := range []string{"app", "other"} {
		e.putJob(fullJob(app))
		e.putLink(&provisioning.Link{AppID: app, Kind: "user", SourceID: "u1", TargetID: "t-1"})
		e.noErr("StageDeletes", e.s.StageDeletes(e.ctx, []provisioning.StagedDelete{
			{AppID: app, Kind: "user", SourceID: "u1", TargetID: "t-1", Action: "Delete", Staged: t0}}))
		e.wantLease("AcquireLease("+app+", A)", e.acquire(e.s, app, "A", t0, time.Minute), true)
		e.noErr("AppendLogs", e.s.AppendLogs(e.ctx, []provisioning.LogEntry{{ID: "log-" + app, AppID: app, At: t0,
			Action: "Create", Status: "success", Kind: "user", SourceID: "u1"}}))
	}
	e.noErr("DeleteJob", e.s.DeleteJob(e.ctx, "app"))
	_, err := e.s.GetJob(e.ctx, "app")
	e.wantErr("GetJob after DeleteJob", err, provisioning.ErrNotFound)
	e.same("links after DeleteJob", e.links("app", "user"), nil)
	if got := e.staged("app"); len(got) != 0 {
		e.t.Errorf("staged deletes after DeleteJob: %v", got)
	}
	e.wantLease("AcquireLease(app, B) after DeleteJob", e.acquire(e.s, "app", "B", t0, time.Minute), true)
	e.same("logs after DeleteJob", e.logIDs(provisioning.LogQuery{AppID: "app"}), []string{"log-app"})
	e.wantErr("DeleteJob(again)", e.s.DeleteJob(e.ctx, "app"), provisioning.ErrNotFound)

	e.getJob("other")
	e.same("other's links", e.links("other", "user"), []string{"u1"})
	if got := e.staged("other"); len(got) != 1 {
		e.t.Errorf("other's staged deletes: %v", got)
	}
	e.wantLease("AcquireLease(other, B)", e.acquire(e.s, "other", "B", t0, time.Minute), false)
}
