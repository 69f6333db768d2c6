package audit

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Kinds of record. A kind is "area.event"; Query accepts a trailing "*" to
// match a prefix ("signin.*").
const (
	KindAdminChange    = "admin.change"    // a change made through an admin API or the CLI
	KindSignInSuccess  = "signin.success"  // a user signed in
	KindSignInRefused  = "signin.refused"  // a sign-in was refused; Reason says why
	KindSAMLResponse   = "saml.response"   // the IdP issued a SAML response
	KindSCIMRequest    = "scim.request"    // the SCIM server received a request
	KindPIMActivation  = "pim.activation"  // an eligible member activated (or it expired)
	KindPIMApproval    = "pim.approval"    // an approver decided an activation request
	KindReviewDecision = "review.decision" // an access review decision
	KindAuditPrune     = "audit.prune"     // retention deleted the oldest records
)

// Outcomes of the action a record describes.
const (
	OutcomeSuccess = "success"
	OutcomeRefused = "refused" // denied by policy: wrong password, no assignment, not approved
	OutcomeFailure = "failure" // an error prevented the action
)

// ActorSystem is the actor of what Gatehouse does on its own.
const ActorSystem = "system"

// Genesis is the PrevHash of the first record of a chain never pruned.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// KeyLabel is the label under which the HMAC key of the chain is derived from
// the secret key file (secret.Box.DeriveKey); the server and the CLI must use
// the same one.
const KeyLabel = "gatehouse audit chain v1"

// Record is one entry of the audit log. Seq, PrevHash and Hash are assigned
// by Append; Time is cut to the millisecond and kept in UTC.
type Record struct {
	Seq      int64          `json:"seq"`
	Time     time.Time      `json:"time"`
	Actor    string         `json:"actor"`   // user, admin or token id, or "system"
	Kind     string         `json:"kind"`    // one of the Kind constants
	Subject  string         `json:"subject"` // the object acted on: user id, group id, app id, request id
	Action   string         `json:"action"`  // what was done: "create", "patch", "login", "POST /scim/v2/Users"
	Outcome  string         `json:"outcome"` // one of the Outcome constants
	Reason   string         `json:"reason"`  // why, above all for a refusal or failure
	Details  map[string]any `json:"details,omitempty"`
	PrevHash string         `json:"prev_hash"`
	Hash     string         `json:"hash"`

	// details is StoredDetails as normalize computed it. Log.Append owns
	// the record from normalize until it is stored, so Details does not
	// change meanwhile; a record built any other way has none.
	details json.RawMessage
}

// StoredDetails is the stored and hashed form of r's details (detailsJSON).
func (r *Record) StoredDetails() (json.RawMessage, error) {
	if r.details != nil {
		return r.details, nil
	}
	return detailsJSON(r.Details)
}

// Head names one record of the chain by its seq and hash: the head the next
// append links to, or a head an operator kept to detect truncation later.
type Head struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// Anchor is where the chain starts after a prune: the seq and hash of the
// last record deleted, and a MAC over both, so that Verify checks the first
// remaining record against it.
type Anchor struct {
	Seq  int64
	Hash string
	Time time.Time // when the prune ran
	MAC  string
}

// Filter selects records for Query. Zero fields match everything.
type Filter struct {
	Since, Until time.Time // Since <= Time < Until
	Kind         string    // exact, or a prefix with a trailing "*"
	Actor        string
	Subject      string
	Outcome      string
	BeforeSeq    int64 // only records with a smaller seq: the cursor of the next page
	Limit        int   // default 100, at most 10000
}

// SealFunc fills in a record's Seq, PrevHash and Hash from the chain's head.
// A Store calls it inside the append transaction, possibly more than once if
// the transaction is retried.
type SealFunc func(r *Record, head Head) error

// PrunePlan is called by Store.Prune, inside its transaction, with the last
// record to delete and how many records go. It returns the new anchor (nil
// when nothing is deleted) and the record that logs the prune.
type PrunePlan func(last Head, n int64) (*Anchor, *Record, error)

// Store is what a backend implements. Every method that writes runs in one
// transaction holding the chain lock.
type Store interface {
	// Append locks the chain, reads its head (last record, else anchor,
	// else {0, Genesis}), calls seal and inserts r.
	Append(ctx context.Context, r *Record, seal SealFunc) error
	// Prune locks the chain and deletes the longest run of oldest records
	// whose Time is before `before`; it calls plan with the last of them,
	// stores the anchor plan returns, and appends plan's record with seal.
	// It returns how many records it deleted.
	Prune(ctx context.Context, before time.Time, plan PrunePlan, seal SealFunc) (int64, error)
	// Anchor returns the anchor, or nil if the chain was never pruned.
	Anchor(ctx context.Context) (*Anchor, error)
	// Scan calls fn for each record with seq > after and Time >= since (a
	// zero since means all), oldest first, from one consistent read.
	Scan(ctx context.Context, after int64, since time.Time, fn func(*Record) error) error
	// Get returns the record with that seq, or ErrNotFound.
	Get(ctx context.Context, seq int64) (*Record, error)
	// Query returns the records that match f, newest first.
	Query(ctx context.Context, f Filter) ([]Record, error)
}

// Appender is what a server needs to write the audit log; *Log implements
// it, and Discard is a no-op for tests and tools that audit nothing.
type Appender interface {
	Append(ctx context.Context, r Record) (Record, error)
}

// Discard is an Appender that writes nothing.
var Discard Appender = discard{}

type discard struct{}

func (discard) Append(_ context.Context, r Record) (Record, error) { return r, nil }

// Errors.
var (
	ErrNotFound = errors.New("audit: record not found")
	ErrInvalid  = errors.New("audit: invalid record")
)
