package reviews

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

	"github.com/gatehouse-id/gatehouse/internal/audit"
	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/governance/due"
)

// ActorSystem decides items by default and applies results.
const ActorSystem = audit.ActorSystem

// Service runs the access review flows. Its fields are its dependencies.
type Service struct {
	Store Store
	// Dir is the directory reviewed; its RemoveMember and Unassign write
	// the provisioning outbox.
	Dir directory.Store
	// SignIns gives last sign-ins for the recommendation; nil treats
	// every user as never signed in.
	SignIns SignIns
	// Audit records decisions, reminders and removals; nil records none.
	Audit  audit.Appender
	Now    func() time.Time
	Logger *slog.Logger

	mu   sync.Mutex // serialises instance transitions of this process
	wake due.Signal
}

func (s *Service) now() time.Time {
	n := time.Now()
	if s.Now != nil {
		n = s.Now()
	}
	return n.UTC().Truncate(time.Millisecond)
}

func (s *Service) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// Changed receives after every change of this Service that moves a due
// instant, so the Scheduler re-arms its timer.
func (s *Service) Changed() <-chan struct{} { return s.wake.C() }

func (s *Service) notify() { s.wake.Notify() }

func (s *Service) audit(ctx context.Context, r audit.Record) {
	if s.Audit == nil {
		return
	}
	if _, err := s.Audit.Append(ctx, r); err != nil {
		s.log().Warn("reviews: audit append failed", "kind", r.Kind, "err", err)
	}
}

func notFound(err error) error {
	if errors.Is(err, directory.ErrNotFound) {
		return ErrNotFound
	}
	return err
}

// --- campaigns ---

// CreateCampaign validates and stores c (ID, Created and NextStart are
// set; a zero Start is now) and, when Start is not in the future, starts
// its first instance at once.
func (s *Service) CreateCampaign(ctx context.Context, c *Campaign) error {
	now := s.now()
	c.Name = strings.TrimSpace(c.Name)
	if c.Name == "" {
		return fieldf("name", "a campaign needs a name")
	}
	switch {
	case c.GroupID != "" && c.AppID != "", c.GroupID == "" && c.AppID == "":
		return fieldf("scope", "a campaign reviews exactly one of a group or an app")
	case c.GroupID != "":
		if _, err := s.Dir.GetGroup(ctx, c.GroupID); err != nil {
			return fmt.Errorf("campaign: group %q: %w", c.GroupID, notFound(err))
		}
	default:
		if _, err := s.Dir.GetApp(ctx, c.AppID); err != nil {
			return fmt.Errorf("campaign: app %q: %w", c.AppID, notFound(err))
		}
	}
	if c.Recurrence == "" {
		c.Recurrence = RecurNone
	}
	if c.Default == "" {
		c.Default = DefaultNone
	}
	if !slices.Contains([]Recurrence{RecurNone, RecurWeekly, RecurMonthly, RecurQuarterly}, c.Recurrence) {
		return fieldf("recurrence", "recurrence %q: none, weekly, monthly or quarterly", c.Recurrence)
	}
	if !slices.Contains([]Default{DefaultNone, DefaultApprove, DefaultDeny, DefaultRecommendation}, c.Default) {
		return fieldf("defaultDecision", "default decision %q: none, approve, deny or recommendation", c.Default)
	}
	if c.Duration < time.Hour {
		return fieldf("duration", "duration %s is shorter than an hour", days(c.Duration))
	}
	if c.Start.IsZero() {
		c.Start = now
	}
	c.Start = c.Start.UTC().Truncate(time.Millisecond)
	if next := c.Recurrence.Next(c.Start); !next.IsZero() && c.Start.Add(c.Duration).After(next) {
		return fieldf("duration", "duration %s is longer than the %s recurrence", days(c.Duration), c.Recurrence)
	}
	if c.ReminderInterval < 0 || c.ReminderInterval > 0 && c.ReminderInterval < time.Minute {
		return fieldf("reminderInterval", "reminder interval %s is shorter than a minute", c.ReminderInterval)
	}
	seen := map[string]bool{}
	var ids []string
	for _, r := range c.ReviewerIDs {
		if r = strings.TrimSpace(r); r == "" || seen[r] {
			continue
		}
		seen[r] = true
		if _, err := s.Dir.GetUser(ctx, r); err != nil {
			return fmt.Errorf("campaign: reviewer %q: %w", r, notFound(err))
		}
		ids = append(ids, r)
	}
	c.ReviewerIDs = ids
	switch c.Reviewers {
	case ReviewersNamed:
		if len(ids) == 0 {
			return fieldf("reviewerIds", "name at least one reviewer")
		}
	case ReviewersOwners:
		// Entra asks for a fallback reviewer when owners review; here one
		// is needed only while the group has no active owner, as with
		// none every item would go unreviewed.
		if c.AppID != "" {
			return fieldf("reviewers", "applications have no owners: choose named, managers or self reviewers")
		}
		owners, err := directory.ActiveOwners(ctx, s.Dir, c.GroupID)
		if err != nil {
			return err
		}
		if len(owners) == 0 && len(ids) == 0 {
			return fieldf("reviewerIds", "the group has no active owners: name fallback reviewers, or add owners to the group first")
		}
	case ReviewersManagers, ReviewersSelf:
	default:
		return fieldf("reviewers", "reviewers %q: named, owners, managers or self", c.Reviewers)
	}
	start := c.Start
	c.ID, c.Created, c.NextStart = uuid.NewString(), now, &start
	if err := s.Store.CreateCampaign(ctx, c); err != nil {
		return fmt.Errorf("create campaign %q: %w", c.Name, err)
	}
	s.log().Info("reviews: campaign created", "id", c.ID, "name", c.Name, "reviewers", c.Reviewers, "start", c.Start)
	s.notify()
	if !now.Before(c.Start) {
		if err := s.startDue(ctx, now); err != nil {
			return err
		}
		if got, err := s.Store.GetCampaign(ctx, c.ID); err == nil {
			*c = *got
		}
	}
	return nil
}

// Campaigns lists every campaign.
func (s *Service) Campaigns(ctx context.Context) ([]*Campaign, error) {
	return s.Store.ListCampaigns(ctx)
}

// Campaign returns one campaign.
func (s *Service) Campaign(ctx context.Context, id string) (*Campaign, error) {
	return s.Store.GetCampaign(ctx, id)
}

// Instances lists a campaign's instances, oldest first.
func (s *Service) Instances(ctx context.Context, campaignID string) ([]*Instance, error) {
	return s.Store.ListInstances(ctx, InstanceQuery{CampaignID: campaignID})
}

// Instance returns one instance.
func (s *Service) Instance(ctx context.Context, id string) (*Instance, error) {
	return s.Store.GetInstance(ctx, id)
}

// Items lists an instance's items; with reviewerID, only those the
// reviewer may decide.
func (s *Service) Items(ctx context.Context, instanceID, reviewerID string) ([]*Item, error) {
	items, err := s.Store.ListItems(ctx, instanceID)
	if err != nil || reviewerID == "" {
		return items, err
	}
	return slices.DeleteFunc(items, func(it *Item) bool { return !slices.Contains(it.Reviewers, reviewerID) }), nil
}

// Item returns one item.
func (s *Service) Item(ctx context.Context, id string) (*Item, error) {
	return s.Store.GetItem(ctx, id)
}

// --- starting instances (flow step 1) ---

// startDue starts an instance of every campaign whose NextStart is due.
// Periods missed entirely (the server was down past their end) are
// skipped: their instance would end before it began.
func (s *Service) startDue(ctx context.Context, now time.Time) error {
	cs, err := s.Store.DueCampaigns(ctx, now)
	if err != nil {
		return fmt.Errorf("due campaigns: %w", err)
	}
	var first error
	for _, c := range cs {
		if err := s.start(ctx, c, now); err != nil {
			s.log().Warn("reviews: start instance failed; will retry", "campaign", c.ID, "err", err)
			if first == nil {
				first = err
			}
		}
	}
	return first
}

func (s *Service) start(ctx context.Context, c *Campaign, now time.Time) error {
	if c.NextStart == nil {
		return nil
	}
	start := *c.NextStart
	for !start.Add(c.Duration).After(now) {
		next := c.Recurrence.Next(start)
		if next.IsZero() {
			break
		}
		s.log().Warn("reviews: skipped a missed instance", "campaign", c.ID, "start", start)
		start = next
	}
	if start.After(now) {
		_, err := s.Store.UpdateCampaign(ctx, c.ID, func(c *Campaign) error { c.NextStart = &start; return nil })
		return err
	}
	items, err := s.snapshot(ctx, c, now)
	if err != nil {
		return err
	}
	in := &Instance{ID: uuid.NewString(), CampaignID: c.ID, Start: start, End: start.Add(c.Duration),
		Status: StatusInProgress, ReminderInterval: c.ReminderInterval}
	for _, it := range items {
		it.InstanceID, it.CampaignID = in.ID, c.ID
	}
	err = s.Store.CreateInstance(ctx, in, items)
	if err != nil && !errors.Is(err, ErrConflict) {
		return fmt.Errorf("create instance of %s: %w", c.ID, err)
	}
	if err == nil {
		s.log().Info("reviews: instance started", "campaign", c.ID, "instance", in.ID, "items", len(items), "end", in.End)
	}
	_, err = s.Store.UpdateCampaign(ctx, c.ID, func(c *Campaign) error {
		if c.NextStart == nil || c.NextStart.After(start) {
			return nil
		}
		if next := c.Recurrence.Next(start); next.IsZero() {
			c.NextStart = nil
		} else {
			c.NextStart = &next
		}
		return nil
	})
	s.notify()
	return err
}

// snapshot lists the scope's users with their reviewers and a
// recommendation. Nested groups, and groups assigned to an app, are not
// expanded: review them with a campaign of their own.
func (s *Service) snapshot(ctx context.Context, c *Campaign, now time.Time) ([]*Item, error) {
	type entry struct{ user, assignment string }
	var entries []entry
	if c.GroupID != "" {
		ms, err := s.Dir.Members(ctx, c.GroupID)
		if err != nil {
			return nil, fmt.Errorf("members of %s: %w", c.GroupID, err)
		}
		for _, m := range ms {
			if m.Kind == directory.KindUser {
				entries = append(entries, entry{user: m.ID})
			}
		}
	} else {
		as, err := s.Dir.Assignments(ctx, c.AppID)
		if err != nil {
			return nil, fmt.Errorf("assignments of %s: %w", c.AppID, err)
		}
		for _, a := range as {
			if a.PrincipalKind == directory.KindUser {
				entries = append(entries, entry{user: a.PrincipalID, assignment: a.ID})
			}
		}
	}
	var owners []string
	if c.Reviewers == ReviewersOwners && c.GroupID != "" {
		var err error
		if owners, err = directory.ActiveOwners(ctx, s.Dir, c.GroupID); err != nil {
			return nil, err
		}
	}
	var items []*Item
	for _, e := range entries {
		u, err := s.Dir.GetUser(ctx, e.user)
		if errors.Is(err, directory.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		it := &Item{ID: uuid.NewString(), UserID: u.ID, UPN: u.UserPrincipalName, AssignmentID: e.assignment,
			Decision: NotReviewed}
		switch c.Reviewers {
		case ReviewersSelf:
			it.Reviewers = []string{u.ID}
		case ReviewersManagers:
			if u.ManagerID != "" {
				it.Reviewers = []string{u.ManagerID}
			} else {
				it.Reviewers = slices.Clone(c.ReviewerIDs)
			}
		case ReviewersOwners:
			// No one reviews their own access: an owner's own item goes to
			// the other owners, or to the fallback reviewers.
			it.Reviewers = slices.DeleteFunc(slices.Clone(owners), func(o string) bool { return o == u.ID })
			if len(it.Reviewers) == 0 {
				it.Reviewers = slices.Clone(c.ReviewerIDs)
			}
		default:
			it.Reviewers = slices.Clone(c.ReviewerIDs)
		}
		if it.Reviewers == nil {
			it.Reviewers = []string{}
		}
		var last time.Time
		var ok bool
		if s.SignIns != nil {
			if last, ok, err = s.SignIns.LastSignIn(ctx, u.ID); err != nil {
				return nil, fmt.Errorf("last sign-in of %s: %w", u.ID, err)
			}
		}
		switch {
		case !u.AccountEnabled || u.Deleted != nil:
			it.Recommendation = RecommendDisabled
		case !ok || now.Sub(last) > InactiveAfter:
			it.Recommendation = RecommendInactive
		default:
			it.Recommendation = RecommendApprove
		}
		if ok {
			it.LastSignIn = last.UTC()
		}
		items = append(items, it)
	}
	return items, nil
}

// --- decisions (flow step 2) ---

// DecideInput is a reviewer's decision on an item.
type DecideInput struct {
	ItemID     string
	ReviewerID string
	Decision   Decision // Approve, Deny or DontKnow
	Reason     string
}

// Decide records a decision: the instance is in progress and not past
// End, the caller is one of the item's reviewers, and a Deny has a reason.
// A later decision replaces an earlier one.
func (s *Service) Decide(ctx context.Context, in DecideInput) (*Item, error) {
	now := s.now()
	if !slices.Contains([]Decision{Approve, Deny, DontKnow}, in.Decision) {
		return nil, invalidf("decision %q: Approve, Deny or DontKnow", in.Decision)
	}
	reason := strings.TrimSpace(in.Reason)
	if in.Decision == Deny && reason == "" {
		return nil, invalidf("a denial needs a reason")
	}
	it, err := s.Store.GetItem(ctx, in.ItemID)
	if err != nil {
		return nil, fmt.Errorf("decide %s: %w", in.ItemID, err)
	}
	inst, err := s.Store.GetInstance(ctx, it.InstanceID)
	if err != nil {
		return nil, err
	}
	if inst.Status != StatusInProgress || !now.Before(inst.End) {
		return nil, fmt.Errorf("review instance %s ended at %s: %w", inst.ID, inst.End.Format(time.RFC3339), ErrState)
	}
	it, err = s.Store.UpdateItem(ctx, in.ItemID, func(it *Item) error {
		if !slices.Contains(it.Reviewers, in.ReviewerID) {
			return fmt.Errorf("%s is not a reviewer of %s: %w", in.ReviewerID, it.UPN, ErrForbidden)
		}
		it.Decision, it.Reason, it.ReviewedBy, it.ReviewedAt = in.Decision, reason, in.ReviewerID, now
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrForbidden) {
			s.audit(ctx, audit.Record{Actor: in.ReviewerID, Kind: audit.KindReviewDecision, Subject: in.ItemID,
				Action: "decide", Outcome: audit.OutcomeRefused, Reason: "not a reviewer of this item"})
		}
		return nil, fmt.Errorf("decide %s: %w", in.ItemID, err)
	}
	s.audit(ctx, audit.Record{Time: now, Actor: in.ReviewerID, Kind: audit.KindReviewDecision, Subject: it.UserID,
		Action: "decide", Outcome: audit.OutcomeSuccess, Reason: reason,
		Details: map[string]any{"campaign": it.CampaignID, "instance": it.InstanceID, "item": it.ID,
			"decision": string(it.Decision), "recommendation": it.Recommendation}})
	s.log().Info("reviews: decided", "item", it.ID, "user", it.UserID, "by", in.ReviewerID, "decision", it.Decision)
	return it, nil
}

// --- reminders (flow step 3) ---

// remind reminds, when its interval is due, each reviewer of the instance
// who has undecided items.
func (s *Service) remind(ctx context.Context, inst *Instance, now time.Time) error {
	due := inst.NextReminder()
	if due.IsZero() || now.Before(due) || !now.Before(inst.End) {
		return nil
	}
	// Claim the reminder first, so two nodes never both send it.
	if _, err := s.Store.UpdateInstance(ctx, inst.ID, func(in *Instance) error {
		if d := in.NextReminder(); d.IsZero() || now.Before(d) {
			return errSkip
		}
		in.LastReminder = now
		return nil
	}); err != nil {
		if errors.Is(err, errSkip) {
			return nil
		}
		return err
	}
	items, err := s.Store.ListItems(ctx, inst.ID)
	if err != nil {
		return err
	}
	pending := map[string]int{}
	var order []string
	for _, it := range items {
		if it.Decision != NotReviewed {
			continue
		}
		if _, err := s.Store.UpdateItem(ctx, it.ID, func(it *Item) error {
			it.RemindedAt, it.Reminders = now, it.Reminders+1
			return nil
		}); err != nil {
			return err
		}
		for _, r := range it.Reviewers {
			if pending[r] == 0 {
				order = append(order, r)
			}
			pending[r]++
		}
	}
	for _, r := range order {
		s.audit(ctx, audit.Record{Time: now, Actor: ActorSystem, Kind: KindReviewReminder, Subject: r, Action: "remind",
			Outcome: audit.OutcomeSuccess, Details: map[string]any{"campaign": inst.CampaignID, "instance": inst.ID,
				"pending": pending[r], "end": inst.End.Format(time.RFC3339)}})
	}
	s.log().Info("reviews: reminded", "instance", inst.ID, "reviewers", len(order))
	return nil
}

var errSkip = errors.New("skip")

// --- end and apply (flow step 4) ---

// Close ends an in-progress instance now (Graph's stop) and applies it.
func (s *Service) Close(ctx context.Context, instanceID, by string) (*Instance, error) {
	now := s.now()
	_, err := s.Store.UpdateInstance(ctx, instanceID, func(in *Instance) error {
		if in.Status != StatusInProgress {
			return fmt.Errorf("instance %s is %s: %w", in.ID, in.Status, ErrState)
		}
		if now.Before(in.End) {
			in.End = now
		}
		in.ClosedBy = by
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("close %s: %w", instanceID, err)
	}
	s.notify()
	if err := s.finish(ctx, instanceID, now); err != nil {
		return nil, err
	}
	return s.Store.GetInstance(ctx, instanceID)
}

// finish ends an instance whose End has passed: it stores Applying, then
// gives undecided items the default decision, applies denials with
// AutoApply, and stores Applied or Completed. Every step is idempotent, so
// a tick after a crash finishes the work.
func (s *Service) finish(ctx context.Context, instanceID string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	inst, err := s.Store.UpdateInstance(ctx, instanceID, func(in *Instance) error {
		switch {
		case in.Status == StatusApplying:
		case in.Status == StatusInProgress && !now.Before(in.End):
			in.Status, in.Closed = StatusApplying, now
		default:
			return errSkip
		}
		return nil
	})
	if errors.Is(err, errSkip) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("end instance %s: %w", instanceID, err)
	}
	c, err := s.Store.GetCampaign(ctx, inst.CampaignID)
	if err != nil {
		return err
	}
	items, err := s.Store.ListItems(ctx, inst.ID)
	if err != nil {
		return err
	}
	var first error
	for _, it := range items {
		if it.Decision == NotReviewed && c.Default != DefaultNone {
			d := Approve
			if c.Default == DefaultDeny || c.Default == DefaultRecommendation && strings.HasPrefix(it.Recommendation, "deny") {
				d = Deny
			}
			it, err = s.Store.UpdateItem(ctx, it.ID, func(it *Item) error {
				if it.Decision == NotReviewed {
					it.Decision, it.ReviewedBy, it.ReviewedAt = d, ActorSystem, now
					it.Reason = "default decision (" + string(c.Default) + "): no reviewer responded"
				}
				return nil
			})
			if err != nil {
				return err
			}
			s.audit(ctx, audit.Record{Time: now, Actor: ActorSystem, Kind: audit.KindReviewDecision, Subject: it.UserID,
				Action: "default", Reason: it.Reason, Details: map[string]any{"campaign": it.CampaignID,
					"instance": it.InstanceID, "item": it.ID, "decision": string(it.Decision)}})
		}
		if c.AutoApply && it.Decision == Deny && !it.Applied {
			if err := s.apply(ctx, c, it, now); err != nil {
				s.log().Warn("reviews: removal failed; will retry", "item", it.ID, "err", err)
				if first == nil {
					first = err
				}
			}
		}
	}
	if first != nil {
		return first
	}
	final := StatusCompleted
	if c.AutoApply {
		final = StatusApplied
	}
	if _, err := s.Store.UpdateInstance(ctx, inst.ID, func(in *Instance) error { in.Status = final; return nil }); err != nil {
		return err
	}
	s.log().Info("reviews: instance ended", "campaign", c.ID, "instance", inst.ID, "status", final)
	s.notify()
	return nil
}

// apply removes a denied item's access and marks it applied.
func (s *Service) apply(ctx context.Context, c *Campaign, it *Item, now time.Time) error {
	var err error
	if c.GroupID != "" {
		err = s.Dir.RemoveMember(ctx, c.GroupID, it.UserID, now)
	} else {
		err = s.Dir.Unassign(ctx, it.AssignmentID, now)
	}
	result := "removed"
	if errors.Is(err, directory.ErrNotFound) {
		result, err = "already gone", nil
	}
	if err != nil {
		return fmt.Errorf("remove %s: %w", it.UserID, err)
	}
	if _, err := s.Store.UpdateItem(ctx, it.ID, func(it *Item) error {
		it.Applied, it.AppliedAt, it.ApplyResult = true, now, result
		return nil
	}); err != nil {
		return err
	}
	kind, id := c.Scope()
	s.audit(ctx, audit.Record{Time: now, Actor: ActorSystem, Kind: audit.KindReviewDecision, Subject: it.UserID,
		Action: "apply", Reason: it.Reason, Details: map[string]any{"campaign": c.ID, "instance": it.InstanceID,
			"item": it.ID, "scope": kind, "resource": id, "assignment": it.AssignmentID, "result": result}})
	s.log().Info("reviews: access removed", "campaign", c.ID, "user", it.UserID, "scope", kind, "resource", id, "result", result)
	return nil
}
