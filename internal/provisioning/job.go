package provisioning

import (
	"context"
	"errors"
	"time"
)

// Errors of the provisioning domain.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

// Scope modes (Entra's "Sync only assigned users and groups" and "Sync all
// users and groups").
const (
	ScopeAssigned = "assigned"
	ScopeAll      = "all"
)

// Target dialects: how group members are read from the target.
const (
	// DialectAWS reads members with `groups.value eq` (AWS never returns
	// members on a group).
	DialectAWS = "aws"
	// DialectRFC reads the members attribute of GET /Groups/{id}.
	DialectRFC = "rfc"
)

// Settings configure a job.
type Settings struct {
	TenantURL string `json:"tenantUrl"`
	// TokenSealed is the target's bearer token, encrypted (secret.Box) with
	// the job id as context; it is never stored or shown in clear.
	TokenSealed string `json:"tokenSealed,omitempty"`
	Scope       string `json:"scope"`
	// ScopingFilters: clauses inside one filter are ANDed, filters are ORed.
	ScopingFilters  []ScopingFilter `json:"scopingFilters,omitempty"`
	Users           []Mapping       `json:"userMappings"`
	Groups          []Mapping       `json:"groupMappings"`
	ProvisionGroups bool            `json:"provisionGroups"`
	// FlattenNested puts the users of nested groups into the target group
	// (AWS has no nested groups); off, only direct user members go.
	FlattenNested bool `json:"flattenNested"`
	// DeletionThreshold stages disables and deletes once a cycle would make
	// more than this many, until an admin approves (0 disables the check).
	DeletionThreshold int `json:"deletionThreshold"`
	// RateLimit is the most requests per second sent to the target (0: no
	// limit). AWS allows about 25.
	RateLimit float64 `json:"rateLimit"`
	// Interval between reconciliation cycles.
	Interval Duration `json:"interval"`
	Dialect  string   `json:"dialect"`
	// MaxMembersPerPatch is the most membership changes in one PATCH (AWS:
	// 100).
	MaxMembersPerPatch int `json:"maxMembersPerPatch"`
	// Workers is how many objects are provisioned at once.
	Workers int `json:"workers"`
}

// Duration is a time.Duration that reads and writes as "40m".
type Duration time.Duration

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	*d = Duration(v)
	return err
}

// DefaultInterval is Entra's cycle interval, kept as the default.
const DefaultInterval = 40 * time.Minute

// DefaultDeletionThreshold is the accidental-deletion threshold.
const DefaultDeletionThreshold = 500

// Job states, as Entra names them.
const (
	StatusNotConfigured = "NotConfigured"
	StatusActive        = "Active"
	StatusPaused        = "Paused"
	StatusQuarantine    = "Quarantine"
)

// Quarantine reasons (Graph's synchronizationStatus quarantine reasons).
const (
	ReasonCredentials      = "EncounteredQuarantineException"
	ReasonEscrowProportion = "EncounteredEscrowProportionThreshold"
	ReasonEscrowTotal      = "EncounteredTotalEscrowThreshold"
	ReasonTooManyDeletes   = "TooManyDeletes"
)

// Quarantine records why and since when a job is quarantined.
type Quarantine struct {
	Reason      string    `json:"reason"`
	Error       string    `json:"error"`
	Began       time.Time `json:"currentBegan"`
	NextAttempt time.Time `json:"nextAttempt"`
}

// Job is one app's provisioning configuration and state.
type Job struct {
	AppID    string
	Enabled  bool
	Settings Settings
	// Cursor is the last directory outbox seq the job has handled.
	Cursor     int64
	Quarantine *Quarantine
	// LastCycle summarises the most recent reconciliation cycle.
	LastCycle *CycleSummary
	// NextCycle is when the next reconciliation cycle is due; zero means
	// at once (an initial cycle).
	NextCycle time.Time
	// Running is the progress of a cycle in progress, saved every second so
	// that other processes (the CLI, other nodes) can show it.
	Running *RunningCycle
	Updated time.Time
}

// Status is the job's state in Entra's terms.
func (j *Job) Status() string {
	switch {
	case j.Settings.TenantURL == "":
		return StatusNotConfigured
	case j.Quarantine != nil:
		return StatusQuarantine
	case !j.Enabled:
		return StatusPaused
	}
	return StatusActive
}

// CycleSummary is the outcome of a reconciliation cycle.
type CycleSummary struct {
	ID       string         `json:"id"`
	Initial  bool           `json:"initial"`
	Started  time.Time      `json:"started"`
	Finished time.Time      `json:"finished"`
	Counts   map[string]int `json:"counts"` // by action and status, e.g. "Create/success"
	Error    string         `json:"error,omitempty"`
}

// Link ties a source object to the target object it was provisioned as
// (Entra's cached target id), with the escrow state of a failing object.
type Link struct {
	AppID     string
	Kind      string // user or group
	SourceID  string
	TargetID  string
	Failures  int
	NextRetry time.Time // zero when not escrowed
	LastError string
	// Permanent marks an error the target will repeat until the source
	// object changes (a 400): it is not retried on a timer.
	Permanent bool
}

// LogEntry is one provisioning log record, with Entra's fields
// (provisioningObjectSummary, shared/reference/entra-provisioning.md §3).
type LogEntry struct {
	ID         string     `json:"id"`
	AppID      string     `json:"jobId"`
	CycleID    string     `json:"cycleId"`
	ChangeID   string     `json:"changeId"`
	At         time.Time  `json:"activityDateTime"`
	Action     string     `json:"provisioningAction"` // Create, Update, Disable, Delete, Skip, StagedDelete, Other
	Status     string     `json:"status"`             // success, failure, skipped, warning
	Kind       string     `json:"objectType"`
	SourceID   string     `json:"sourceId"`
	SourceName string     `json:"sourceDisplayName"`
	TargetID   string     `json:"targetId,omitempty"`
	Modified   []Modified `json:"modifiedProperties,omitempty"`
	ErrorCode  string     `json:"errorCode,omitempty"`
	ErrorMsg   string     `json:"errorMessage,omitempty"`
	Steps      []Step     `json:"provisioningSteps,omitempty"`
	DurationMS int64      `json:"durationInMilliseconds"`
}

// Modified is one changed property, old -> new.
type Modified struct {
	Name string `json:"displayName"`
	Old  string `json:"oldValue"`
	New  string `json:"newValue"`
}

// Step is one step of processing an object (Entra's provisioningSteps:
// import, scoping, matching, processing, export).
type Step struct {
	Name    string `json:"name"`
	Type    string `json:"provisioningStepType"`
	Status  string `json:"status"`
	Details string `json:"description"`
}

// LogQuery selects log entries, newest first.
type LogQuery struct {
	AppID    string
	CycleID  string
	SourceID string
	Action   string
	Status   string
	Since    time.Time
	Limit    int
}

// StagedDelete is a disable or delete held back by the deletion threshold.
type StagedDelete struct {
	AppID    string
	Kind     string
	SourceID string
	TargetID string
	Action   string // Disable or Delete
	Staged   time.Time
}

// Store keeps jobs, links, escrow, logs and staged deletes.
type Store interface {
	PutJob(ctx context.Context, j *Job) error
	GetJob(ctx context.Context, appID string) (*Job, error)
	ListJobs(ctx context.Context) ([]*Job, error)
	// UpdateJob runs fn on the stored job in a transaction.
	UpdateJob(ctx context.Context, appID string, fn func(j *Job) error) (*Job, error)
	// DeleteJob deletes the job with its links, staged deletes and lease,
	// and keeps its logs (which age out as every log does); ErrNotFound
	// when there is no such job.
	DeleteJob(ctx context.Context, appID string) error

	GetLink(ctx context.Context, appID, kind, sourceID string) (*Link, error)
	PutLink(ctx context.Context, l *Link) error
	// PutLinks stores many links in one transaction.
	PutLinks(ctx context.Context, ls []*Link) error
	DeleteLink(ctx context.Context, appID, kind, sourceID string) error
	// Links lists the job's links of a kind.
	Links(ctx context.Context, appID, kind string) ([]*Link, error)
	// DueEscrows lists escrowed links whose retry time has come.
	DueEscrows(ctx context.Context, appID string, now time.Time) ([]*Link, error)
	// EscrowCount counts the job's escrowed links.
	EscrowCount(ctx context.Context, appID string) (int, error)

	AppendLogs(ctx context.Context, entries []LogEntry) error
	Logs(ctx context.Context, q LogQuery) ([]LogEntry, error)

	StageDeletes(ctx context.Context, ds []StagedDelete) error
	StagedDeletes(ctx context.Context, appID string) ([]StagedDelete, error)
	ClearStagedDeletes(ctx context.Context, appID string) error

	// AcquireLease makes owner the job's driver until expires, if the lease
	// is free, expired or already owner's. Several nodes on one database
	// use it so that one drives each job at a time.
	AcquireLease(ctx context.Context, appID, owner string, now, expires time.Time) (bool, error)
	ReleaseLease(ctx context.Context, appID, owner string) error
}
