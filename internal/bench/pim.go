package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/center/scimserver"
	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/governance"
	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
	"github.com/gatehouse-id/gatehouse/internal/store/governancedb"
)

// PIMOptions shape the PIM latency benchmark.
type PIMOptions struct {
	// Activations is how many users activate, one activation each.
	Activations int
	// Duration is how long each activation lasts in real time (default
	// 3 s); see World.PIM for how a 5-minute activation is made to end
	// then.
	Duration time.Duration
	// Rate is activations per second (default 20).
	Rate float64
	// Progress receives a line per phase (may be nil).
	Progress io.Writer
}

// PIMResult is the PIM benchmark's outcome.
type PIMResult struct {
	// Access runs from the call to governance.Service.Activate to the
	// center's EffectiveAccess for the user including the permission set.
	Access *Latencies
	// Revoke runs from the activation's End to EffectiveAccess no longer
	// including it (the Scheduler ended it, provisioning removed the
	// member at the center).
	Revoke  *Latencies
	Elapsed time.Duration
}

// PIM measures just-in-time access end to end, over HTTP like a real
// deployment: the directory and its provisioning engine (World), the
// center's SCIM server, and governance (PIM for Groups) with its Scheduler
// on its own SQLite file (World keeps its directory database to itself).
//
//  1. n users, all members of an assigned group "Staff" (so they exist at
//     the center), are eligible for the assigned group "PIM Admins"; at
//     the center that group is assigned account 111111111111 with the
//     permission set "PIMAdmin".
//  2. At rate per second, each user activates (Service.Activate); the
//     access latency runs until the center's EffectiveAccess for the user
//     includes PIMAdmin in that account — re-checked each time the center
//     answers a group PATCH with 204 (and every 25 ms as a fallback), the
//     way the joiner benchmark observes the SCIM traffic.
//  3. The Scheduler ends the activation at its End; the revocation latency
//     runs from End until EffectiveAccess no longer includes it.
//
// Entra's shortest activation is 5 minutes (governance.MinDuration). So
// that a run takes seconds, the Service's clock runs 5 min − Duration
// behind real time while the Scheduler keeps real time: each activation
// is a 5-minute one by the Service's clock whose End falls Duration after
// it was made in real time. Only End matters to the Scheduler, so expiry
// is handled exactly as it would be 5 minutes later.
func (w *World) PIM(ctx context.Context, opts PIMOptions) (*PIMResult, error) {
	if opts.Activations <= 0 {
		opts.Activations = 200
	}
	if opts.Duration <= 0 {
		opts.Duration = 3 * time.Second
	}
	if opts.Duration > governance.MinDuration {
		return nil, fmt.Errorf("pim: duration %s is longer than %s", opts.Duration, governance.MinDuration)
	}
	if opts.Rate <= 0 {
		opts.Rate = 20
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	n := opts.Activations

	// The center's SCIM server, observed: every 204 answer to a group
	// PATCH wakes the waiters.
	watch := &patchWatch{ch: make(chan struct{})}
	mux := http.NewServeMux()
	(&scimserver.Handler{Store: w.Center, Logger: slog.New(slog.DiscardHandler)}).Mount(mux)
	watch.next = mux
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: watch}
	go srv.Serve(l)
	defer srv.Close()
	w.SCIMURL = "http://" + l.Addr().String() + scimserver.Prefix

	// Governance on its own database.
	gdir, err := os.MkdirTemp("", "gatehouse-bench-pim")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(gdir)
	gdb, err := store.Open(ctx, filepath.Join(gdir, "governance.db"))
	if err != nil {
		return nil, err
	}
	defer gdb.Close()
	shift := governance.MinDuration - opts.Duration
	svc := &governance.Service{Store: governancedb.New(gdb), Dir: w.Dir, Logger: slog.New(slog.DiscardHandler),
		Now: func() time.Time { return time.Now().Add(-shift) }}
	sched := &governance.Scheduler{Service: svc, Now: time.Now}

	// 1. The directory: users, Staff, PIM Admins, both assigned.
	now := time.Now().UTC().Truncate(time.Millisecond)
	users := make([]*directory.User, n)
	staff := &directory.Group{ID: directorydb.NewID(), DisplayName: "Staff", SecurityEnabled: true, Created: now, Modified: now}
	admins := &directory.Group{ID: directorydb.NewID(), DisplayName: "PIM Admins", SecurityEnabled: true, Created: now, Modified: now}
	members := map[string][]directory.Member{}
	for i := range users {
		upn := fmt.Sprintf("pim%05d@bench.example", i)
		users[i] = &directory.User{ID: directorydb.NewID(), UserPrincipalName: upn, Mail: upn, GivenName: "Pim",
			Surname: fmt.Sprint(i), DisplayName: "Pim " + fmt.Sprint(i), AccountEnabled: true, BusinessPhones: []string{},
			Created: now, Modified: now}
		members[staff.ID] = append(members[staff.ID], directory.Member{ID: users[i].ID, Kind: directory.KindUser})
	}
	var as []*directory.Assignment
	for _, g := range []*directory.Group{staff, admins} {
		as = append(as, &directory.Assignment{ID: directorydb.NewID(), AppID: w.App.ID, PrincipalID: g.ID,
			PrincipalKind: directory.KindGroup, Created: now})
	}
	if err := w.Dir.BulkLoad(ctx, users, []*directory.Group{staff, admins}, members, as); err != nil {
		return nil, err
	}
	if err := w.StartJob(ctx); err != nil {
		return nil, err
	}
	if _, err := w.WaitCycle(ctx); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "  %d users and 2 groups provisioned to the center\n", n)

	// The center: PIM Admins -> (111111111111, PIMAdmin).
	inst, err := w.Center.Instance(ctx)
	if err != nil {
		return nil, err
	}
	const accountID = "111111111111"
	if err := w.Center.PutAccount(ctx, &center.Account{ID: accountID, Name: "Production", Email: "aws+prod@bench.example", CreatedDate: now}); err != nil {
		return nil, err
	}
	ps := &center.PermissionSet{ARN: center.NewPermissionSetARN(inst.InstanceID), Name: "PIMAdmin", SessionDuration: "PT1H", CreatedDate: now}
	if err := w.Center.CreatePermissionSet(ctx, ps); err != nil {
		return nil, err
	}
	gp, err := w.Center.ListGroups(ctx, center.Query{Match: []center.Match{{Attr: center.AttrDisplayName, Value: admins.DisplayName}}, Count: 2})
	if err != nil {
		return nil, err
	}
	if len(gp.Groups) != 1 {
		return nil, fmt.Errorf("pim: group %q at the center: %d found", admins.DisplayName, len(gp.Groups))
	}
	if _, err := w.Center.CreateAccountAssignment(ctx, &center.AccountAssignment{AccountID: accountID, PermissionSetARN: ps.ARN,
		PrincipalType: center.PrincipalGroup, PrincipalID: gp.Groups[0].ID}); err != nil {
		return nil, err
	}
	centerIDs := make([]string, n)
	for i, u := range users {
		p, err := w.Center.ListUsers(ctx, center.Query{Match: []center.Match{{Attr: center.AttrUserName, Value: u.UserPrincipalName}}, Count: 2})
		if err != nil {
			return nil, err
		}
		if len(p.Users) != 1 {
			return nil, fmt.Errorf("pim: user %s not at the center", u.UserPrincipalName)
		}
		centerIDs[i] = p.Users[0].ID
	}
	hasAccess := func(i int) (bool, error) {
		acc, err := w.Center.EffectiveAccess(ctx, centerIDs[i])
		if err != nil {
			return false, err
		}
		for _, a := range acc {
			if a.Account.ID == accountID && a.PermissionSet.ARN == ps.ARN {
				return true, nil
			}
		}
		return false, nil
	}

	// Eligibility for everyone in Staff.
	if err := svc.AddEligibility(ctx, &governance.Eligibility{GroupID: admins.ID, PrincipalID: staff.ID, MaxDuration: time.Hour}); err != nil {
		return nil, err
	}
	sctx, stop := context.WithCancel(ctx)
	schedDone := make(chan struct{})
	go func() { sched.Run(sctx); close(schedDone) }()
	defer func() { stop(); <-schedDone }()

	// until waits until hasAccess(i) == want, re-checking after each group
	// PATCH the center answers, and returns when it saw it.
	until := func(i int, want bool, deadline time.Duration) (time.Time, error) {
		give := time.After(deadline)
		for {
			wake := watch.next204()
			ok, err := hasAccess(i)
			if err != nil {
				return time.Time{}, err
			}
			if ok == want {
				return time.Now(), nil
			}
			select {
			case <-wake:
			case <-time.After(25 * time.Millisecond):
			case <-give:
				return time.Time{}, fmt.Errorf("pim: user %d: access %v not seen within %s", i, want, deadline)
			case <-ctx.Done():
				return time.Time{}, ctx.Err()
			}
		}
	}

	res := &PIMResult{Access: &Latencies{}, Revoke: &Latencies{}}
	fmt.Fprintf(progress, "  %d activations of %s at %.0f/s\n", n, opts.Duration, opts.Rate)
	var wg sync.WaitGroup
	errc := make(chan error, n)
	start := time.Now()
	for i := range n {
		time.Sleep(time.Until(start.Add(time.Duration(float64(i) / opts.Rate * float64(time.Second)))))
		wg.Go(func() {
			t0 := time.Now()
			r, err := svc.Activate(ctx, governance.ActivateInput{GroupID: admins.ID, UserID: users[i].ID,
				Duration: governance.MinDuration, Justification: "bench"})
			if err != nil {
				errc <- fmt.Errorf("activate %d: %w", i, err)
				return
			}
			got, err := until(i, true, 30*time.Second)
			if err != nil {
				errc <- err
				return
			}
			res.Access.Add(got.Sub(t0))
			gone, err := until(i, false, opts.Duration+30*time.Second)
			if err != nil {
				errc <- err
				return
			}
			if gone.Before(r.End) {
				errc <- fmt.Errorf("pim: user %d lost access %s before the activation's end", i, r.End.Sub(gone))
				return
			}
			res.Revoke.Add(gone.Sub(r.End))
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	close(errc)
	if err := <-errc; err != nil {
		return nil, err
	}
	return res, nil
}

// Report formats the result.
func (r *PIMResult) Report(opts PIMOptions) string {
	f := func(l *Latencies) string {
		return fmt.Sprintf("p50 %s, p99 %s, max %s", l.Quantile(0.5).Round(time.Microsecond),
			l.Quantile(0.99).Round(time.Microsecond), l.Quantile(1).Round(time.Microsecond))
	}
	return fmt.Sprintf("pim: %d activations in %.1fs\n  activation -> access at the center:  %s\n  expiry -> access gone at the center: %s\n",
		r.Access.Count(), r.Elapsed.Seconds(), f(r.Access), f(r.Revoke))
}

// patchWatch passes SCIM requests through and, after each group PATCH
// answered 204, wakes everyone waiting on next204.
type patchWatch struct {
	next http.Handler
	mu   sync.Mutex
	ch   chan struct{}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(c int) { s.status = c; s.ResponseWriter.WriteHeader(c) }

func (p *patchWatch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	p.next.ServeHTTP(rec, r)
	if r.Method == http.MethodPatch && strings.Contains(r.URL.Path, "/Groups/") && rec.status == http.StatusNoContent {
		p.mu.Lock()
		close(p.ch)
		p.ch = make(chan struct{})
		p.mu.Unlock()
	}
}

// next204 returns a channel closed at the next group PATCH answered 204.
func (p *patchWatch) next204() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ch
}
