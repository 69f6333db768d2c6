package governance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/governance/due"
)

// DefaultMaxDuration is an eligibility's maximum activation when none is
// given (Entra's believed default, reference §5).
const DefaultMaxDuration = 8 * time.Hour

// Service runs governance's flows. Its fields are its dependencies.
type Service struct {
	Store Store
	// Dir is the directory whose memberships grants add and remove; its
	// AddMember and RemoveMember write the provisioning outbox.
	Dir    directory.Store
	Now    func() time.Time
	Logger *slog.Logger
	// OnEnd, when set, is called after governance removed a membership it
	// had added (the last grant ended), so the caller can end the sessions
	// that the access gave.
	OnEnd func(ctx context.Context, groupID, userID string)

	mu   sync.Mutex // serialises membership transitions of this process
	wake due.Signal
}

func (s *Service) now() time.Time {
	n := time.Now()
	if s.Now != nil {
		n = s.Now()
	}
	// Times are stored to the millisecond.
	return n.UTC().Truncate(time.Millisecond)
}

func (s *Service) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// Changed receives (without blocking the writer) after every change of a
// grant or a pending request made through this Service, so the Scheduler
// re-arms its timer at once.
func (s *Service) Changed() <-chan struct{} { return s.wake.C() }

func (s *Service) notify() { s.wake.Notify() }

// --- eligibilities ---

// AddEligibility makes e.PrincipalID (a user or a group) eligible for
// e.GroupID. ID and Created are set; MaxDuration 0 means
// DefaultMaxDuration.
func (s *Service) AddEligibility(ctx context.Context, e *Eligibility) error {
	now := s.now()
	if _, err := s.Dir.GetGroup(ctx, e.GroupID); err != nil {
		return fmt.Errorf("eligibility: group %q: %w", e.GroupID, notFound(err))
	}
	if e.PrincipalID == e.GroupID {
		return invalidf("a group cannot be eligible for itself")
	}
	if _, err := s.Dir.GetUser(ctx, e.PrincipalID); err != nil {
		if _, gerr := s.Dir.GetGroup(ctx, e.PrincipalID); gerr != nil {
			return fmt.Errorf("eligibility: principal %q is neither a user nor a group: %w", e.PrincipalID, ErrNotFound)
		}
	}
	if e.MaxDuration == 0 {
		e.MaxDuration = DefaultMaxDuration
	}
	if e.MaxDuration < MinMaxDuration || e.MaxDuration > MaxMaxDuration {
		return invalidf("maximum activation duration %s is outside 1h to 24h", e.MaxDuration)
	}
	if e.Expires != nil && !now.Before(*e.Expires) {
		return invalidf("eligibility end %s is not in the future", e.Expires.Format(time.RFC3339))
	}
	seen := map[string]bool{}
	var approvers []string
	for _, a := range e.Approvers {
		if a = strings.TrimSpace(a); a == "" || seen[a] {
			continue
		}
		seen[a] = true
		if _, err := s.Dir.GetUser(ctx, a); err != nil {
			return fmt.Errorf("eligibility: approver %q: %w", a, notFound(err))
		}
		approvers = append(approvers, a)
	}
	e.Approvers = approvers
	e.ID, e.Created = uuid.NewString(), now
	if err := s.Store.CreateEligibility(ctx, e); err != nil {
		return fmt.Errorf("create eligibility for %s in %s: %w", e.PrincipalID, e.GroupID, err)
	}
	s.log().Info("governance: eligibility added", "id", e.ID, "group", e.GroupID, "principal", e.PrincipalID,
		"max", e.MaxDuration, "approvers", len(e.Approvers), "ownersApprove", e.OwnersApprove)
	return nil
}

// RemoveEligibility deletes an eligibility. Activations already made from
// it run to their end (Deactivate or Revoke ends them earlier).
func (s *Service) RemoveEligibility(ctx context.Context, id string) error {
	if err := s.Store.DeleteEligibility(ctx, id); err != nil {
		return fmt.Errorf("remove eligibility %s: %w", id, err)
	}
	return nil
}

// Eligibilities lists eligibilities.
func (s *Service) Eligibilities(ctx context.Context, q EligibilityQuery) ([]*Eligibility, error) {
	return s.Store.ListEligibilities(ctx, q)
}

func notFound(err error) error {
	if errors.Is(err, directory.ErrNotFound) {
		return ErrNotFound
	}
	return err
}

// ancestors lists the groups that contain id, directly or through nested
// groups at any depth, nearest first.
func (s *Service) ancestors(ctx context.Context, id string) ([]string, error) {
	out, err := s.Dir.Ancestors(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("groups of %s: %w", id, err)
	}
	return out, nil
}

// EligibilityFor returns the live eligibility that lets userID activate
// groupID: one naming the user is preferred, then one naming the nearest
// group that contains the user, the oldest first. ErrNotEligible when none.
func (s *Service) EligibilityFor(ctx context.Context, groupID, userID string) (*Eligibility, error) {
	best, err := s.eligible(ctx, groupID, userID)
	if err != nil {
		return nil, err
	}
	if best[groupID] == nil {
		return nil, fmt.Errorf("user %s for group %s: %w", userID, groupID, ErrNotEligible)
	}
	return best[groupID], nil
}

// EligibilitiesOf lists the groups userID may activate, each with the
// eligibility EligibilityFor would use, ordered by group id.
func (s *Service) EligibilitiesOf(ctx context.Context, userID string) ([]*Eligibility, error) {
	best, err := s.eligible(ctx, "", userID)
	if err != nil {
		return nil, err
	}
	out := make([]*Eligibility, 0, len(best))
	for _, e := range best {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *Eligibility) int { return strings.Compare(a.GroupID, b.GroupID) })
	return out, nil
}

// eligible chooses, per group (only groupID unless it is ""), the live
// eligibility of userID that ranks first: one naming the user, then the
// nearest containing group, then the oldest.
func (s *Service) eligible(ctx context.Context, groupID, userID string) (map[string]*Eligibility, error) {
	now := s.now()
	anc, err := s.ancestors(ctx, userID)
	if err != nil {
		return nil, err
	}
	principals := append([]string{userID}, anc...)
	els, err := s.Store.ListEligibilities(ctx, EligibilityQuery{GroupID: groupID, Principals: principals})
	if err != nil {
		return nil, err
	}
	rank := func(e *Eligibility) int { return slices.Index(principals, e.PrincipalID) }
	best := map[string]*Eligibility{}
	for _, e := range els {
		if !e.Live(now) || rank(e) < 0 {
			continue
		}
		b := best[e.GroupID]
		if b == nil || rank(e) < rank(b) || rank(e) == rank(b) && e.Created.Before(b.Created) {
			best[e.GroupID] = e
		}
	}
	return best, nil
}

// --- activation ---

// ActivateInput is a user's activation request.
type ActivateInput struct {
	GroupID, UserID string
	// Duration 0 asks for the eligibility's maximum.
	Duration      time.Duration
	Justification string
	Ticket        string
	// MFA is true when the caller verified that the user passed a second
	// factor in the session making the request.
	MFA bool
}

// Activate handles a user's activation (flow step 2):
//
//  1. the user is live and enabled, the group exists;
//  2. the user holds a live eligibility (directly or through a group);
//  3. the duration is at least MinDuration and at most the maximum
//     (ExpirationRule);
//  4. MFA (MfaRule), a justification (JustificationRule) and a ticket
//     number (TicketingRule) when required;
//  5. with approval (named approvers, the group's owners or both), the
//     request waits (PendingApproval) for 24 hours for one of its
//     approvers, resolved now: the owners are the group's active owners
//     other than the requester, and without one the activation is refused
//     (ApprovalRule); otherwise it is Active at once and the membership is
//     added.
//
// The grant never outlives the eligibility. When the request is stored but
// the membership could not be added, both the request and an error are
// returned; the Scheduler retries the membership.
func (s *Service) Activate(ctx context.Context, in ActivateInput) (*Request, error) {
	now := s.now()
	u, err := s.Dir.GetUser(ctx, in.UserID)
	if err != nil {
		return nil, fmt.Errorf("activate: user %q: %w", in.UserID, notFound(err))
	}
	if u.Deleted != nil || !u.AccountEnabled {
		return nil, fmt.Errorf("activate: user %s is disabled: %w", in.UserID, ErrForbidden)
	}
	if _, err := s.Dir.GetGroup(ctx, in.GroupID); err != nil {
		return nil, fmt.Errorf("activate: group %q: %w", in.GroupID, notFound(err))
	}
	el, err := s.EligibilityFor(ctx, in.GroupID, in.UserID)
	if err != nil {
		return nil, err
	}
	d := in.Duration
	if d == 0 {
		d = el.MaxDuration
	}
	switch {
	case d < MinDuration:
		return nil, &PolicyError{RuleExpiration, fmt.Sprintf("activation duration %s is shorter than %s", d, MinDuration)}
	case d > el.MaxDuration:
		return nil, &PolicyError{RuleExpiration, fmt.Sprintf("activation duration %s exceeds the maximum of %s", d, el.MaxDuration)}
	case el.RequireMFA && !in.MFA:
		return nil, &PolicyError{RuleMFA, "activation requires multi-factor authentication in this session"}
	case el.RequireJustification && strings.TrimSpace(in.Justification) == "":
		return nil, &PolicyError{RuleJustification, "activation requires a justification"}
	case el.RequireTicket && strings.TrimSpace(in.Ticket) == "":
		return nil, &PolicyError{RuleTicket, "activation requires a ticket number"}
	}
	approvers, err := s.approvers(ctx, el, in.UserID)
	if err != nil {
		return nil, err
	}
	if el.NeedsApproval() && len(approvers) == 0 {
		return nil, &PolicyError{RuleApproval, "activation needs the approval of the group's owners, and the group has no active owner other than you to give it"}
	}
	r := &Request{
		ID: uuid.NewString(), GroupID: in.GroupID, UserID: in.UserID, Kind: KindActivate, EligibilityID: el.ID,
		Justification: strings.TrimSpace(in.Justification), Ticket: strings.TrimSpace(in.Ticket),
		Duration: d, Requested: now, MFA: in.MFA, By: in.UserID,
	}
	if el.NeedsApproval() {
		dl := now.Add(ApprovalWindow)
		r.Status, r.ApprovalDeadline, r.Approvers = StatusPendingApproval, &dl, approvers
	} else {
		r.Status = StatusActive
		r.Start, r.End = now, grantEnd(now, d, el)
	}
	if err := s.Store.CreateRequest(ctx, r); err != nil {
		return nil, fmt.Errorf("store activation: %w", err)
	}
	s.log().Info("governance: activation requested", "request", r.ID, "group", r.GroupID, "user", r.UserID,
		"status", r.Status, "end", r.End)
	s.notify()
	if r.Status == StatusActive {
		if err := s.sync(ctx, r.GroupID, r.UserID, now); err != nil {
			return r, fmt.Errorf("activation %s recorded; membership will be retried: %w", r.ID, err)
		}
	}
	return r, nil
}

// approvers resolves who may approve userID's activation under el: its
// named approvers (as configured: a named requester is refused when
// deciding), then, when the group's owners approve, its active owners
// other than the requester. Owners are read now, so an owner added later
// does not see the request and one removed later can still decide it, as
// the request names its approvers when made.
func (s *Service) approvers(ctx context.Context, el *Eligibility, userID string) ([]string, error) {
	out := slices.Clone(el.Approvers)
	if !el.OwnersApprove {
		return out, nil
	}
	owners, err := directory.ActiveOwners(ctx, s.Dir, el.GroupID)
	if err != nil {
		return nil, err
	}
	for _, o := range owners {
		if o != userID && !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out, nil
}

func grantEnd(start time.Time, d time.Duration, el *Eligibility) time.Time {
	end := start.Add(d)
	if el != nil && el.Expires != nil && el.Expires.Before(end) {
		end = *el.Expires
	}
	return end
}

// Approve settles a pending request in favour (flow step 3): approverID is
// one of the request's approvers and not the requester, and the 24-hour
// window is open. The activation starts now and lasts the requested
// duration. After the window the request becomes Expired and
// ErrApprovalExpired is returned.
func (s *Service) Approve(ctx context.Context, requestID, approverID, reason string) (*Request, error) {
	return s.decide(ctx, requestID, approverID, reason, true)
}

// Deny settles a pending request against, with the same checks as Approve.
func (s *Service) Deny(ctx context.Context, requestID, approverID, reason string) (*Request, error) {
	return s.decide(ctx, requestID, approverID, reason, false)
}

func (s *Service) decide(ctx context.Context, requestID, approverID, reason string, approve bool) (*Request, error) {
	now := s.now()
	var el *Eligibility
	if approve {
		if r, err := s.Store.GetRequest(ctx, requestID); err == nil && r.EligibilityID != "" {
			el, _ = s.Store.GetEligibility(ctx, r.EligibilityID)
		}
	}
	r, err := s.Store.UpdateRequest(ctx, requestID, func(r *Request) error {
		if r.Status != StatusPendingApproval {
			return fmt.Errorf("request %s is %s, not pending approval: %w", r.ID, r.Status, ErrState)
		}
		if r.ApprovalDeadline != nil && !now.Before(*r.ApprovalDeadline) {
			r.Status = StatusExpired
			return nil
		}
		if approverID == r.UserID {
			return fmt.Errorf("the requester cannot decide their own request: %w", ErrForbidden)
		}
		if !slices.Contains(r.Approvers, approverID) {
			return fmt.Errorf("%s is not an approver of request %s: %w", approverID, r.ID, ErrForbidden)
		}
		r.Decision = &Decision{By: approverID, Reason: strings.TrimSpace(reason), At: now}
		if approve {
			r.Status, r.Start, r.End = StatusActive, now, grantEnd(now, r.Duration, el)
		} else {
			r.Status = StatusDenied
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("decide request %s: %w", requestID, err)
	}
	s.notify()
	if r.Status == StatusExpired {
		return r, fmt.Errorf("request %s: %w", r.ID, ErrApprovalExpired)
	}
	s.log().Info("governance: request decided", "request", r.ID, "by", approverID, "status", r.Status)
	if r.Status == StatusActive {
		if err := s.sync(ctx, r.GroupID, r.UserID, now); err != nil {
			return r, fmt.Errorf("approval of %s recorded; membership will be retried: %w", r.ID, err)
		}
	}
	return r, nil
}

// Cancel withdraws a pending request; only its requester (userID) may.
func (s *Service) Cancel(ctx context.Context, requestID, userID string) (*Request, error) {
	r, err := s.Store.UpdateRequest(ctx, requestID, func(r *Request) error {
		if r.UserID != userID {
			return fmt.Errorf("only the requester can cancel: %w", ErrForbidden)
		}
		if r.Status != StatusPendingApproval {
			return fmt.Errorf("request %s is %s, not pending approval: %w", r.ID, r.Status, ErrState)
		}
		r.Status = StatusCanceled
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cancel request %s: %w", requestID, err)
	}
	s.notify()
	return r, nil
}

// Deactivate ends the user's live activations of the group now (early
// deactivation) and returns them; the membership goes when no other grant
// is live. ErrNotFound when there is none.
func (s *Service) Deactivate(ctx context.Context, groupID, userID string) ([]*Request, error) {
	return s.end(ctx, groupID, userID, KindActivate)
}

// Unassign ends the time-bound assignments of the user to the group now.
func (s *Service) Unassign(ctx context.Context, groupID, userID string) ([]*Request, error) {
	return s.end(ctx, groupID, userID, KindAssign)
}

func (s *Service) end(ctx context.Context, groupID, userID string, kind Kind) ([]*Request, error) {
	now := s.now()
	live, err := s.Store.ListRequests(ctx, RequestQuery{GroupID: groupID, UserID: userID, Status: []Status{StatusActive}})
	if err != nil {
		return nil, err
	}
	var ended []*Request
	for _, r := range live {
		if r.Kind != kind || !r.Live(now) {
			continue
		}
		u, err := s.Store.UpdateRequest(ctx, r.ID, func(r *Request) error {
			if !r.Live(now) {
				return errSkip
			}
			r.Status, r.End = StatusRevoked, now
			return nil
		})
		if errors.Is(err, errSkip) {
			continue
		}
		if err != nil {
			return ended, fmt.Errorf("end request %s: %w", r.ID, err)
		}
		ended = append(ended, u)
	}
	if len(ended) == 0 {
		return nil, fmt.Errorf("no live %s of %s for group %s: %w", kind, userID, groupID, ErrNotFound)
	}
	s.notify()
	s.log().Info("governance: ended early", "group", groupID, "user", userID, "kind", kind, "count", len(ended))
	return ended, s.sync(ctx, groupID, userID, now)
}

var errSkip = errors.New("skip")

// Assign makes a time-bound direct assignment (an admin action, no
// eligibility needed): userID is a member of groupID until until.
func (s *Service) Assign(ctx context.Context, groupID, userID string, until time.Time, by string) (*Request, error) {
	now := s.now()
	if _, err := s.Dir.GetUser(ctx, userID); err != nil {
		return nil, fmt.Errorf("assign: user %q: %w", userID, notFound(err))
	}
	if _, err := s.Dir.GetGroup(ctx, groupID); err != nil {
		return nil, fmt.Errorf("assign: group %q: %w", groupID, notFound(err))
	}
	until = until.UTC().Truncate(time.Millisecond)
	if !now.Before(until) {
		return nil, invalidf("assignment end %s is not in the future", until.Format(time.RFC3339))
	}
	r := &Request{
		ID: uuid.NewString(), GroupID: groupID, UserID: userID, Kind: KindAssign, Status: StatusActive,
		Duration: until.Sub(now), Requested: now, Start: now, End: until, By: by,
	}
	if err := s.Store.CreateRequest(ctx, r); err != nil {
		return nil, fmt.Errorf("store assignment: %w", err)
	}
	s.notify()
	s.log().Info("governance: time-bound assignment", "request", r.ID, "group", groupID, "user", userID, "end", until)
	if err := s.sync(ctx, groupID, userID, now); err != nil {
		return r, fmt.Errorf("assignment %s recorded; membership will be retried: %w", r.ID, err)
	}
	return r, nil
}

// Requests lists requests.
func (s *Service) Requests(ctx context.Context, q RequestQuery) ([]*Request, error) {
	return s.Store.ListRequests(ctx, q)
}

// Request returns one request.
func (s *Service) Request(ctx context.Context, id string) (*Request, error) {
	return s.Store.GetRequest(ctx, id)
}

// --- membership effect ---

// isMember reports whether userID is a direct member of groupID.
func (s *Service) isMember(ctx context.Context, groupID, userID string) (bool, error) {
	gs, err := s.Dir.MemberOf(ctx, userID)
	if err != nil {
		return false, fmt.Errorf("groups of %s: %w", userID, err)
	}
	return slices.Contains(gs, groupID), nil
}

// sync brings the membership (groupID, userID) in line with its grants. It
// is idempotent, and each directory call is bracketed by writes to the
// transition table, so re-running it after a crash finishes the work:
//
//	live grant, no row, member          permanent member: nothing
//	live grant, no row or not "added"   row "adding"; AddMember; row "added"
//	live grant, row "added", not member re-add (removed by hand)
//	no live grant, row present          row "removing"; RemoveMember; delete row; OnEnd
//	no live grant, no row               nothing (never touch a permanent member)
func (s *Service) sync(ctx context.Context, groupID, userID string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	grants, err := s.Store.ListRequests(ctx, RequestQuery{GroupID: groupID, UserID: userID, Status: []Status{StatusActive}})
	if err != nil {
		return err
	}
	live := slices.ContainsFunc(grants, func(r *Request) bool { return r.Live(now) })
	row, err := s.Store.GetMembership(ctx, groupID, userID)
	if errors.Is(err, ErrNotFound) {
		row, err = nil, nil
	}
	if err != nil {
		return err
	}
	member, err := s.isMember(ctx, groupID, userID)
	if err != nil {
		return err
	}
	put := func(st MembershipState) error {
		return s.Store.PutMembership(ctx, &Membership{GroupID: groupID, UserID: userID, State: st, Updated: now})
	}
	if live {
		if row == nil && member {
			return nil // a permanent member
		}
		if row != nil && row.State == StateAdded && member {
			return nil
		}
		if row == nil || row.State != StateAdding {
			if err := put(StateAdding); err != nil {
				return err
			}
		}
		if !member {
			err := s.Dir.AddMember(ctx, groupID, userID, now)
			if err != nil && !errors.Is(err, directory.ErrConflict) {
				return fmt.Errorf("add %s to %s: %w", userID, groupID, err)
			}
			s.log().Info("governance: membership added", "group", groupID, "user", userID)
		}
		return put(StateAdded)
	}
	if row == nil {
		return nil
	}
	if row.State != StateRemoving {
		if err := put(StateRemoving); err != nil {
			return err
		}
	}
	if member {
		err := s.Dir.RemoveMember(ctx, groupID, userID, now)
		if err != nil && !errors.Is(err, directory.ErrNotFound) {
			return fmt.Errorf("remove %s from %s: %w", userID, groupID, err)
		}
		s.log().Info("governance: membership removed", "group", groupID, "user", userID)
	}
	if err := s.Store.DeleteMembership(ctx, groupID, userID); err != nil {
		return err
	}
	if s.OnEnd != nil {
		s.OnEnd(ctx, groupID, userID)
	}
	return nil
}
