package provisioning

import (
	"context"
	"errors"
	"fmt"
	"github.com/google/uuid"
	"log/slog"
	"sync"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/provisioning/scimclient"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// Engine runs every enabled job of the directory.
type Engine struct {
	Dir    directory.Store
	Store  Store
	Box    *secret.Box
	Logger *slog.Logger
	Now    func() time.Time
	// Node names this process in job leases; with several nodes on one
	// PostgreSQL database, one node drives each job at a time.
	Node string
	// Poll is how often the outbox is read when no local write signals it
	// (writes of other nodes); default 1s.
	Poll time.Duration
	// LeaseTTL is how long a lease lasts without renewal (default 20s).
	// Leases are renewed, and free ones taken, every LeaseTTL/4, so another
	// node takes a dead node's jobs within 1.25 × LeaseTTL (25 s).
	LeaseTTL time.Duration
	// Timeout bounds each SCIM request (default 30s).
	Timeout time.Duration

	mu       sync.Mutex
	runners  map[string]*runner
	progress map[string]*Progress
	kick     chan struct{}
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now().UTC()
	}
	return time.Now().UTC()
}

func (e *Engine) log() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.Default()
}

func newID() string { return uuid.NewString() }

// Kick makes the engine look at its jobs and the outbox now, e.g. after a
// job was reconfigured.
func (e *Engine) Kick() {
	e.init()
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

func (e *Engine) init() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.runners == nil {
		e.runners = map[string]*runner{}
		e.kick = make(chan struct{}, 1)
		if e.Node == "" {
			e.Node = newID()
		}
		if e.Poll == 0 {
			e.Poll = time.Second
		}
		if e.LeaseTTL == 0 {
			e.LeaseTTL = 20 * time.Second
		}
	}
}

// Run drives the jobs until ctx ends.
func (e *Engine) Run(ctx context.Context) error {
	e.init()
	poll := time.NewTicker(e.Poll)
	defer poll.Stop()
	lease := time.NewTicker(e.LeaseTTL / 4)
	defer lease.Stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	e.refresh(ctx, &wg)
	for {
		select {
		case <-ctx.Done():
			e.mu.Lock()
			for id, r := range e.runners {
				r.cancel()
				e.Store.ReleaseLease(context.Background(), id, e.Node)
			}
			e.mu.Unlock()
			return nil
		case <-e.Dir.Notify():
			e.signal()
		case <-e.kick:
			e.refresh(ctx, &wg)
			e.signal()
		case <-poll.C:
			e.signal()
		case <-lease.C:
			e.refresh(ctx, &wg)
		}
	}
}

// Driving reports whether this node drives the app's job now.
func (e *Engine) Driving(appID string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.runners[appID]
	return ok
}

// signal wakes every runner.
func (e *Engine) signal() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range e.runners {
		r.wake()
	}
}

// refresh takes or renews the leases of enabled jobs and starts or stops
// their runners accordingly.
func (e *Engine) refresh(ctx context.Context, wg *sync.WaitGroup) {
	jobs, err := e.Store.ListJobs(ctx)
	if err != nil {
		e.log().ErrorContext(ctx, "provisioning: list jobs", "err", err)
		return
	}
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	want := map[string]bool{}
	for _, j := range jobs {
		if !j.Enabled || j.Settings.TenantURL == "" {
			continue
		}
		got, err := e.Store.AcquireLease(ctx, j.AppID, e.Node, now, now.Add(e.LeaseTTL))
		if err != nil {
			e.log().ErrorContext(ctx, "provisioning: lease", "app", j.AppID, "err", err)
			continue
		}
		if got {
			want[j.AppID] = true
		}
	}
	for id, r := range e.runners {
		if !want[id] {
			r.cancel()
			delete(e.runners, id)
		}
	}
	for id := range want {
		if _, ok := e.runners[id]; ok {
			continue
		}
		rctx, cancel := context.WithCancel(ctx)
		r := &runner{e: e, appID: id, cancel: cancel, wakeup: make(chan struct{}, 1)}
		e.runners[id] = r
		wg.Go(func() { r.loop(rctx) })
	}
}

// runner drives one job on this node.
type runner struct {
	e      *Engine
	appID  string
	cancel context.CancelFunc
	wakeup chan struct{}
}

func (r *runner) wake() {
	select {
	case r.wakeup <- struct{}{}:
	default:
	}
}

// loop handles, in turn: outbox changes at once, escrow retries when due,
// and reconciliation cycles when due.
func (r *runner) loop(ctx context.Context) {
	for {
		if err := r.step(ctx); err != nil && ctx.Err() == nil {
			r.e.log().ErrorContext(ctx, "provisioning: job step failed", "app", r.appID, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-r.wakeup:
		case <-time.After(5 * time.Second):
		}
	}
}

func (r *runner) step(ctx context.Context) error {
	j, err := r.e.Store.GetJob(ctx, r.appID)
	if err != nil {
		return err
	}
	now := r.e.now()
	if !j.Enabled {
		return nil
	}
	if q := j.Quarantine; q != nil && now.Before(q.NextAttempt) {
		return nil
	}
	s, err := r.e.session(ctx, j)
	if err != nil {
		return err
	}
	if j.Quarantine != nil || !now.Before(j.NextCycle) {
		return s.cycle(ctx, j.Quarantine == nil && j.LastCycle == nil)
	}
	if err := s.drain(ctx, j.Cursor); err != nil {
		return err
	}
	return s.retryEscrows(ctx)
}

// session prepares a job's work: its SCIM client, compiled mappings and
// scope evaluator.
func (e *Engine) session(ctx context.Context, j *Job) (*session, error) {
	token := ""
	if j.Settings.TokenSealed != "" {
		t, err := e.Box.Open(j.Settings.TokenSealed, j.AppID)
		if err != nil {
			return nil, fmt.Errorf("job %s: token: %w", j.AppID, err)
		}
		token = t
	}
	users, err := compile(j.Settings.Users)
	if err != nil {
		return nil, fmt.Errorf("job %s: user mappings: %w", j.AppID, err)
	}
	groups, err := compile(j.Settings.Groups)
	if err != nil {
		return nil, fmt.Errorf("job %s: group mappings: %w", j.AppID, err)
	}
	set := j.Settings
	if set.Workers <= 0 {
		set.Workers = 8
	}
	return &session{
		e:      e,
		job:    j,
		set:    &set,
		client: scimclient.New(set.TenantURL, token, set.RateLimit, e.Timeout),
		users:  users,
		groups: groups,
		scope:  &scoper{dir: e.Dir, appID: j.AppID, set: &set},
	}, nil
}

// errQuarantined stops work on a job that was just quarantined.
var errQuarantined = errors.New("job quarantined")
