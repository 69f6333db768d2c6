package governance

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Limits of Entra's PIM for Groups (reference/entra-provisioning.md §5).
const (
	// MinMaxDuration and MaxMaxDuration bound an eligibility's activation
	// maximum duration: 1 to 24 hours.
	MinMaxDuration = time.Hour
	MaxMaxDuration = 24 * time.Hour
	// MinDuration is the shortest activation one may request.
	MinDuration = 5 * time.Minute
	// ApprovalWindow is how long approvers have; it cannot be changed.
	ApprovalWindow = 24 * time.Hour
)

// Domain errors; the API maps them to Graph's shape in one place.
var (
	ErrNotFound = errors.New("governance: not found")
	ErrConflict = errors.New("governance: already exists")
	ErrInvalid  = errors.New("governance: invalid")
	// ErrNotEligible: the user holds no live eligibility for the group.
	ErrNotEligible = errors.New("governance: not eligible")
	// ErrPolicy: a requirement of the eligibility is not met; the error is
	// a *PolicyError naming the rule.
	ErrPolicy = errors.New("governance: policy rule failed")
	// ErrForbidden: the caller may not decide or change this request.
	ErrForbidden = errors.New("governance: forbidden")
	// ErrState: the request is not in a state that allows the action.
	ErrState = errors.New("governance: wrong request state")
	// ErrApprovalExpired: the approval window is over; the request is now
	// Expired and the user must ask again.
	ErrApprovalExpired = errors.New("governance: approval window over")
)

// Policy rule names, as Entra names them in its validation errors.
const (
	RuleMFA           = "MfaRule"
	RuleJustification = "JustificationRule"
	RuleTicket        = "TicketingRule"
	RuleExpiration    = "ExpirationRule"
	// RuleApproval: the activation needs approval and nobody but the
	// requester could give it (the group's owners approve, and it has no
	// other active owner).
	RuleApproval = "ApprovalRule"
)

// PolicyError is a failed activation requirement.
type PolicyError struct {
	Rule string // RuleMFA, RuleJustification, RuleTicket, RuleExpiration or RuleApproval
	Msg  string
}

func (e *PolicyError) Error() string { return e.Msg }

// Unwrap makes errors.Is(err, ErrPolicy) true.
func (e *PolicyError) Unwrap() error { return ErrPolicy }

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Eligibility makes a principal eligible to activate membership of a group.
// When PrincipalID is a group, every member of that group (at any nesting
// depth) is eligible; activation applies to the requesting user only.
type Eligibility struct {
	ID          string `json:"id"`
	GroupID     string `json:"groupId"`
	PrincipalID string `json:"principalId"`
	// MaxDuration is the longest activation, 1 to 24 hours.
	MaxDuration          time.Duration `json:"maxDuration"`
	RequireMFA           bool          `json:"requireMfa"`
	RequireJustification bool          `json:"requireJustification"`
	RequireTicket        bool          `json:"requireTicket"`
	// Approvers are user ids; when not empty, activation needs the approval
	// of one of them (not the requester).
	Approvers []string `json:"approvers,omitempty"`
	// OwnersApprove: activation needs the approval of one of the group's
	// owners (Entra's approval by group owners). The approvers of a request
	// are the group's active owners when it is made, other than the
	// requester, with the named Approvers.
	OwnersApprove bool       `json:"ownersApprove,omitempty"`
	Created       time.Time  `json:"created"`
	Expires       *time.Time `json:"expires,omitempty"` // end of the eligibility, if any
}

// Live reports whether the eligibility has not ended at now.
func (e *Eligibility) Live(now time.Time) bool { return e.Expires == nil || now.Before(*e.Expires) }

// NeedsApproval reports whether an activation waits for an approver.
func (e *Eligibility) NeedsApproval() bool { return len(e.Approvers) > 0 || e.OwnersApprove }

// Kind of a request.
type Kind string

const (
	// KindActivate is a user's activation of an eligibility.
	KindActivate Kind = "activate"
	// KindAssign is an admin's time-bound direct assignment.
	KindAssign Kind = "assign"
)

// Status of a request.
type Status string

const (
	StatusPendingApproval Status = "PendingApproval"
	// StatusApproved is not stored: approval starts the activation, which
	// is then Active with Decision set.
	StatusApproved Status = "Approved"
	StatusDenied   Status = "Denied"
	StatusActive   Status = "Active"
	// StatusExpired: the grant reached its End, or the approval window
	// closed without a decision.
	StatusExpired Status = "Expired"
	// StatusRevoked: ended early (self-deactivation or admin removal).
	StatusRevoked  Status = "Revoked"
	StatusCanceled Status = "Canceled"
)

// Decision is an approver's answer.
type Decision struct {
	By     string    `json:"by"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// Request is an activation request or a time-bound assignment. While its
// Status is Active it is a grant from Start to End.
type Request struct {
	ID            string        `json:"id"`
	GroupID       string        `json:"groupId"`
	UserID        string        `json:"userId"`
	Kind          Kind          `json:"kind"`
	EligibilityID string        `json:"eligibilityId,omitempty"`
	Justification string        `json:"justification,omitempty"`
	Ticket        string        `json:"ticket,omitempty"`
	Duration      time.Duration `json:"duration"`
	Status        Status        `json:"status"`
	Requested     time.Time     `json:"requested"`
	// ApprovalDeadline is Requested+ApprovalWindow when approval is needed.
	ApprovalDeadline *time.Time `json:"approvalDeadline,omitempty"`
	// Approvers may decide the request: the eligibility's named approvers
	// and, when its group's owners approve, the owners (other than the
	// requester) when it was requested.
	Approvers []string  `json:"approvers,omitempty"`
	Decision  *Decision `json:"decision,omitempty"`
	Start     time.Time `json:"start,omitzero"`
	End       time.Time `json:"end,omitzero"`
	// MFA records that the user had verified a second factor at activation.
	MFA bool `json:"mfa"`
	// By is who made the request: the user, or the admin ("admin" or a
	// token name) for assignments.
	By string `json:"by,omitempty"`
}

// Live reports whether the request is a grant in force at now: Active and
// now before End (a grant ending at 10:00:00 is gone at 10:00:00).
func (r *Request) Live(now time.Time) bool {
	return r.Status == StatusActive && now.Before(r.End)
}

// Due is the instant the scheduler must act on the request: End of an
// Active grant, the approval deadline of a pending one; zero otherwise.
func (r *Request) Due() time.Time {
	switch r.Status {
	case StatusActive:
		return r.End
	case StatusPendingApproval:
		if r.ApprovalDeadline != nil {
			return *r.ApprovalDeadline
		}
	}
	return time.Time{}
}

// EligibilityQuery selects eligibilities; empty fields do not filter.
type EligibilityQuery struct {
	GroupID     string
	PrincipalID string
	// Principals, when not nil, keeps eligibilities naming any of them.
	Principals []string
}

// RequestQuery selects requests; empty fields do not filter.
type RequestQuery struct {
	GroupID string
	UserID  string
	Status  []Status
	// DueBy keeps requests whose Due is not after it (and not zero).
	DueBy time.Time
}

// MembershipState is governance's record of a directory membership it
// manages. The row is written before the directory call and updated or
// deleted after it, so a crash between the steps leaves a trace that the
// scheduler finishes.
type MembershipState string

const (
	// StateAdding: governance is adding the membership.
	StateAdding MembershipState = "adding"
	// StateAdded: governance added the membership and owns it.
	StateAdded MembershipState = "added"
	// StateRemoving: governance is removing the membership it added.
	StateRemoving MembershipState = "removing"
)

// Membership is one row of the transition table.
type Membership struct {
	GroupID string
	UserID  string
	State   MembershipState
	Updated time.Time
}

// Store is governance's persistence.
type Store interface {
	CreateEligibility(ctx context.Context, e *Eligibility) error
	GetEligibility(ctx context.Context, id string) (*Eligibility, error)
	ListEligibilities(ctx context.Context, q EligibilityQuery) ([]*Eligibility, error)
	DeleteEligibility(ctx context.Context, id string) error

	CreateRequest(ctx context.Context, r *Request) error
	GetRequest(ctx context.Context, id string) (*Request, error)
	// ListRequests returns matching requests, oldest first.
	ListRequests(ctx context.Context, q RequestQuery) ([]*Request, error)
	// UpdateRequest runs fn on the stored request in a transaction (fn may
	// run more than once) and stores the result.
	UpdateRequest(ctx context.Context, id string, fn func(r *Request) error) (*Request, error)
	// NextDue is the earliest Due of all requests; ok is false when none is
	// pending or active.
	NextDue(ctx context.Context) (t time.Time, ok bool, err error)

	// GetMembership is ErrNotFound when governance has no row for the pair.
	GetMembership(ctx context.Context, groupID, userID string) (*Membership, error)
	PutMembership(ctx context.Context, m *Membership) error
	DeleteMembership(ctx context.Context, groupID, userID string) error
	ListMemberships(ctx context.Context) ([]*Membership, error)
}
