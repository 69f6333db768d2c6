package provisioning

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/provisioning/scimclient"
	"github.com/gatehouse-id/gatehouse/internal/scim"
	"github.com/gatehouse-id/gatehouse/internal/scim/filter"
)

// Progress is a running cycle's progress, for the status command and the
// console's progress bar.
type Progress struct {
	CycleID string
	Initial bool
	Started time.Time
	phaseV  atomic.Value // string: reading the target, users, groups
	Total   atomic.Int64
	Done    atomic.Int64

	mu     sync.Mutex
	counts map[string]int
}

func (p *Progress) setPhase(v string) { p.phaseV.Store(v) }

// Phase is what the cycle is doing now: reading the target, users, groups.
func (p *Progress) Phase() string {
	v, _ := p.phaseV.Load().(string)
	return v
}

func (p *Progress) count(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.counts == nil {
		p.counts = map[string]int{}
	}
	p.counts[key]++
}

// Counts returns the actions counted so far, by action and status.
func (p *Progress) Counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.counts))
	for k, v := range p.counts {
		out[k] = v
	}
	return out
}

// targetIndex holds the target's users and groups, read once per cycle, so
// that planning needs no request per object.
type targetIndex struct {
	mu    sync.RWMutex
	byRes map[string]map[string]scimclient.Doc   // resource -> id -> doc
	keys  map[string]map[string][]scimclient.Doc // resource+path -> folded value -> docs
	paths map[string][]filter.Path               // resource -> matching paths
}

func newIndex() *targetIndex {
	return &targetIndex{byRes: map[string]map[string]scimclient.Doc{}, keys: map[string]map[string][]scimclient.Doc{},
		paths: map[string][]filter.Path{}}
}

func (x *targetIndex) add(res string, d scimclient.Doc) {
	x.mu.Lock()
	defer x.mu.Unlock()
	id, _ := d["id"].(string)
	if x.byRes[res] == nil {
		x.byRes[res] = map[string]scimclient.Doc{}
	}
	x.byRes[res][id] = d
	for _, p := range x.paths[res] {
		v, _ := scim.GetPath(d, p).(string)
		k := res + "|" + strings.ToLower(p.String())
		if x.keys[k] == nil {
			x.keys[k] = map[string][]scimclient.Doc{}
		}
		x.keys[k][strings.ToLower(v)] = append(x.keys[k][strings.ToLower(v)], d)
	}
}

func (x *targetIndex) byID(res, id string) scimclient.Doc {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.byRes[res][id]
}

// lookup finds target objects by a matching attribute, case-insensitively
// as SCIM compares userName and displayName.
func (x *targetIndex) lookup(res string, p filter.Path, v string) []scimclient.Doc {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.keys[res+"|"+strings.ToLower(p.String())][strings.ToLower(v)]
}

// read loads every object of a resource from the target.
func (s *session) readIndex(ctx context.Context, res string, cs []compiled) error {
	for _, m := range matchPaths(cs) {
		s.index.paths[res] = append(s.index.paths[res], m.path)
	}
	return s.client.Each(ctx, res, "", s.set.Dialect == DialectAWS, func(d scimclient.Doc) error {
		s.index.add(res, d)
		return nil
	})
}

// cycle is a reconciliation cycle: read the target, compute what every
// in-scope or linked object should be, and repair every difference,
// including drift made by hand in the target.
func (s *session) cycle(ctx context.Context, initial bool) error {
	s.cycleID = newID()
	started := s.e.now()
	prog := &Progress{CycleID: s.cycleID, Initial: initial, Started: started}
	prog.setPhase("reading the target")
	s.e.setProgress(s.job.AppID, prog)
	defer s.e.setProgress(s.job.AppID, nil)
	s.progress = prog
	stopSaving := s.saveProgress(ctx, prog)
	defer stopSaving()

	// Changes up to here are covered by this cycle's reading of the source.
	upTo, err := s.e.Dir.LastChange(ctx)
	if err != nil {
		return err
	}
	err = s.reconcile(ctx, prog)
	summary := &CycleSummary{ID: s.cycleID, Initial: initial, Started: started, Finished: s.e.now(), Counts: prog.Counts()}
	if err != nil {
		summary.Error = err.Error()
	}
	escrows, eerr := s.e.Store.EscrowCount(ctx, s.job.AppID)
	if eerr != nil {
		return eerr
	}
	reason := escrowReason(escrows, summary.Counts)
	stopSaving()
	_, uerr := s.e.Store.UpdateJob(ctx, s.job.AppID, func(j *Job) error {
		j.Running = nil
		j.LastCycle = summary
		j.NextCycle = s.e.now().Add(time.Duration(j.Settings.Interval))
		if err == nil {
			j.Cursor = max(j.Cursor, upTo)
			// A cycle that went through ends a quarantine, except one
			// waiting for an admin (too many deletes).
			if j.Quarantine != nil && j.Quarantine.Reason != ReasonTooManyDeletes {
				j.Quarantine = nil
			}
		}
		return nil
	})
	if uerr != nil {
		return uerr
	}
	if reason != "" {
		return s.quarantine(ctx, reason, "too many objects are failing; see the provisioning logs")
	}
	if err == errQuarantined {
		return nil
	}
	return err
}

// saveProgress stores the cycle's progress every second until stopped.
func (s *session) saveProgress(ctx context.Context, prog *Progress) (stop func()) {
	done := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				s.e.Store.UpdateJob(ctx, s.job.AppID, func(j *Job) error {
					j.Running = prog.snapshot()
					return nil
				})
			}
		}
	})
	return func() {
		once.Do(func() { close(done) })
		wg.Wait()
	}
}

func (p *Progress) snapshot() *RunningCycle {
	return &RunningCycle{ID: p.CycleID, Initial: p.Initial, Phase: p.Phase(), Done: p.Done.Load(), Total: p.Total.Load(),
		Counts: p.Counts()}
}

// escrowReason applies Entra's escrow thresholds: from 5,000 failures, more
// than 40% of the events failing or more than 40,000 failures; and
// 60,000 failures in any case (shared/reference/entra-provisioning.md §1.7).
func escrowReason(escrows int, counts map[string]int) string {
	events := 0
	for _, n := range counts {
		events += n
	}
	switch {
	case escrows >= 60000:
		return ReasonEscrowTotal
	case escrows < 5000:
		return ""
	case escrows > 40000:
		return ReasonEscrowTotal
	case events > 0 && float64(escrows) > 0.4*float64(events):
		return ReasonEscrowProportion
	}
	return ""
}

func (s *session) reconcile(ctx context.Context, prog *Progress) (err error) {
	s.overlap = true
	defer func() {
		if serr := s.settle(); err == nil {
			err = serr
		}
		s.overlap = false
	}()
	s.index = newIndex()
	if err := s.readIndex(ctx, "Users", s.users); err != nil {
		return err
	}
	if s.set.ProvisionGroups {
		if err := s.readIndex(ctx, "Groups", s.groups); err != nil {
			return err
		}
	}
	if s.scopeSet, err = s.computeScope(ctx); err != nil {
		return err
	}
	s.links = map[string]*Link{}
	for _, kind := range []string{directory.KindUser, directory.KindGroup} {
		ls, err := s.e.Store.Links(ctx, s.job.AppID, kind)
		if err != nil {
			return err
		}
		for _, l := range ls {
			s.links[kind+"/"+l.SourceID] = l
		}
	}
	users, err := s.sourceUsers(ctx)
	if err != nil {
		return err
	}
	groups, err := s.sourceGroups(ctx)
	if err != nil {
		return err
	}
	prog.Total.Store(int64(2*len(users) + 2*len(groups)))
	prog.setPhase("users")
	if err := s.batch(ctx, directory.KindUser, users); err != nil {
		return err
	}
	prog.setPhase("groups")
	s.userTargets = map[string]string{}
	for _, l := range s.links {
		if l.Kind == directory.KindUser {
			s.userTargets[l.SourceID] = l.TargetID
		}
	}
	defer func() { s.userTargets = nil }()
	return s.batch(ctx, directory.KindGroup, groups)
}

// computeScope returns the users assigned to the app: directly, or through
// an assigned group (its users at any depth when nested groups are
// flattened). With scope "all", every user counts as assigned.
func (s *session) computeScope(ctx context.Context) (map[string]bool, error) {
	set := map[string]bool{}
	s.userCache = map[string]*directory.User{}
	if err := s.eachUser(ctx, func(u *directory.User) {
		s.userCache[u.ID] = u
		if s.set.Scope == ScopeAll {
			set[u.ID] = true
		}
	}); err != nil {
		return nil, err
	}
	if s.set.Scope == ScopeAll {
		return set, nil
	}
	as, err := s.e.Dir.Assignments(ctx, s.job.AppID)
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		if a.PrincipalKind == directory.KindUser {
			set[a.PrincipalID] = true
			continue
		}
		users, err := s.scope.memberUsers(ctx, a.PrincipalID)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			set[u] = true
		}
	}
	return set, nil
}

func (s *session) eachUser(ctx context.Context, fn func(*directory.User)) error {
	after := ""
	for {
		us, err := s.e.Dir.ListUsers(ctx, directory.UserQuery{After: after, Limit: 5000})
		if err != nil {
			return err
		}
		for _, u := range us {
			fn(u)
		}
		if len(us) < 5000 {
			return nil
		}
		after = us[len(us)-1].ID
	}
}

// sourceUsers are the users a cycle looks at: the assigned ones and every
// one linked to a target user (which may have to be disabled or deleted).
func (s *session) sourceUsers(ctx context.Context) ([]item, error) {
	links, err := s.e.Store.Links(ctx, s.job.AppID, directory.KindUser)
	if err != nil {
		return nil, err
	}
	ids := make(map[string]bool, len(s.scopeSet)+len(links))
	for id := range s.scopeSet {
		ids[id] = true
	}
	for _, l := range links {
		ids[l.SourceID] = true
	}
	out := make([]item, 0, len(ids))
	for id := range ids {
		out = append(out, item{id: id, change: s.cycleID})
	}
	return out, nil
}

func (s *session) sourceGroups(ctx context.Context) ([]item, error) {
	ids := map[string]bool{}
	if s.set.ProvisionGroups {
		if s.set.Scope == ScopeAll {
			after := ""
			for {
				gs, err := s.e.Dir.ListGroups(ctx, directory.GroupQuery{After: after, Limit: 5000})
				if err != nil {
					return nil, err
				}
				for _, g := range gs {
					ids[g.ID] = true
				}
				if len(gs) < 5000 {
					break
				}
				after = gs[len(gs)-1].ID
			}
		} else {
			as, err := s.e.Dir.Assignments(ctx, s.job.AppID)
			if err != nil {
				return nil, err
			}
			for _, a := range as {
				if a.PrincipalKind == directory.KindGroup {
					ids[a.PrincipalID] = true
				}
			}
		}
	}
	links, err := s.e.Store.Links(ctx, s.job.AppID, directory.KindGroup)
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		ids[l.SourceID] = true
	}
	out := make([]item, 0, len(ids))
	for id := range ids {
		out = append(out, item{id: id, change: s.cycleID})
	}
	return out, nil
}

// setProgress publishes or clears a job's running-cycle progress.
func (e *Engine) setProgress(appID string, p *Progress) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.progress == nil {
		e.progress = map[string]*Progress{}
	}
	if p == nil {
		delete(e.progress, appID)
	} else {
		e.progress[appID] = p
	}
}

// CycleProgress returns the running cycle's progress, or nil.
func (e *Engine) CycleProgress(appID string) *Progress {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.progress[appID]
}
