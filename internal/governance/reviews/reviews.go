package reviews

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Domain errors; the API maps them to Graph's shape in one place.
var (
	ErrNotFound = errors.New("reviews: not found")
	ErrConflict = errors.New("reviews: already exists")
	ErrInvalid  = errors.New("reviews: invalid")
	// ErrForbidden: the caller is not a reviewer of the item.
	ErrForbidden = errors.New("reviews: forbidden")
	// ErrState: the instance is not in progress (ended, or applied).
	ErrState = errors.New("reviews: wrong instance state")
)

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// FieldError is a refused campaign setting. Field is the JSON name of the
// Campaign field at fault ("name", "scope", "reviewers", "reviewerIds",
// "duration", "recurrence", "defaultDecision", "reminderInterval"), so a
// form shows Msg next to its input. errors.Is(err, ErrInvalid) is true.
type FieldError struct {
	Field, Msg string
}

func (e *FieldError) Error() string { return ErrInvalid.Error() + ": " + e.Msg }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func fieldf(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// days writes a duration in whole days when it is one, as campaigns are
// set up ("14 days"), else as Go does.
func days(d time.Duration) string {
	if d >= 0 && d%(24*time.Hour) == 0 {
		if n := d / (24 * time.Hour); n != 1 {
			return fmt.Sprintf("%d days", n)
		}
		return "1 day"
	}
	return d.String()
}

// KindReviewReminder is the audit kind of a reminder sent to a reviewer
// with items still to decide (the audit package's KindReviewDecision
// records decisions and applied removals).
const KindReviewReminder = "review.reminder"

// InactiveAfter is the "no sign-in within 30 days" decision helper.
const InactiveAfter = 30 * 24 * time.Hour

// Reviewers: who reviews a campaign's items.
type Reviewers string

const (
	// ReviewersNamed: the users in Campaign.ReviewerIDs.
	ReviewersNamed Reviewers = "named"
	// ReviewersOwners: the reviewed group's active owners when an instance
	// starts, except the item's own user; an item none of them may review
	// goes to Campaign.ReviewerIDs (the fallback reviewers). Applications
	// have no owners in the directory, so an app campaign cannot have them.
	ReviewersOwners Reviewers = "owners"
	// ReviewersManagers: each user's manager (User.ManagerID); a user
	// without a manager goes to Campaign.ReviewerIDs (the fallback).
	ReviewersManagers Reviewers = "managers"
	// ReviewersSelf: each user reviews their own access.
	ReviewersSelf Reviewers = "self"
)

// Recurrence of a campaign.
type Recurrence string

const (
	RecurNone      Recurrence = "none"
	RecurWeekly    Recurrence = "weekly"
	RecurMonthly   Recurrence = "monthly"
	RecurQuarterly Recurrence = "quarterly"
)

// Next is the start of the instance after one starting at t; zero for
// RecurNone.
func (r Recurrence) Next(t time.Time) time.Time {
	switch r {
	case RecurWeekly:
		return t.AddDate(0, 0, 7)
	case RecurMonthly:
		return t.AddDate(0, 1, 0)
	case RecurQuarterly:
		return t.AddDate(0, 3, 0)
	}
	return time.Time{}
}

// Default is what happens to items no reviewer decided ("if reviewers
// don't respond").
type Default string

const (
	DefaultNone Default = "none" // no change
	// DefaultApprove keeps the access; DefaultDeny removes it.
	DefaultApprove Default = "approve"
	DefaultDeny    Default = "deny"
	// DefaultRecommendation takes the item's recommendation.
	DefaultRecommendation Default = "recommendation"
)

// Decision of an item.
type Decision string

const (
	NotReviewed Decision = "NotReviewed"
	Approve     Decision = "Approve"
	Deny        Decision = "Deny"
	DontKnow    Decision = "DontKnow"
)

// Recommendations computed at snapshot.
const (
	RecommendApprove  = "approve"
	RecommendInactive = "deny: no sign-in for 30 days"
	RecommendDisabled = "deny: account disabled"
)

// Campaign is an access review definition.
type Campaign struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Exactly one of GroupID (the group's direct user members) and AppID
	// (the app's direct user assignments) is set.
	GroupID   string    `json:"groupId,omitempty"`
	AppID     string    `json:"appId,omitempty"`
	Reviewers Reviewers `json:"reviewers"`
	// ReviewerIDs are the named reviewers, or the fallback reviewers of
	// ReviewersOwners and ReviewersManagers.
	ReviewerIDs []string      `json:"reviewerIds,omitempty"`
	Start       time.Time     `json:"start"`
	Duration    time.Duration `json:"duration"`
	Recurrence  Recurrence    `json:"recurrence"`
	Default     Default       `json:"defaultDecision"`
	AutoApply   bool          `json:"autoApply"`
	// ReminderInterval 0 sends no reminders.
	ReminderInterval time.Duration `json:"reminderInterval,omitempty"`
	// NextStart is when the next instance starts; nil when no more will.
	NextStart *time.Time `json:"nextStart,omitempty"`
	Created   time.Time  `json:"created"`
	By        string     `json:"by,omitempty"`
}

// Scope names the scope's kind and id: ("group", id) or ("app", id).
func (c *Campaign) Scope() (kind, id string) {
	if c.AppID != "" {
		return "app", c.AppID
	}
	return "group", c.GroupID
}

// Status of an instance, with Graph's names.
type Status string

const (
	StatusInProgress Status = "InProgress"
	// StatusApplying: ended; defaults and removals are being applied.
	StatusApplying Status = "Applying"
	// StatusApplied: ended, and denials were removed (AutoApply).
	StatusApplied Status = "Applied"
	// StatusCompleted: ended without AutoApply; nothing was removed.
	StatusCompleted Status = "Completed"
)

// Instance is one occurrence of a campaign.
type Instance struct {
	ID         string    `json:"id"`
	CampaignID string    `json:"campaignId"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Status     Status    `json:"status"`
	// LastReminder is when reviewers were last reminded (zero: never).
	LastReminder time.Time `json:"lastReminder,omitzero"`
	// ReminderInterval is the campaign's, copied at start.
	ReminderInterval time.Duration `json:"reminderInterval,omitempty"`
	Closed           time.Time     `json:"closed,omitzero"` // when it ended
	ClosedBy         string        `json:"closedBy,omitempty"`
}

// NextReminder is when reviewers are next reminded; zero when never.
func (in *Instance) NextReminder() time.Time {
	if in.ReminderInterval <= 0 || in.Status != StatusInProgress {
		return time.Time{}
	}
	last := in.LastReminder
	if last.IsZero() {
		last = in.Start
	}
	next := last.Add(in.ReminderInterval)
	if !next.Before(in.End) {
		return time.Time{}
	}
	return next
}

// Due is the instant the scheduler must act on the instance: its next
// reminder or its End while in progress, at once while applying; zero
// when done.
func (in *Instance) Due() time.Time {
	switch in.Status {
	case StatusInProgress:
		if r := in.NextReminder(); !r.IsZero() {
			return r
		}
		return in.End
	case StatusApplying:
		return in.End
	}
	return time.Time{}
}

// Item is one user's access under review in an instance.
type Item struct {
	ID         string `json:"id"`
	InstanceID string `json:"instanceId"`
	CampaignID string `json:"campaignId"`
	UserID     string `json:"userId"`
	UPN        string `json:"userPrincipalName"`
	// AssignmentID is the app assignment under review (app scope).
	AssignmentID string `json:"assignmentId,omitempty"`
	// Reviewers may decide the item (resolved at snapshot).
	Reviewers      []string  `json:"reviewers"`
	Recommendation string    `json:"recommendation"`
	LastSignIn     time.Time `json:"lastSignIn,omitzero"`
	Decision       Decision  `json:"decision"`
	Reason         string    `json:"reason,omitempty"`
	// ReviewedBy is the reviewer, or "system" for a default decision.
	ReviewedBy string    `json:"reviewedBy,omitempty"`
	ReviewedAt time.Time `json:"reviewedAt,omitzero"`
	RemindedAt time.Time `json:"remindedAt,omitzero"`
	Reminders  int       `json:"reminders,omitempty"`
	Applied    bool      `json:"applied"`
	AppliedAt  time.Time `json:"appliedAt,omitzero"`
	// ApplyResult says what applying did: "removed", "already gone".
	ApplyResult string `json:"applyResult,omitempty"`
}

// InstanceQuery selects instances; empty fields do not filter.
type InstanceQuery struct {
	CampaignID string
	Status     []Status
	// DueBy keeps instances whose Due is not after it (and not zero).
	DueBy time.Time
}

// Store is the persistence of access reviews.
type Store interface {
	CreateCampaign(ctx context.Context, c *Campaign) error
	GetCampaign(ctx context.Context, id string) (*Campaign, error)
	// ListCampaigns returns every campaign, oldest first.
	ListCampaigns(ctx context.Context) ([]*Campaign, error)
	// UpdateCampaign runs fn on the stored campaign in a transaction.
	UpdateCampaign(ctx context.Context, id string, fn func(c *Campaign) error) (*Campaign, error)
	// DueCampaigns lists campaigns whose NextStart is not after t.
	DueCampaigns(ctx context.Context, t time.Time) ([]*Campaign, error)

	// CreateInstance stores an instance and its items in one transaction;
	// ErrConflict when the campaign already has an instance with that
	// Start (another node started it).
	CreateInstance(ctx context.Context, in *Instance, items []*Item) error
	GetInstance(ctx context.Context, id string) (*Instance, error)
	// ListInstances returns matching instances, oldest Start first.
	ListInstances(ctx context.Context, q InstanceQuery) ([]*Instance, error)
	UpdateInstance(ctx context.Context, id string, fn func(in *Instance) error) (*Instance, error)

	GetItem(ctx context.Context, id string) (*Item, error)
	// ListItems returns an instance's items in snapshot order.
	ListItems(ctx context.Context, instanceID string) ([]*Item, error)
	UpdateItem(ctx context.Context, id string, fn func(it *Item) error) (*Item, error)

	// NextDue is the earliest of every campaign's NextStart and every
	// instance's Due; ok is false when nothing is due.
	NextDue(ctx context.Context) (t time.Time, ok bool, err error)
}

// SignIns reads when users last signed in successfully.
type SignIns interface {
	// LastSignIn is the newest sign-in of the user; ok is false when the
	// user never signed in.
	LastSignIn(ctx context.Context, userID string) (t time.Time, ok bool, err error)
}
