package provisioning

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/provisioning/scimclient"
)

// permanentError is a failure that repeating will not fix until the source
// object or the configuration changes: it is escrowed without a retry timer
// and retried when the object changes or in the next cycle.
type permanentError struct {
	code string
	err  error
}

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// errorCode gives an error Entra's provisioning-log code.
func errorCode(err error) (code string, permanent bool) {
	var pe *permanentError
	if errors.As(err, &pe) {
		return pe.code, true
	}
	var ce *scimclient.Error
	if errors.As(err, &ce) {
		return ce.Code, !ce.Retryable
	}
	return "InternalError", false
}

// escrowDelay is the wait before the n-th retry of a failing object:
// minutes at first, backing off to six hours (Entra starts at six hours).
func escrowDelay(failures int) time.Duration {
	steps := []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour}
	if failures-1 < len(steps) {
		return steps[max(0, failures-1)]
	}
	return 6 * time.Hour
}

// threshold holds back a batch's disables and deletes when there are more
// than the deletion threshold: they are staged, logged as StagedDelete, and
// the job is quarantined (TooManyDeletes) until an admin approves them.
func (s *session) threshold(ctx context.Context, plans []*pending) error {
	limit := s.set.DeletionThreshold
	if limit <= 0 {
		return nil
	}
	var held []*pending
	for _, p := range plans {
		if p.err == nil && (p.plan.Action == ActionDisable || p.plan.Action == ActionDelete) {
			held = append(held, p)
		}
	}
	// The threshold counts every disable and delete of the session (a
	// cycle or a pass of changes), users' and groups' together.
	if len(held) == 0 {
		return nil
	}
	s.deletes += len(held)
	if !s.holding && s.deletes <= limit {
		return nil
	}
	s.holding = true
	total := s.deletes
	now := s.e.now()
	staged := make([]StagedDelete, len(held))
	for i, p := range held {
		staged[i] = StagedDelete{AppID: s.job.AppID, Kind: p.kind, SourceID: p.sourceID, TargetID: p.targetID,
			Action: p.plan.Action, Staged: now}
		p.step("Action", "Export", "skipped", fmt.Sprintf("%s staged: %d disables and deletes exceed the threshold of %d",
			p.plan.Action, total, limit))
		p.plan = Plan{Action: ActionStagedDelete, Reason: "deletion threshold exceeded"}
	}
	if err := s.e.Store.StageDeletes(ctx, staged); err != nil {
		return err
	}
	return s.quarantine(ctx, ReasonTooManyDeletes,
		fmt.Sprintf("%d disables and deletes exceed the deletion threshold of %d; approve them or fix the cause", total, limit))
}

// quarantine records why the job stopped; it is tried again after a delay
// that doubles up to a day, as Entra reduces a quarantined job's cycles.
func (s *session) quarantine(ctx context.Context, reason, msg string) error {
	now := s.e.now()
	_, err := s.e.Store.UpdateJob(ctx, s.job.AppID, func(j *Job) error {
		q := j.Quarantine
		if q == nil || q.Reason != reason {
			q = &Quarantine{Reason: reason, Began: now}
		}
		// The wait doubles with the time spent in quarantine: 1 minute,
		// then 2, 4, ... up to a day.
		wait := min(24*time.Hour, max(time.Minute, 2*now.Sub(q.Began)))
		q.Error, q.NextAttempt = msg, now.Add(wait)
		j.Quarantine = q
		return nil
	})
	s.e.log().WarnContext(ctx, "provisioning: job quarantined", "app", s.job.AppID, "reason", reason, "error", msg)
	return err
}

// execute carries out one plan. It reports whether the target refused the
// credentials, which quarantines the job.
func (s *session) execute(ctx context.Context, p *pending) (credentials bool) {
	if p.err == nil {
		p.err = s.apply(ctx, p)
	}
	now := s.e.now()
	if p.err != nil {
		code, permanent := errorCode(p.err)
		p.step("Action", "Export", "failure", p.err.Error())
		if code == scimclient.CodeCredentials {
			s.quarantine(ctx, ReasonCredentials, p.err.Error())
			return true
		}
		l := p.link
		if l == nil {
			l = &Link{AppID: s.job.AppID, Kind: p.kind, SourceID: p.sourceID}
		}
		l.Failures++
		l.LastError = fmt.Sprintf("%s: %v", code, p.err)
		l.Permanent = permanent
		l.NextRetry = time.Time{}
		if !permanent {
			l.NextRetry = now.Add(escrowDelay(l.Failures))
		}
		s.putLink(l)
		return false
	}
	if p.plan.Action != ActionSkip && p.plan.Action != ActionStagedDelete {
		p.step("Action", "Export", "success", actionText(p.plan))
	}
	if p.kind == directory.KindUser && changesActive(p.plan) {
		s.regroupUser(p.sourceID)
	}
	return false
}

// changesActive reports whether a user's plan disables or enables it, which
// takes it out of or back into its target groups.
func changesActive(pl Plan) bool {
	if pl.Action == ActionDisable {
		return true
	}
	for _, op := range pl.Patch {
		if strings.EqualFold(op.Path, "active") {
			return true
		}
	}
	return false
}

func actionText(pl Plan) string {
	switch pl.Action {
	case ActionNone:
		return "nothing to change: " + pl.Reason
	case ActionCreate:
		return "created in the target"
	case ActionDisable:
		return "disabled in the target: " + pl.Reason
	case ActionDelete:
		return "deleted from the target: " + pl.Reason
	}
	return fmt.Sprintf("updated %d attributes", len(pl.Modified))
}

func resourceOf(kind string) string {
	if kind == directory.KindGroup {
		return "Groups"
	}
	return "Users"
}

// apply sends a plan's requests and keeps the link to the target object.
func (s *session) apply(ctx context.Context, p *pending) error {
	res := resourceOf(p.kind)
	switch p.plan.Action {
	case ActionSkip, ActionStagedDelete:
		return nil
	case ActionCreate:
		d, err := s.client.Create(ctx, res, p.plan.Create)
		if err != nil {
			return err
		}
		id, _ := d["id"].(string)
		if id == "" {
			return &scimclient.Error{Method: "POST", Path: "/" + res, Status: 201, Code: scimclient.CodeIncompatible,
				Detail: "the created resource has no id"}
		}
		p.targetID = id
		if s.index != nil {
			s.index.add(res, d)
		}
		s.link(p)
	case ActionUpdate, ActionDisable:
		if len(p.plan.Patch) > 0 {
			if err := s.client.Patch(ctx, res, p.targetID, p.plan.Patch); err != nil {
				return err
			}
		}
	case ActionDelete:
		if err := s.client.Delete(ctx, res, p.targetID); err != nil && scimclient.StatusOf(err) != 404 {
			return err
		}
		if s.links != nil {
			s.linkMu.Lock()
			delete(s.links, p.kind+"/"+p.sourceID)
			s.linkMu.Unlock()
		}
		return s.e.Store.DeleteLink(ctx, s.job.AppID, p.kind, p.sourceID)
	}
	for _, ops := range memberPatches(p.plan.Add, p.plan.Remove, s.set.MaxMembersPerPatch) {
		if err := s.client.Patch(ctx, res, p.targetID, ops); err != nil {
			return err
		}
	}
	s.link(p)
	return nil
}

// link records the source -> target link and clears any escrow.
func (s *session) link(p *pending) {
	if p.targetID == "" {
		return
	}
	l := p.link
	if l != nil && l.TargetID == p.targetID && l.Failures == 0 {
		return
	}
	p.link = &Link{AppID: s.job.AppID, Kind: p.kind, SourceID: p.sourceID, TargetID: p.targetID}
	s.putLink(p.link)
	if p.kind == directory.KindUser && (l == nil || l.TargetID != p.targetID) {
		s.regroupUser(p.sourceID)
	}
}

// regroupUser has run plan the user's groups again (see session.regroup).
func (s *session) regroupUser(id string) {
	s.linkMu.Lock()
	s.regroup = append(s.regroup, id)
	s.linkMu.Unlock()
}

// record writes the log entries of a batch: every action taken, every
// failure and every warning; objects with nothing to do are not logged.
func (s *session) record(ctx context.Context, plans []*pending) error {
	var entries []LogEntry
	now := s.e.now()
	for _, p := range plans {
		if p.err == nil && len(p.warnings) == 0 && (p.plan.Action == ActionNone || p.plan.Action == ActionSkip) {
			continue
		}
		e := LogEntry{
			ID: newID(), AppID: s.job.AppID, CycleID: s.cycleID, ChangeID: p.changeID, At: now,
			Action: p.plan.Action, Status: "success", Kind: p.kind, SourceID: p.sourceID, SourceName: p.name,
			TargetID: p.targetID, Modified: p.plan.Modified, Steps: p.steps,
			DurationMS: time.Since(p.start).Milliseconds(),
		}
		if e.Action == "" {
			e.Action = "Other"
		}
		if p.plan.Action == ActionStagedDelete {
			e.Status = "skipped"
		}
		if len(p.warnings) > 0 && p.err == nil {
			e.Status = "warning"
			for _, w := range p.warnings {
				e.Steps = append(e.Steps, Step{Name: "Warning", Type: "Export", Status: "warning", Details: w})
			}
		}
		if p.err != nil {
			e.Status = "failure"
			e.ErrorCode, _ = errorCode(p.err)
			e.ErrorMsg = p.err.Error()
		}
		if s.progress != nil {
			s.progress.count(e.Action + "/" + e.Status)
		}
		entries = append(entries, e)
	}
	if s.collect != nil {
		*s.collect = append(*s.collect, entries...)
	}
	return s.e.Store.AppendLogs(ctx, entries)
}
