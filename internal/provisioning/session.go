package provisioning

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/provisioning/expr"
	"github.com/gatehouse-id/gatehouse/internal/provisioning/scimclient"
	"github.com/gatehouse-id/gatehouse/internal/scim"
	"github.com/gatehouse-id/gatehouse/internal/scim/filter"
)

// session is one pass of work on a job: a batch of outbox changes, escrow
// retries, a reconciliation cycle, or an on-demand provisioning.
type session struct {
	e      *Engine
	job    *Job
	set    *Settings
	client *scimclient.Client
	users  []compiled
	groups []compiled
	scope  *scoper

	cycleID string
	// index, during a cycle, holds the target's users and groups read at
	// its start; nil in incremental work, which reads objects one by one.
	index *targetIndex
	// scopeSet, during a cycle, holds the users assigned to the app.
	scopeSet map[string]bool
	progress *Progress
	// collect, when set, receives the batch's log entries (on-demand).
	collect *[]LogEntry
	// userTargets, during a cycle's group phase, maps provisioned users to
	// their target ids, read once instead of once per membership.
	userTargets map[string]string
	// links, during a cycle, holds every link of the job, read once.
	links map[string]*Link
	// userCache, during a cycle, holds the live directory users, read
	// page by page once instead of one query per user.
	userCache map[string]*directory.User
	// linkBuf collects the links a batch makes or changes; they are stored
	// together when the batch's requests are done. A link lost to a crash
	// in between is found again by matching, so nothing is duplicated.
	linkMu  sync.Mutex
	linkBuf []*Link
	// overlap lets a cycle persist one batch while it runs the next
	// (persist); persisting is the batch being persisted.
	overlap    bool
	persisting chan error
	// regroup (under linkMu) are the users whose place in their groups
	// changed in this session: given a target object (created or matched),
	// disabled or enabled again. run plans their groups again, since a
	// group planned without that change (an escrowed user that arrives
	// later, a user disabled by a change to the user alone) is stale.
	regroup []string

	// deletes counts the disables and deletes of the session, and holding
	// is set once they exceed the deletion threshold: from then on the
	// session stages every disable and delete, groups' too.
	deletes int
	holding bool
}

// pending is one object's plan, made before anything is sent so that the
// deletion threshold can hold a batch's disables and deletes back.
type pending struct {
	kind, sourceID, name, changeID string
	plan                           Plan
	link                           *Link
	targetID                       string
	steps                          []Step
	warnings                       []string
	unresolved                     bool // a reference (manager) could not be resolved yet
	err                            error
	start                          time.Time
}

func (p *pending) step(name, typ, status, details string) {
	p.steps = append(p.steps, Step{Name: name, Type: typ, Status: status, Details: details})
}

// --- incremental work ---

// drain provisions every object named by outbox changes after cursor,
// users before groups, then advances the job's cursor.
func (s *session) drain(ctx context.Context, cursor int64) error {
	for {
		changes, err := s.e.Dir.Changes(ctx, cursor, 5000)
		if err != nil || len(changes) == 0 {
			return err
		}
		var users, groups []item
		seen := map[string]bool{}
		for _, c := range changes {
			if seen[c.Kind+c.ID] {
				continue
			}
			seen[c.Kind+c.ID] = true
			it := item{id: c.ID, change: fmt.Sprint(c.Seq)}
			switch c.Kind {
			case directory.KindUser:
				users = append(users, it)
			case directory.KindGroup:
				groups = append(groups, it)
			}
		}
		s.cycleID = "incremental-" + newID()
		s.scope = s.scope.fresh() // assignments may have changed since the last batch
		if err := s.run(ctx, users, groups); err != nil {
			return err
		}
		cursor = changes[len(changes)-1].Seq
		if _, err := s.e.Store.UpdateJob(ctx, s.job.AppID, func(j *Job) error {
			j.Cursor = max(j.Cursor, cursor)
			return nil
		}); err != nil {
			return err
		}
	}
}

// retryEscrows provisions again the objects whose escrow retry is due.
func (s *session) retryEscrows(ctx context.Context) error {
	due, err := s.e.Store.DueEscrows(ctx, s.job.AppID, s.e.now())
	if err != nil || len(due) == 0 {
		return err
	}
	var users, groups []item
	for _, l := range due {
		it := item{id: l.SourceID, change: "escrow-retry"}
		if l.Kind == directory.KindUser {
			users = append(users, it)
		} else {
			groups = append(groups, it)
		}
	}
	s.cycleID = "escrow-" + newID()
	return s.run(ctx, users, groups)
}

type item struct{ id, change string }

// run plans and executes users, then groups: those given and those of the
// users whose place in them changed in the meantime.
func (s *session) run(ctx context.Context, users, groups []item) error {
	if err := s.batch(ctx, directory.KindUser, users); err != nil {
		return err
	}
	groups, err := s.regroupItems(ctx, groups)
	if err != nil {
		return err
	}
	return s.batch(ctx, directory.KindGroup, groups)
}

// regroupItems adds to groups the groups (and, with nested groups
// flattened, their ancestors) of the users to regroup.
func (s *session) regroupItems(ctx context.Context, groups []item) ([]item, error) {
	s.linkMu.Lock()
	users := s.regroup
	s.regroup = nil
	s.linkMu.Unlock()
	if !s.set.ProvisionGroups || len(users) == 0 {
		return groups, nil
	}
	seen := map[string]bool{}
	for _, g := range groups {
		seen[g.id] = true
	}
	for frontier := users; len(frontier) > 0; {
		var next []string
		for _, id := range frontier {
			parents, err := s.e.Dir.MemberOf(ctx, id)
			if err != nil {
				return nil, err
			}
			for _, p := range parents {
				if seen[p] {
					continue
				}
				seen[p] = true
				groups = append(groups, item{id: p, change: "member-changed"})
				if s.set.FlattenNested {
					next = append(next, p)
				}
			}
		}
		frontier = next
	}
	return groups, nil
}

// batch plans every item, applies the deletion threshold, executes, and
// records logs. It returns errQuarantined when the target refused the
// credentials.
func (s *session) batch(ctx context.Context, kind string, items []item) error {
	if len(items) == 0 {
		return nil
	}
	plans := make([]*pending, len(items))
	err := s.parallel(ctx, len(items), func(i int) {
		if kind == directory.KindUser {
			plans[i] = s.planUser(ctx, items[i])
		} else {
			plans[i] = s.planGroup(ctx, items[i])
		}
	})
	if err != nil {
		return err
	}
	if err := s.threshold(ctx, plans); err != nil {
		return err
	}
	var quarantined atomic.Bool
	err = s.parallel(ctx, len(plans), func(i int) {
		if quarantined.Load() {
			return
		}
		if s.execute(ctx, plans[i]) {
			quarantined.Store(true)
		}
	})
	if err != nil {
		return err
	}
	if err := s.persist(ctx, plans); err != nil {
		return err
	}
	// Users whose manager was provisioned in the same batch: plan again.
	if kind == directory.KindUser {
		var again []item
		for _, p := range plans {
			if p.unresolved && p.err == nil {
				again = append(again, item{id: p.sourceID, change: p.changeID})
			}
		}
		if len(again) > 0 && len(again) < len(items) {
			return s.batch(ctx, kind, again)
		}
	}
	if quarantined.Load() {
		return errQuarantined
	}
	return nil
}

// putLink buffers a link until the batch ends.
func (s *session) putLink(l *Link) {
	s.linkMu.Lock()
	defer s.linkMu.Unlock()
	s.linkBuf = append(s.linkBuf, l)
	if s.links != nil {
		s.links[l.Kind+"/"+l.SourceID] = l
	}
}

// takeLinks returns the buffered links and empties the buffer.
func (s *session) takeLinks() []*Link {
	s.linkMu.Lock()
	defer s.linkMu.Unlock()
	buf := s.linkBuf
	s.linkBuf = nil
	return buf
}

// persist stores a batch's links, then its log entries. In a
// reconciliation cycle (s.overlap) it does so beside the next batch: the
// cycle keeps every link in memory, so the groups need not wait while a
// hundred thousand users' links and log entries are written (a tenth of
// an initial sync, docs/benchmarks.md). settle waits for it, and is called
// before the next persist (the log stays in order) and before the cycle
// ends. A crash in between loses no change: objects created without a
// stored link are matched again by the next cycle, which reads the target.
func (s *session) persist(ctx context.Context, plans []*pending) error {
	links := s.takeLinks()
	if !s.overlap {
		return s.store(ctx, links, plans)
	}
	if err := s.settle(); err != nil {
		return err
	}
	done := make(chan error, 1)
	s.persisting = done
	go func() { done <- s.store(ctx, links, plans) }()
	return nil
}

func (s *session) store(ctx context.Context, links []*Link, plans []*pending) error {
	if len(links) > 0 {
		if err := s.e.Store.PutLinks(ctx, links); err != nil {
			return err
		}
	}
	return s.record(ctx, plans)
}

// settle waits for the batch being persisted, if any, and returns its error.
func (s *session) settle() error {
	if s.persisting == nil {
		return nil
	}
	err := <-s.persisting
	s.persisting = nil
	return err
}

// parallel runs fn(0..n-1) on the job's workers.
func (s *session) parallel(ctx context.Context, n int, fn func(i int)) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(n, s.set.Workers) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				fn(i)
				if s.progress != nil {
					s.progress.Done.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}

// --- planning ---

func (s *session) getLink(ctx context.Context, kind, id string) (*Link, error) {
	if s.links != nil {
		return s.links[kind+"/"+id], nil
	}
	l, err := s.e.Store.GetLink(ctx, s.job.AppID, kind, id)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return l, err
}

func (s *session) planUser(ctx context.Context, it item) *pending {
	p := &pending{kind: directory.KindUser, sourceID: it.id, changeID: it.change, start: time.Now()}
	u, err := s.sourceUser(ctx, it.id)
	deleted := errors.Is(err, directory.ErrNotFound)
	if err != nil && !deleted {
		p.err = err
		return p
	}
	if p.link, p.err = s.getLink(ctx, directory.KindUser, it.id); p.err != nil {
		return p
	}
	active := false
	if deleted {
		p.step("Import", "Import", "success", "the user no longer exists in the directory (hard-deleted)")
	} else {
		p.name = u.UserPrincipalName
		p.step("Import", "Import", "success", "read "+u.UserPrincipalName)
		if s.scopeSet != nil {
			active = s.scopeSet[u.ID] && u.Deleted == nil && u.AccountEnabled &&
				inScope(s.set.ScopingFilters, userSource(u, false, nil))
		} else if active, p.err = s.scope.userInScope(ctx, u); p.err != nil {
			return p
		}
		p.step("Scope", "Scoping", "success", scopeText(u, active))
	}
	linked := p.link != nil && p.link.TargetID != ""
	if !active && !linked {
		p.plan = Plan{Action: ActionSkip, Reason: "out of scope and never provisioned"}
		return p
	}
	var target scimclient.Doc
	if linked {
		if target, p.err = s.readTarget(ctx, "Users", p.link.TargetID); p.err != nil {
			return p
		}
		if target != nil {
			p.targetID = p.link.TargetID
			p.step("Match", "Matching", "success", "linked to target user "+p.targetID)
		}
	}
	var b *built
	if !deleted {
		b, p.err = s.buildUser(ctx, u, !active, target == nil, p)
		if p.err != nil {
			return p
		}
		if target == nil {
			if target, p.err = s.match(ctx, "Users", s.users, b, p); p.err != nil {
				return p
			}
			if target != nil {
				// A matched user is updated, not created: create-only
				// mappings no longer apply.
				if b, p.err = s.buildUser(ctx, u, !active, false, p); p.err != nil {
					return p
				}
			}
		}
	}
	if deleted && target == nil && linked {
		p.step("Match", "Matching", "success", "the linked target user no longer exists")
	}
	p.plan = planUser(userInput{Desired: b, InScope: active, Deleted: deleted, Target: target})
	return p
}

// sourceUser reads a user, from the cycle's preload when there is one
// (users absent from it are soft-deleted or gone: read them one by one).
func (s *session) sourceUser(ctx context.Context, id string) (*directory.User, error) {
	if u, ok := s.userCache[id]; ok {
		return u, nil
	}
	return s.e.Dir.GetUser(ctx, id)
}

func scopeText(u *directory.User, in bool) string {
	switch {
	case in:
		return "in scope"
	case u.Deleted != nil:
		return "out of scope: soft-deleted"
	case !u.AccountEnabled:
		return "out of scope: sign-in blocked (accountEnabled false)"
	}
	return "out of scope: not assigned to the app, or filtered out by a scoping filter"
}

// buildUser maps a user and resolves its references to target ids.
func (s *session) buildUser(ctx context.Context, u *directory.User, softDeleted, create bool, p *pending) (*built, error) {
	b, err := build(s.users, userSource(u, softDeleted, nil), create, expr.Options{Now: s.e.Now})
	if err != nil {
		return nil, &permanentError{code: "ExpressionEvaluationFailure", err: err}
	}
	p.warnings = b.warnings
	for _, r := range b.refs {
		l, err := s.getLink(ctx, directory.KindUser, r.source)
		if err != nil {
			return nil, err
		}
		if l == nil || l.TargetID == "" {
			// Not provisioned (yet): leave the target's value alone.
			p.unresolved = true
			b.managed = removePath(b.managed, r.path)
			continue
		}
		if err := scim.ApplyPath(b.doc, "add", r.path, l.TargetID); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func removePath(ps []filter.Path, p filter.Path) []filter.Path {
	out := ps[:0:0]
	for _, q := range ps {
		if !strings.EqualFold(q.String(), p.String()) {
			out = append(out, q)
		}
	}
	return out
}

// readTarget reads a target object by id; nil when it is gone (a stale
// link, Entra's InvalidAnchor, which is repaired by matching again).
func (s *session) readTarget(ctx context.Context, resource, id string) (scimclient.Doc, error) {
	if s.index != nil {
		return s.index.byID(resource, id), nil
	}
	d, err := s.client.Get(ctx, resource, id)
	if scimclient.StatusOf(err) == 404 {
		return nil, nil
	}
	return d, err
}

// match finds the target object by the matching attributes, in precedence
// order (Entra: the first attribute that matches wins; more than one match
// is DuplicateTargetEntries).
func (s *session) match(ctx context.Context, resource string, cs []compiled, b *built, p *pending) (scimclient.Doc, error) {
	for _, m := range matchPaths(cs) {
		v, _ := scim.GetPath(b.doc, m.path).(string)
		if v == "" {
			continue
		}
		var docs []scimclient.Doc
		if s.index != nil {
			docs = s.index.lookup(resource, m.path, v)
		} else {
			var err error
			if docs, err = s.client.Find(ctx, resource, fmt.Sprintf("%s eq %q", m.Target, v)); err != nil {
				return nil, err
			}
		}
		switch len(docs) {
		case 0:
			continue
		case 1:
			id, _ := docs[0]["id"].(string)
			p.targetID = id
			p.step("Match", "Matching", "success", fmt.Sprintf("matched target %s by %s %q", id, m.Target, v))
			return docs[0], nil
		default:
			return nil, &permanentError{code: "DuplicateTargetEntries",
				err: fmt.Errorf("%d target objects have %s %q", len(docs), m.Target, v)}
		}
	}
	p.step("Match", "Matching", "success", "no matching object in the target")
	return nil, nil
}

func (s *session) planGroup(ctx context.Context, it item) *pending {
	p := &pending{kind: directory.KindGroup, sourceID: it.id, changeID: it.change, start: time.Now()}
	g, err := s.e.Dir.GetGroup(ctx, it.id)
	if err != nil && !errors.Is(err, directory.ErrNotFound) {
		p.err = err
		return p
	}
	if p.link, p.err = s.getLink(ctx, directory.KindGroup, it.id); p.err != nil {
		return p
	}
	in := false
	if g != nil {
		p.name = g.DisplayName
		if in, p.err = s.scope.groupInScope(ctx, g); p.err != nil {
			return p
		}
	}
	linked := p.link != nil && p.link.TargetID != ""
	if !in && !linked {
		p.plan = Plan{Action: ActionSkip, Reason: "not provisioned"}
		return p
	}
	var target scimclient.Doc
	if linked {
		if target, p.err = s.readTarget(ctx, "Groups", p.link.TargetID); p.err != nil {
			return p
		}
		if target != nil {
			p.targetID = p.link.TargetID
		}
	}
	var b *built
	var members []string
	if in {
		if b, err = build(s.groups, groupSource(g), target == nil, expr.Options{Now: s.e.Now}); err != nil {
			p.err = &permanentError{code: "ExpressionEvaluationFailure", err: err}
			return p
		}
		if target == nil {
			if target, p.err = s.match(ctx, "Groups", s.groups, b, p); p.err != nil {
				return p
			}
		}
		if members, p.err = s.desiredMembers(ctx, g.ID, p); p.err != nil {
			return p
		}
	}
	var have []string
	if target != nil {
		if have, p.err = s.targetMembers(ctx, p.targetID, target); p.err != nil {
			return p
		}
	}
	p.plan = planGroup(groupInput{Desired: b, Members: members, Target: target, TargetMembers: have,
		MaxCreateMembers: s.set.MaxMembersPerPatch})
	return p
}

// desiredMembers are the target ids of the group's users that are in scope
// and provisioned.
func (s *session) desiredMembers(ctx context.Context, groupID string, p *pending) ([]string, error) {
	users, err := s.scope.memberUsers(ctx, groupID)
	if err != nil {
		return nil, err
	}
	var out []string
	missing := 0
	for _, uid := range users {
		target, err := s.userTarget(ctx, uid)
		if err != nil {
			return nil, err
		}
		if target == "" {
			missing++
			continue
		}
		if s.scopeSet != nil && !s.scopeSet[uid] {
			continue
		}
		if s.scopeSet == nil {
			u, err := s.e.Dir.GetUser(ctx, uid)
			if err != nil {
				continue
			}
			if ok, err := s.scope.userInScope(ctx, u); err != nil || !ok {
				continue
			}
		}
		out = append(out, target)
	}
	if missing > 0 {
		p.warnings = append(p.warnings, fmt.Sprintf("%d members are not provisioned (yet) and were left out", missing))
	}
	return out, nil
}

// userTarget is the target id of a provisioned user, or "".
func (s *session) userTarget(ctx context.Context, userID string) (string, error) {
	if s.userTargets != nil {
		return s.userTargets[userID], nil
	}
	l, err := s.getLink(ctx, directory.KindUser, userID)
	if err != nil || l == nil {
		return "", err
	}
	return l.TargetID, nil
}

// targetMembers reads a target group's members with the dialect's method.
func (s *session) targetMembers(ctx context.Context, targetID string, target scimclient.Doc) ([]string, error) {
	if s.set.Dialect == DialectRFC {
		var out []string
		ms, _ := scim.Get(target, "members").([]any)
		if s.index != nil || ms == nil {
			d, err := s.client.Get(ctx, "Groups", targetID)
			if err != nil {
				return nil, err
			}
			ms, _ = scim.Get(d, "members").([]any)
		}
		for _, m := range ms {
			if mo, ok := m.(map[string]any); ok {
				if v, ok := mo["value"].(string); ok {
					out = append(out, v)
				}
			}
		}
		return out, nil
	}
	var out []string
	err := s.client.Each(ctx, "Users", fmt.Sprintf("groups.value eq %q", targetID), true, func(d scimclient.Doc) error {
		if id, ok := d["id"].(string); ok {
			out = append(out, id)
		}
		return nil
	})
	return out, err
}
