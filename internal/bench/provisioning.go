package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/audit"
	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/center/scimserver"
	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/provisioning"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/auditdb"
	"github.com/gatehouse-id/gatehouse/internal/store/centerdb"
	"github.com/gatehouse-id/gatehouse/internal/store/directorydb"
	"github.com/gatehouse-id/gatehouse/internal/store/provisioningdb"
)

// World is a directory with a provisioning engine and a center serving
// SCIM on 127.0.0.1, each half on its own SQLite database, as two
// deployments would be.
type World struct {
	Dir      *directorydb.Store
	Prov     *provisioningdb.Store
	Engine   *provisioning.Engine
	Center   *centerdb.Store
	CenterDB *store.DB
	SCIMURL  string
	App      *directory.App
	// Workers overrides the job's worker count.
	Workers int

	observer *observer
	token    string
	stop     func()
}

// WorldOptions configure NewWorld.
type WorldOptions struct {
	// NoAudit leaves out the audit log that `gatehouse serve` writes on
	// every SCIM request that changes something, to measure what it costs.
	NoAudit bool
}

// NewWorld starts a world in a temporary directory. Its center records
// SCIM requests in its audit log as `gatehouse serve` does, unless
// o.NoAudit.
func NewWorld(ctx context.Context, o WorldOptions) (*World, error) {
	dir, err := os.MkdirTemp("", "gatehouse-bench")
	if err != nil {
		return nil, err
	}
	w := &World{}
	var closers []func()
	w.stop = func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
		os.RemoveAll(dir)
	}
	fail := func(err error) (*World, error) { w.stop(); return nil, err }

	if w.CenterDB, err = store.Open(ctx, filepath.Join(dir, "center.db")); err != nil {
		return fail(err)
	}
	closers = append(closers, func() { w.CenterDB.Close() })
	w.Center = centerdb.New(w.CenterDB)
	tok, bearer := center.NewSCIMToken(time.Now())
	if err := w.Center.CreateSCIMToken(ctx, tok, time.Now()); err != nil {
		return fail(err)
	}
	w.token = bearer
	mux := http.NewServeMux()
	(&scimserver.Handler{Store: w.Center}).Mount(mux)
	var h http.Handler = mux
	if !o.NoAudit {
		h = audit.HTTP(audit.NewLog(auditdb.New(w.CenterDB), nil), scimserver.AuditKind, nil, mux)
	}
	w.observer = &observer{next: h, created: map[string]string{}, member: map[string]time.Time{}, createdAt: map[string]time.Time{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	srv := &http.Server{Handler: w.observer}
	go srv.Serve(l)
	closers = append(closers, func() { srv.Close() })
	w.SCIMURL = "http://" + l.Addr().String() + scimserver.Prefix

	ddb, err := store.Open(ctx, filepath.Join(dir, "directory.db"))
	if err != nil {
		return fail(err)
	}
	closers = append(closers, func() { ddb.Close() })
	box, err := secret.LoadOrCreateKey(filepath.Join(dir, "secret.key"))
	if err != nil {
		return fail(err)
	}
	w.Dir, w.Prov = directorydb.New(ddb), provisioningdb.New(ddb)
	w.Engine = &provisioning.Engine{Dir: w.Dir, Store: w.Prov, Box: box, Poll: 200 * time.Millisecond}
	w.App = &directory.App{ID: directorydb.NewID(), DisplayName: "AWS IAM Identity Center", Template: provisioning.TemplateAWS, Created: time.Now()}
	if err := w.Dir.CreateApp(ctx, w.App); err != nil {
		return fail(err)
	}
	ectx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { w.Engine.Run(ectx); close(done) }()
	closers = append(closers, func() { cancel(); <-done })
	return w, nil
}

// Close stops everything and removes the databases.
func (w *World) Close() { w.stop() }

// StartJob configures and enables the app's provisioning into the center.
func (w *World) StartJob(ctx context.Context) error {
	set := provisioning.DefaultSettings(w.SCIMURL)
	set.DeletionThreshold = 0
	if w.Workers > 0 {
		set.Workers = w.Workers
	}
	if _, err := w.Engine.Configure(ctx, w.App.ID, set, w.token); err != nil {
		return err
	}
	return w.Engine.SetEnabled(ctx, w.App.ID, true)
}

// WaitCycle waits until the job has finished a cycle.
func (w *World) WaitCycle(ctx context.Context) (*provisioning.CycleSummary, error) {
	for {
		j, err := w.Prov.GetJob(ctx, w.App.ID)
		if err != nil {
			return nil, err
		}
		if j.LastCycle != nil {
			if j.LastCycle.Error != "" {
				return j.LastCycle, fmt.Errorf("cycle failed: %s", j.LastCycle.Error)
			}
			return j.LastCycle, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// observer watches the center's SCIM traffic: when each user was created
// (201) and when a PATCH adding it to a group was answered 204. That is the
// moment the center has the joiner, with no polling in between.
type observer struct {
	next      http.Handler
	mu        sync.Mutex
	created   map[string]string    // target id -> userName
	createdAt map[string]time.Time // userName -> created
	member    map[string]time.Time // userName -> first added to a group
	waiters   map[string]chan struct{}
}

type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(s int) { r.status = s; r.ResponseWriter.WriteHeader(s) }
func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func (o *observer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var reqBody []byte
	if r.Method == http.MethodPatch && strings.Contains(r.URL.Path, "/Groups/") {
		reqBody, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	rec := &recorder{ResponseWriter: w, status: 200}
	o.next.ServeHTTP(rec, r)
	now := time.Now()
	switch {
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/Users") && rec.status == 201:
		var u struct{ ID, UserName string }
		json.Unmarshal(rec.body.Bytes(), &u)
		o.mu.Lock()
		o.created[u.ID], o.createdAt[u.UserName] = u.UserName, now
		o.mu.Unlock()
	case reqBody != nil && rec.status == 204:
		var p struct {
			Operations []struct {
				Op    string
				Path  string
				Value []struct{ Value string }
			}
		}
		json.Unmarshal(reqBody, &p)
		o.mu.Lock()
		for _, op := range p.Operations {
			if !strings.EqualFold(op.Op, "add") {
				continue
			}
			for _, v := range op.Value {
				name := o.created[v.Value]
				if _, seen := o.member[name]; !seen && name != "" {
					o.member[name] = now
					if ch := o.waiters[name]; ch != nil {
						close(ch)
						delete(o.waiters, name)
					}
				}
			}
		}
		o.mu.Unlock()
	}
}

// wait returns a channel closed when userName is in a group at the center.
func (o *observer) wait(userName string) <-chan struct{} {
	o.mu.Lock()
	defer o.mu.Unlock()
	ch := make(chan struct{})
	if _, ok := o.member[userName]; ok {
		close(ch)
		return ch
	}
	if o.waiters == nil {
		o.waiters = map[string]chan struct{}{}
	}
	o.waiters[userName] = ch
	return ch
}

// JoinerResult is the joiner benchmark's outcome.
type JoinerResult struct {
	Latency *Latencies
	Elapsed time.Duration
}

// Joiners measures joiner latency: for each of n people, a directory write
// creates the user and a second adds them to an assigned group (as two Graph
// calls would); the latency runs from the acknowledgement of the membership
// write to the center answering the PATCH that puts the user in the group
// (the user has been created, active, just before). Joiners arrive at rate
// per second, overlapping as they would in a busy directory.
func (w *World) Joiners(ctx context.Context, n int, rate float64) (*JoinerResult, error) {
	now := time.Now()
	g := &directory.Group{ID: directorydb.NewID(), DisplayName: "Joiners", SecurityEnabled: true, Created: now, Modified: now}
	if err := w.Dir.CreateGroup(ctx, g); err != nil {
		return nil, err
	}
	if err := w.Dir.Assign(ctx, &directory.Assignment{ID: directorydb.NewID(), AppID: w.App.ID, PrincipalID: g.ID, Created: now}); err != nil {
		return nil, err
	}
	if err := w.StartJob(ctx); err != nil {
		return nil, err
	}
	if _, err := w.WaitCycle(ctx); err != nil {
		return nil, err
	}
	res := &JoinerResult{Latency: &Latencies{}}
	var wg sync.WaitGroup
	errc := make(chan error, n)
	start := time.Now()
	for i := range n {
		next := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		time.Sleep(time.Until(next))
		wg.Go(func() {
			upn := fmt.Sprintf("joiner%05d@bench.example", i)
			t := time.Now().UTC().Truncate(time.Millisecond)
			u := &directory.User{ID: directorydb.NewID(), UserPrincipalName: upn, Mail: upn, GivenName: "Joiner",
				Surname: fmt.Sprint(i), DisplayName: "Joiner " + fmt.Sprint(i), AccountEnabled: true, Created: t, Modified: t}
			done := w.observer.wait(upn)
			if err := w.Dir.CreateUser(ctx, u); err != nil {
				errc <- err
				return
			}
			if err := w.Dir.AddMember(ctx, g.ID, u.ID, time.Now()); err != nil {
				errc <- err
				return
			}
			acked := time.Now()
			select {
			case <-done:
				res.Latency.Add(time.Since(acked))
			case <-time.After(60 * time.Second):
				errc <- fmt.Errorf("joiner %s never reached the center", upn)
			case <-ctx.Done():
				errc <- ctx.Err()
			}
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

// SyncResult is the initial-sync benchmark's outcome.
type SyncResult struct {
	Users, Groups, Memberships int
	Load, Sync                 time.Duration
	Cycle                      *provisioning.CycleSummary
	// Phases are the cycle's phases in order with how long each took, as
	// seen by polling its progress every 20 ms.
	Phases []PhaseTime
}

// PhaseTime is one phase of a cycle and its duration.
type PhaseTime struct {
	Phase string
	Took  time.Duration
}

// watchPhases polls the app's running cycle until stop is closed and
// returns its phases with their durations.
func (w *World) watchPhases(stop <-chan struct{}) []PhaseTime {
	var out []PhaseTime
	var cur string
	var since time.Time
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		now := time.Now()
		if p := w.Engine.CycleProgress(w.App.ID); p != nil {
			if ph := p.Phase(); ph != cur {
				if cur != "" {
					out = append(out, PhaseTime{cur, now.Sub(since)})
				}
				cur, since = ph, now
			}
		}
		select {
		case <-stop:
			if cur != "" {
				out = append(out, PhaseTime{cur, now.Sub(since)})
			}
			return out
		case <-tick.C:
		}
	}
}

// InitialSync loads users, groups and memberships (each group with
// members/groups distinct random users) into the directory, assigns every
// group to the app, then times the initial cycle that provisions it all into
// the empty center, and counts what arrived.
func (w *World) InitialSync(ctx context.Context, users, groups, perGroup int, progress io.Writer) (*SyncResult, error) {
	t0 := time.Now()
	now := t0.UTC().Truncate(time.Millisecond)
	us := make([]*directory.User, users)
	for i := range us {
		upn := fmt.Sprintf("user%07d@bench.example", i)
		us[i] = &directory.User{ID: directorydb.NewID(), UserPrincipalName: upn, Mail: upn, GivenName: "User",
			Surname: fmt.Sprint(i), DisplayName: "User " + fmt.Sprint(i), JobTitle: "Engineer", Department: "R&D",
			EmployeeID: fmt.Sprint(100000 + i), AccountEnabled: true, BusinessPhones: []string{}, Created: now, Modified: now}
	}
	gs := make([]*directory.Group, groups)
	members := make(map[string][]directory.Member, groups)
	var as []*directory.Assignment
	for i := range gs {
		gs[i] = &directory.Group{ID: directorydb.NewID(), DisplayName: fmt.Sprintf("Group %05d", i), SecurityEnabled: true, Created: now, Modified: now}
		for _, j := range rand.Perm(users)[:min(perGroup, users)] {
			members[gs[i].ID] = append(members[gs[i].ID], directory.Member{ID: us[j].ID, Kind: directory.KindUser})
		}
		as = append(as, &directory.Assignment{ID: directorydb.NewID(), AppID: w.App.ID, PrincipalID: gs[i].ID,
			PrincipalKind: directory.KindGroup, Created: now})
	}
	if err := w.Dir.BulkLoad(ctx, us, gs, members, as); err != nil {
		return nil, err
	}
	res := &SyncResult{Load: time.Since(t0)}
	fmt.Fprintf(progress, "  directory loaded in %s; initial cycle starts\n", res.Load.Round(time.Millisecond))
	t1 := time.Now()
	stop, phases := make(chan struct{}), make(chan []PhaseTime, 1)
	go func() { phases <- w.watchPhases(stop) }()
	if err := w.StartJob(ctx); err != nil {
		close(stop)
		return nil, err
	}
	cycle, err := w.WaitCycle(ctx)
	close(stop)
	res.Phases = <-phases
	if err != nil {
		return nil, err
	}
	res.Sync, res.Cycle = time.Since(t1), cycle
	for q, dst := range map[string]*int{
		`SELECT COUNT(*) FROM center_users WHERE active`: &res.Users,
		`SELECT COUNT(*) FROM center_groups`:             &res.Groups,
		`SELECT COUNT(*) FROM center_group_members`:      &res.Memberships,
	} {
		if err := w.CenterDB.Read.QueryRowContext(ctx, q).Scan(dst); err != nil {
			return nil, err
		}
	}
	return res, nil
}
