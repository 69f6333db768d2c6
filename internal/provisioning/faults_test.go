package provisioning_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center/scimserver"
	"github.com/gatehouse-id/gatehouse/internal/center/scimserver/scimtest"
	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/provisioning"
	"github.com/gatehouse-id/gatehouse/internal/provisioning/scimclient"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/internal/store/centerdb"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
	"github.com/gatehouse-id/gatehouse/internal/store/provisioningdb"
	"github.com/gatehouse-id/gatehouse/internal/store/storetest"
)

// This file runs the engine against a target that misbehaves: it
// throttles, fails, refuses values or credentials, or dies mid-cycle
// (shared/reference/entra-provisioning.md §1.6, §1.7). Faults are injected
// by wrapping the center's SCIM handler; escrow and quarantine timers run on
// an injected clock, advanced by the test, so nothing waits for minutes.

// manualClock is the engine's clock (Engine.Now), moved only by Advance.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *manualClock { return &manualClock{now: time.Now().UTC().Truncate(time.Second)} }

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// worldOpts set up a world beyond what newWorld does.
type worldOpts struct {
	wrap func(http.Handler) http.Handler
	tune func(*provisioning.Settings)
	// seed fills the directory before the job starts, so that the initial
	// cycle, not incremental work, provisions it.
	seed  func(w *world)
	clock *manualClock
	// targetURL and targetToken name a SCIM service other than the center,
	// which is then not started.
	targetURL, targetToken string
}

// faultWorld is a world whose center can be stopped and started again on
// the same database, and whose engine may run on a manual clock. The engine
// talks to the center through srv (faults injected); the test reads the
// center through another server without faults (world.scimURL), so that its
// own polling neither meets nor counts as the engine's traffic.
type faultWorld struct {
	*world
	clock     *manualClock
	cstore    *centerdb.Store
	srv       *httptest.Server
	engineURL string
}

func newFaultWorld(t *testing.T, o worldOpts) *faultWorld {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	fw := &faultWorld{world: &world{t: t, ctx: ctx}, clock: o.clock}
	if o.targetURL != "" {
		fw.scimURL, fw.engineURL, fw.token = o.targetURL, o.targetURL, o.targetToken
	} else {
		// The engine talks to startCenter's listener (with the faults);
		// the test inspects the center through this one.
		inspect := scimtest.Start(t, nil)
		fw.cstore, fw.token = inspect.Store, inspect.Token
		fw.scimURL, fw.handler = inspect.URL, inspect.Handler
		fw.startCenter(o.wrap)
	}
	ddb := storetest.SQLite(t)
	box, err := secret.LoadOrCreateKey(filepath.Join(t.TempDir(), "key"))
	if err != nil {
		t.Fatal(err)
	}
	fw.dir, fw.pstore = directorydb.New(ddb), provisioningdb.New(ddb)
	fw.engine = &provisioning.Engine{Dir: fw.dir, Store: fw.pstore, Box: box, Poll: 50 * time.Millisecond, Timeout: 5 * time.Second}
	if o.clock != nil {
		fw.engine.Now = o.clock.Now
	}
	fw.app = &directory.App{ID: directorydb.NewID(), DisplayName: "AWS IAM Identity Center", Template: provisioning.TemplateAWS, Created: time.Now()}
	if err := fw.dir.CreateApp(ctx, fw.app); err != nil {
		t.Fatal(err)
	}
	if o.seed != nil {
		o.seed(fw.world)
	}
	set := provisioning.DefaultSettings(fw.engineURL)
	if o.tune != nil {
		o.tune(&set)
	}
	if _, err := fw.engine.Configure(ctx, fw.app.ID, set, fw.token); err != nil {
		t.Fatal(err)
	}
	if err := fw.engine.SetEnabled(ctx, fw.app.ID, true); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { fw.engine.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return fw
}

// startCenter serves the center's SCIM API to the engine on a new port, on
// the world's center database.
func (fw *faultWorld) startCenter(wrap func(http.Handler) http.Handler) {
	mux := http.NewServeMux()
	(&scimserver.Handler{Store: fw.cstore}).Mount(mux)
	var h http.Handler = mux
	if wrap != nil {
		h = wrap(mux)
	}
	fw.srv = httptest.NewServer(h)
	fw.t.Cleanup(fw.srv.Close)
	fw.engineURL = fw.srv.URL + scimserver.Prefix
}

// waitFor is eventually with a deadline of the test's choosing.
func (fw *faultWorld) waitFor(what string, within time.Duration, cond func() (bool, string)) {
	fw.t.Helper()
	deadline := time.Now().Add(within)
	last := ""
	for time.Now().Before(deadline) {
		ok, seen := cond()
		if ok {
			return
		}
		last = seen
		time.Sleep(25 * time.Millisecond)
	}
	fw.t.Fatalf("%s: never happened within %v; last seen: %s", what, within, last)
}

// initialCycleDone waits for the job's first cycle to end, so that what a
// test does next is incremental work only.
func (fw *faultWorld) initialCycleDone() {
	fw.t.Helper()
	fw.waitFor("the initial cycle", 15*time.Second, func() (bool, string) {
		j, err := fw.pstore.GetJob(fw.ctx, fw.app.ID)
		return err == nil && j.LastCycle != nil, ""
	})
}

// drained waits until the engine has handled every directory change so
// far, so that a fault injected next meets only what the test does next.
func (fw *faultWorld) drained() {
	fw.t.Helper()
	fw.waitFor("every change handled", 15*time.Second, func() (bool, string) {
		last, err := fw.dir.LastChange(fw.ctx)
		if err != nil {
			fw.t.Fatal(err)
		}
		j, err := fw.pstore.GetJob(fw.ctx, fw.app.ID)
		return err == nil && j.Cursor >= last, fmt.Sprintf("cursor %d, last change %d", j.Cursor, last)
	})
}

func (fw *faultWorld) status() *provisioning.JobStatus {
	fw.t.Helper()
	st, err := fw.engine.Status(fw.ctx, fw.app.ID)
	if err != nil {
		fw.t.Fatal(err)
	}
	return st
}

func (fw *faultWorld) link(sourceID string) *provisioning.Link {
	l, err := fw.pstore.GetLink(fw.ctx, fw.app.ID, directory.KindUser, sourceID)
	if err != nil {
		return nil
	}
	return l
}

func (fw *faultWorld) logs(q provisioning.LogQuery) []provisioning.LogEntry {
	fw.t.Helper()
	q.AppID = fw.app.ID
	ls, err := fw.pstore.Logs(fw.ctx, q)
	if err != nil {
		fw.t.Fatal(err)
	}
	return ls
}

func (fw *faultWorld) assignGroup(g *directory.Group) *directory.Assignment {
	fw.t.Helper()
	a := &directory.Assignment{ID: directorydb.NewID(), AppID: fw.app.ID, PrincipalID: g.ID, Created: time.Now()}
	if err := fw.dir.Assign(fw.ctx, a); err != nil {
		fw.t.Fatal(err)
	}
	return a
}

// targetUsers reads every user of the target, paging with AWS's cursor.
func (fw *faultWorld) targetUsers(filter string) []scimclient.Doc {
	fw.t.Helper()
	var out []scimclient.Doc
	c := scimclient.New(fw.scimURL, fw.token, 0, 10*time.Second)
	if err := c.Each(fw.ctx, "Users", filter, true, func(d scimclient.Doc) error {
		out = append(out, d)
		return nil
	}); err != nil {
		fw.t.Fatal(err)
	}
	return out
}

// memberNames lists the userNames in a target group (AWS's way of reading
// members), every page of them.
func (fw *faultWorld) memberNames(groupName string) map[string]bool {
	g := fw.targetGroup(groupName)
	if g == nil {
		return nil
	}
	out := map[string]bool{}
	for _, u := range fw.targetUsers(fmt.Sprintf("groups.value eq %q", g["id"])) {
		out[u["userName"].(string)] = true
	}
	return out
}

// intercept wraps a target with fn, which sees each request and its body
// and answers it itself by returning true.
func intercept(fn func(w http.ResponseWriter, r *http.Request, body string) bool) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(b))
			if !fn(w, r, string(b)) {
				h.ServeHTTP(w, r)
			}
		})
	}
}

func scimError(w http.ResponseWriter, status int, detail string, headers ...string) {
	for i := 0; i+1 < len(headers); i += 2 {
		w.Header().Set(headers[i], headers[i+1])
	}
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"%d","detail":%q}`, status, detail)
}

func isCreate(r *http.Request, resource string) bool {
	return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/"+resource)
}

// noFailures fails the test if any log entry of the job is a failure.
func (fw *faultWorld) noFailures() {
	fw.t.Helper()
	if ls := fw.logs(provisioning.LogQuery{Status: "failure"}); len(ls) > 0 {
		fw.t.Fatalf("%d failures logged, first: %s %s %s", len(ls), ls[0].Action, ls[0].ErrorCode, ls[0].ErrorMsg)
	}
}

// The target throttles (429 with Retry-After) for a while, then recovers:
// the engine waits as told, and everything arrives without a failure.
func TestTargetThrottlesThenRecovers(t *testing.T) {
	const workers = 4
	var mu sync.Mutex
	var creates, throttled int
	var until time.Time // end of the throttling window, once it began
	wrap := intercept(func(w http.ResponseWriter, r *http.Request, body string) bool {
		mu.Lock()
		defer mu.Unlock()
		if isCreate(r, "Users") {
			creates++
		}
		// The window opens at the 5th user create and lasts 1.5 s, so that
		// every request hits it at most twice with Retry-After: 1.
		if until.IsZero() && creates == 5 {
			until = time.Now().Add(1500 * time.Millisecond)
		}
		if !until.IsZero() && time.Now().Before(until) {
			throttled++
			scimError(w, http.StatusTooManyRequests, "Rate exceeded", "Retry-After", "1")
			return true
		}
		return false
	})
	var users []*directory.User
	fw := newFaultWorld(t, worldOpts{wrap: wrap, tune: func(s *provisioning.Settings) { s.Workers = workers }, seed: func(w *world) {
		g := w.group("AWS-Developers")
		w.assign(g.ID)
		for i := range 20 {
			u := w.user(fmt.Sprintf("user%02d@example.com", i))
			w.add(g.ID, u.ID)
			users = append(users, u)
		}
	}})
	fw.waitFor("every user and membership arrives", 20*time.Second, func() (bool, string) {
		m := fw.memberNames("AWS-Developers")
		return len(m) == 20 && len(fw.targetUsers("")) == 20, fmt.Sprintf("%d members", len(m))
	})
	mu.Lock()
	n := throttled
	mu.Unlock()
	t.Logf("%d requests throttled", n)
	if n == 0 {
		t.Fatal("the target never throttled; the test tested nothing")
	}
	// Each worker's request meets the window at most twice when Retry-After
	// is honoured (retrying on backoff alone would make about 4 each).
	if n > 3*workers {
		t.Fatalf("%d requests throttled with %d workers: Retry-After was not honoured", n, workers)
	}
	fw.noFailures()
	if st := fw.status(); st.Escrowed != 0 || st.Status != provisioning.StatusActive || st.Provisioned[directory.KindUser] != 20 {
		t.Fatalf("status %s", jsonOf(st))
	}
	for _, u := range fw.targetUsers("") {
		if u["active"] != true {
			t.Fatalf("inactive user %s", jsonOf(u))
		}
	}
}

// The target fails with 500 for a while: the client retries, then the
// engine escrows the objects, and retries them when due (a minute later,
// on the engine's clock): users and their memberships arrive.
func TestTargetServerErrorsEscrowThenArrive(t *testing.T) {
	clock := newClock()
	var failing atomic.Bool
	var failedCreates atomic.Int32
	wrap := intercept(func(w http.ResponseWriter, r *http.Request, body string) bool {
		if failing.Load() && isCreate(r, "Users") {
			failedCreates.Add(1)
			scimError(w, http.StatusInternalServerError, "Internal failure")
			return true
		}
		return false
	})
	fw := newFaultWorld(t, worldOpts{wrap: wrap, clock: clock})
	fw.initialCycleDone()
	g := fw.group("AWS-Ops")
	fw.assign(g.ID)
	fw.waitFor("group provisioned", 15*time.Second, func() (bool, string) { return fw.targetGroup("AWS-Ops") != nil, "" })
	fw.drained()

	// The users exist (out of scope) before the target fails, so that each
	// comes into scope by one change: its membership.
	ana, bo := fw.user("ana@example.com"), fw.user("bo@example.com")
	fw.drained()
	failing.Store(true)
	failedAt := clock.Now()
	fw.add(g.ID, ana.ID)
	fw.add(g.ID, bo.ID)
	fw.waitFor("both users escrowed and logged", 20*time.Second, func() (bool, string) {
		la, lb := fw.link(ana.ID), fw.link(bo.ID)
		logged := len(fw.logs(provisioning.LogQuery{Status: "failure"}))
		return la != nil && lb != nil && la.Failures == 1 && lb.Failures == 1 && logged == 2, jsonOf([]any{la, lb, logged})
	})
	// The client tried each create 4 times; the engine escrowed each for a
	// retry a minute later, as a retryable (not permanent) failure.
	if n := failedCreates.Load(); n != 8 {
		t.Fatalf("%d creates reached the failing target, want 4 attempts for each of 2 users", n)
	}
	for _, u := range []*directory.User{ana, bo} {
		l := fw.link(u.ID)
		if l.Permanent || !l.NextRetry.Equal(failedAt.Add(time.Minute)) || l.TargetID != "" ||
			!strings.HasPrefix(l.LastError, scimclient.CodeServer+":") {
			t.Fatalf("escrow %s", jsonOf(l))
		}
		ls := fw.logs(provisioning.LogQuery{SourceID: u.ID, Status: "failure"})
		if len(ls) != 1 || ls[0].Action != provisioning.ActionCreate || ls[0].ErrorCode != scimclient.CodeServer ||
			!strings.Contains(ls[0].ErrorMsg, "500") {
			t.Fatalf("failure log %s", jsonOf(ls))
		}
	}
	if st := fw.status(); st.Escrowed != 2 || !strings.HasPrefix(st.LastError, "InternalServerError") {
		t.Fatalf("status %s", jsonOf(st))
	}

	// The target recovers; a minute later on the engine's clock the escrowed
	// users are retried, and join their group.
	failing.Store(false)
	clock.Advance(time.Minute + time.Second)
	fw.waitFor("escrowed users and their memberships arrive", 15*time.Second, func() (bool, string) {
		m := fw.memberNames("AWS-Ops")
		return m["ana@example.com"] && m["bo@example.com"], jsonOf(m)
	})
	for _, u := range []*directory.User{ana, bo} {
		l := fw.link(u.ID)
		if l.Failures != 0 || l.TargetID == "" || !l.NextRetry.IsZero() {
			t.Fatalf("link after the retry %s", jsonOf(l))
		}
		ok := fw.logs(provisioning.LogQuery{SourceID: u.ID, Action: provisioning.ActionCreate, Status: "success"})
		if len(ok) != 1 || !strings.HasPrefix(ok[0].CycleID, "escrow-") {
			t.Fatalf("create log %s", jsonOf(ok))
		}
	}
	if st := fw.status(); st.Escrowed != 0 || st.LastError != "" {
		t.Fatalf("status %s", jsonOf(st))
	}
}

// A value the target refuses (400) is logged for that object with its error
// code, escrowed as permanent, and not retried until the object changes;
// other users still arrive.
func TestTargetRefusesValue(t *testing.T) {
	clock := newClock()
	const bad = "bad user@example.com"
	var mu sync.Mutex
	posts := map[string]int{}
	wrap := intercept(func(w http.ResponseWriter, r *http.Request, body string) bool {
		if isCreate(r, "Users") {
			mu.Lock()
			for _, n := range []string{bad, "bad.user@example.com"} {
				if strings.Contains(body, `"userName":"`+n+`"`) {
					posts[n]++
				}
			}
			mu.Unlock()
		}
		return false
	})
	postsOf := func(name string) int {
		mu.Lock()
		defer mu.Unlock()
		return posts[name]
	}
	fw := newFaultWorld(t, worldOpts{wrap: wrap, clock: clock})
	fw.initialCycleDone()
	g := fw.group("AWS-ReadOnly")
	fw.assign(g.ID)
	good1, badUser, good2 := fw.user("good1@example.com"), fw.user(bad), fw.user("good2@example.com")
	// Each user comes into scope by one change, its membership.
	fw.drained()
	for _, u := range []*directory.User{good1, badUser, good2} {
		fw.add(g.ID, u.ID)
	}
	fw.waitFor("good users arrive, the bad one is refused", 15*time.Second, func() (bool, string) {
		m := fw.memberNames("AWS-ReadOnly")
		l := fw.link(badUser.ID)
		logged := len(fw.logs(provisioning.LogQuery{SourceID: badUser.ID, Status: "failure"}))
		return m["good1@example.com"] && m["good2@example.com"] && l != nil && l.Failures > 0 && logged > 0, jsonOf([]any{m, l})
	})
	ls := fw.logs(provisioning.LogQuery{SourceID: badUser.ID, Status: "failure"})
	if len(ls) != 1 {
		t.Fatalf("failure logs %s", jsonOf(ls))
	}
	if e := ls[0]; e.Action != provisioning.ActionCreate || e.ErrorCode != scimclient.CodeBadRequest ||
		!strings.Contains(e.ErrorMsg, "may not contain whitespace") || e.SourceName != bad || e.TargetID != "" {
		t.Fatalf("failure log %s", jsonOf(e))
	}
	l := fw.link(badUser.ID)
	if !l.Permanent || !l.NextRetry.IsZero() || l.Failures != 1 || !strings.HasPrefix(l.LastError, scimclient.CodeBadRequest) {
		t.Fatalf("escrow %s, want a permanent failure with no retry time", jsonOf(l))
	}
	if n := postsOf(bad); n != 1 {
		t.Fatalf("the refused user was POSTed %d times, want once (a 400 is not retried)", n)
	}

	// 39 minutes later, past every escrow retry time of a retryable failure
	// (1, 5 and 30 minutes), the engine has kept working (two more users
	// arrive, each in its own pass, each pass followed by the escrow
	// retries due), and has not sent the refused user again.
	clock.Advance(39 * time.Minute)
	for _, name := range []string{"good3@example.com", "good4@example.com"} {
		u := fw.user(name)
		fw.add(g.ID, u.ID)
		fw.waitFor(name+" arrives", 15*time.Second, func() (bool, string) { return fw.memberNames("AWS-ReadOnly")[name], "" })
	}
	if n := postsOf(bad); n != 1 {
		t.Fatalf("the refused user was POSTed %d times in 39 minutes, want still once", n)
	}
	if st := fw.status(); st.Status != provisioning.StatusActive || st.Escrowed != 1 {
		t.Fatalf("status %s", jsonOf(st))
	}
	// The next reconciliation cycle (40 minutes after the first) tries it
	// once more, as Entra does each cycle, and it stays escrowed.
	clock.Advance(2 * time.Minute)
	fw.waitFor("a reconciliation cycle", 15*time.Second, func() (bool, string) {
		j, err := fw.pstore.GetJob(fw.ctx, fw.app.ID)
		return err == nil && j.LastCycle != nil && j.LastCycle.Started.Equal(clock.Now()), ""
	})
	if n, l := postsOf(bad), fw.link(badUser.ID); n != 2 || l.Failures != 2 || !l.Permanent || !l.NextRetry.IsZero() {
		t.Fatalf("after a cycle: POSTed %d times, escrow %s; want twice and still permanent", n, jsonOf(l))
	}

	// Fixed at the source, it goes through at once.
	if _, err := fw.dir.UpdateUser(fw.ctx, badUser.ID, func(u *directory.User) error {
		u.UserPrincipalName = "bad.user@example.com"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	fw.waitFor("fixed user arrives", 15*time.Second, func() (bool, string) {
		l := fw.link(badUser.ID)
		return fw.memberNames("AWS-ReadOnly")["bad.user@example.com"] && l != nil && l.Failures == 0, jsonOf(l)
	})
	if n := postsOf("bad.user@example.com"); n != 1 {
		t.Fatalf("fixed user POSTed %d times", n)
	}
}

// The target refuses the credentials (401): the job is quarantined with
// Entra's reason, and leaves quarantine on its own once the target accepts
// them again.
func TestTargetRefusesCredentialsQuarantines(t *testing.T) {
	clock := newClock()
	var denied atomic.Bool
	var refusals atomic.Int32
	wrap := intercept(func(w http.ResponseWriter, r *http.Request, body string) bool {
		if denied.Load() {
			refusals.Add(1)
			scimError(w, http.StatusUnauthorized, "The security token included in the request is invalid.")
			return true
		}
		return false
	})
	fw := newFaultWorld(t, worldOpts{wrap: wrap, clock: clock})
	fw.initialCycleDone()
	g := fw.group("AWS-Admins")
	fw.assign(g.ID)
	fw.waitFor("group provisioned", 15*time.Second, func() (bool, string) { return fw.targetGroup("AWS-Admins") != nil, "" })
	fw.drained()

	cy := fw.user("cy@example.com")
	fw.drained()
	denied.Store(true)
	quarantinedAt := clock.Now()
	fw.add(g.ID, cy.ID)
	fw.waitFor("job quarantined", 15*time.Second, func() (bool, string) {
		st := fw.status()
		return st.Status == provisioning.StatusQuarantine, jsonOf(st)
	})
	st := fw.status()
	q := st.Quarantine
	if q.Reason != provisioning.ReasonCredentials || !strings.Contains(q.Error, "401") ||
		!q.Began.Equal(quarantinedAt) || !q.NextAttempt.Equal(quarantinedAt.Add(time.Minute)) {
		t.Fatalf("quarantine %s", jsonOf(q))
	}
	fw.waitFor("the refusal is logged", 5*time.Second, func() (bool, string) {
		ls := fw.logs(provisioning.LogQuery{SourceID: cy.ID, Status: "failure"})
		return len(ls) == 1 && ls[0].ErrorCode == scimclient.CodeCredentials, jsonOf(ls)
	})
	// A 401 is not retried: one request was refused, and the job stopped
	// there (the group's change waits with the rest).
	if n := refusals.Load(); n != 1 {
		t.Fatalf("%d requests refused, want 1", n)
	}
	dee := fw.user("dee@example.com")
	fw.add(g.ID, dee.ID)

	// The credentials work again; at the next attempt (a minute later on
	// the engine's clock) a cycle runs, provisions what waited, and ends
	// the quarantine.
	denied.Store(false)
	clock.Advance(time.Minute + time.Second)
	fw.waitFor("quarantine ends and the users arrive", 15*time.Second, func() (bool, string) {
		m := fw.memberNames("AWS-Admins")
		st := fw.status()
		return m["cy@example.com"] && m["dee@example.com"] && st.Status == provisioning.StatusActive, jsonOf([]any{m, st.Status})
	})
}

// A cycle that would disable more users than the deletion threshold stages
// them (StagedDelete), quarantines the job (TooManyDeletes), and does
// nothing destructive until an admin approves.
func TestDeletionThresholdStagesAndApproves(t *testing.T) {
	clock := newClock()
	fw := newFaultWorld(t, worldOpts{clock: clock, tune: func(s *provisioning.Settings) { s.DeletionThreshold = 2 }})
	fw.initialCycleDone()
	g := fw.group("AWS-Finance")
	a := fw.assignGroup(g)
	var users []*directory.User
	for _, n := range []string{"eve@example.com", "fay@example.com", "gus@example.com"} {
		u := fw.user(n)
		fw.add(g.ID, u.ID)
		users = append(users, u)
	}
	fw.waitFor("provisioned", 15*time.Second, func() (bool, string) {
		m := fw.memberNames("AWS-Finance")
		return len(m) == 3, jsonOf(m)
	})

	// Unassigning the group takes the app away from all three at once.
	if err := fw.dir.Unassign(fw.ctx, a.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	fw.waitFor("job quarantined for too many deletes", 15*time.Second, func() (bool, string) {
		st := fw.status()
		return st.Status == provisioning.StatusQuarantine && st.Quarantine.Reason == provisioning.ReasonTooManyDeletes, jsonOf(st)
	})
	// Staged: the 3 users' disables, and the group's delete, which counts
	// against the same threshold (Entra counts groups too).
	var staged []provisioning.StagedDelete
	fw.waitFor("disables and the group's delete staged", 15*time.Second, func() (bool, string) {
		var err error
		if staged, err = fw.pstore.StagedDeletes(fw.ctx, fw.app.ID); err != nil {
			t.Fatal(err)
		}
		return len(staged) == 4, jsonOf(staged)
	})
	for _, s := range staged {
		want := provisioning.ActionDisable
		if s.Kind == directory.KindGroup {
			want = provisioning.ActionDelete
		}
		if s.Action != want || s.TargetID == "" {
			t.Fatalf("staged %s", jsonOf(staged))
		}
	}
	for _, u := range users {
		ls := fw.logs(provisioning.LogQuery{SourceID: u.ID, Action: provisioning.ActionStagedDelete})
		if len(ls) != 1 || ls[0].Status != "skipped" {
			t.Fatalf("%s: StagedDelete logs %s", u.UserPrincipalName, jsonOf(ls))
		}
	}
	// Nothing destructive happened: the users are active, and the group,
	// whose deletion counts against the threshold too, is still there.
	for _, u := range users {
		if tu := fw.targetUser(u.UserPrincipalName); tu == nil || tu["active"] != true {
			t.Fatalf("%s at the target: %s", u.UserPrincipalName, jsonOf(tu))
		}
	}
	if m := fw.memberNames("AWS-Finance"); len(m) != 3 {
		t.Fatalf("group at the target: %s", jsonOf(m))
	}

	n, err := fw.engine.ApproveDeletes(fw.ctx, fw.app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(staged) {
		t.Fatalf("approved %d, want %d", n, len(staged))
	}
	fw.waitFor("approved disables carried out", 15*time.Second, func() (bool, string) {
		for _, u := range users {
			if tu := fw.targetUser(u.UserPrincipalName); tu == nil || tu["active"] != false {
				return false, jsonOf(tu)
			}
		}
		return fw.targetGroup("AWS-Finance") == nil, "group still there"
	})
	st := fw.status()
	if st.Status != provisioning.StatusActive || st.StagedDeletes != 0 {
		t.Fatalf("status %s", jsonOf(st))
	}
	for _, u := range users {
		if ls := fw.logs(provisioning.LogQuery{SourceID: u.ID, Action: provisioning.ActionDisable, Status: "success"}); len(ls) != 1 {
			t.Fatalf("%s: Disable logs %s", u.UserPrincipalName, jsonOf(ls))
		}
	}
}

// The target dies in the middle of an initial cycle: some creates went
// through, one went through without its answer reaching the engine, the
// rest fail. On a new server over the same database, the next cycle leaves
// the target exactly right, without a duplicate.
func TestTargetKilledMidCycle(t *testing.T) {
	const total = 300
	var posts atomic.Int32
	var killed atomic.Bool
	kill := make(chan struct{})
	wrap := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if killed.Load() {
				panic(http.ErrAbortHandler) // the connection drops unanswered
			}
			if isCreate(r, "Users") && posts.Add(1) == 100 {
				h.ServeHTTP(httptest.NewRecorder(), r) // stored at the center...
				killed.Store(true)
				close(kill)
				panic(http.ErrAbortHandler) // ...but the answer is lost
			}
			h.ServeHTTP(w, r)
		})
	}
	want := map[string]bool{}
	fw := newFaultWorld(t, worldOpts{wrap: wrap, tune: func(s *provisioning.Settings) { s.Workers = 32 }, seed: func(w *world) {
		g := w.group("AWS-Everyone")
		w.assign(g.ID)
		for i := range total {
			name := fmt.Sprintf("person%03d@example.com", i)
			u := w.user(name)
			w.add(g.ID, u.ID)
			want[name] = true
		}
	}})
	select {
	case <-kill:
	case <-time.After(30 * time.Second):
		t.Fatal("the initial cycle never reached 100 creates")
	}
	fw.srv.Close()
	fw.waitFor("the interrupted cycle ends", 45*time.Second, func() (bool, string) {
		j, err := fw.pstore.GetJob(fw.ctx, fw.app.ID)
		return err == nil && j.LastCycle != nil, ""
	})
	j, _ := fw.pstore.GetJob(fw.ctx, fw.app.ID)
	if j.LastCycle.Counts["Create/failure"] == 0 {
		t.Fatalf("the interrupted cycle had no failed create: %s", jsonOf(j.LastCycle))
	}

	// A new server on the same center database, and the job pointed at it.
	fw.startCenter(nil)
	set := j.Settings
	set.TenantURL = fw.engineURL
	if _, err := fw.engine.Configure(fw.ctx, fw.app.ID, set, ""); err != nil {
		t.Fatal(err)
	}
	fw.waitFor("the target is complete", 45*time.Second, func() (bool, string) {
		j, err := fw.pstore.GetJob(fw.ctx, fw.app.ID)
		if err != nil || j.LastCycle == nil || j.Settings.TenantURL != fw.engineURL {
			return false, "cycle running"
		}
		return len(fw.memberNames("AWS-Everyone")) == total, fmt.Sprintf("%d members", len(fw.memberNames("AWS-Everyone")))
	})
	got := fw.targetUsers("")
	if len(got) != total {
		t.Fatalf("%d users at the target, want %d in scope (duplicates or losses)", len(got), total)
	}
	seen := map[string]bool{}
	for _, u := range got {
		name, _ := u["userName"].(string)
		if !want[name] || seen[name] || u["active"] != true {
			t.Fatalf("unexpected or duplicate target user %s", jsonOf(u))
		}
		seen[name] = true
	}
	if st := fw.status(); st.Escrowed != 0 || st.Provisioned[directory.KindUser] != total || st.Provisioned[directory.KindGroup] != 1 {
		t.Fatalf("status %s", jsonOf(st))
	}
}
