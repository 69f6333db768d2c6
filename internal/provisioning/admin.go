package provisioning

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

// Configure creates or replaces a job's settings. A non-empty token
// replaces the stored one (sealed with the job id as context). Changing
// settings starts a new initial cycle, as in Entra.
func (e *Engine) Configure(ctx context.Context, appID string, set Settings, token string) (*Job, error) {
	if err := Validate(&set); err != nil {
		return nil, err
	}
	if token != "" {
		set.TokenSealed = e.Box.Seal(token, appID)
	}
	// The settings are written by a read-modify-write in one transaction:
	// the engine updates the same job (cursor, progress, quarantine) while
	// it runs, and a separate read and write could undo its update, or
	// be undone by it.
	apply := func(j *Job) error {
		if token == "" {
			set.TokenSealed = j.Settings.TokenSealed
		}
		j.Settings = set
		j.NextCycle = e.now() // the new settings apply to everything at once
		j.LastCycle = nil
		j.Updated = e.now()
		return nil
	}
	j, err := e.Store.UpdateJob(ctx, appID, apply)
	if errors.Is(err, ErrNotFound) {
		if token == "" {
			return nil, fmt.Errorf("a new job needs the target's secret token")
		}
		j = &Job{AppID: appID}
		apply(j)
		err = e.Store.PutJob(ctx, j)
	}
	if err != nil {
		return nil, err
	}
	e.Kick()
	return j, nil
}

// CreateJob creates an app's job with the default settings and no target
// yet (status NotConfigured, stopped), as Graph's POST
// synchronization/jobs does before the credentials are set; ErrConflict
// when the app has a job. The engine runs no cycle for it until it has a
// tenant URL (Configure).
func (e *Engine) CreateJob(ctx context.Context, appID string) (*Job, error) {
	if _, err := e.Store.GetJob(ctx, appID); err == nil {
		return nil, ErrConflict
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	j := &Job{AppID: appID, Settings: DefaultSettings(""), Updated: e.now()}
	if err := e.Store.PutJob(ctx, j); err != nil {
		return nil, err
	}
	return j, nil
}

// Validate checks settings and fills in defaults.
func Validate(set *Settings) error {
	if set.TenantURL == "" || !(strings.HasPrefix(set.TenantURL, "https://") || strings.HasPrefix(set.TenantURL, "http://")) {
		return fmt.Errorf("tenant URL must be an http(s) URL")
	}
	switch set.Scope {
	case "":
		set.Scope = ScopeAssigned
	case ScopeAssigned, ScopeAll:
	default:
		return fmt.Errorf("scope must be assigned or all, not %q", set.Scope)
	}
	switch set.Dialect {
	case "":
		set.Dialect = DialectAWS
	case DialectAWS, DialectRFC:
	default:
		return fmt.Errorf("dialect must be aws or rfc, not %q", set.Dialect)
	}
	if _, err := compile(set.Users); err != nil {
		return fmt.Errorf("user mappings: %w", err)
	}
	if len(matchPaths(mustCompile(set.Users))) == 0 {
		return fmt.Errorf("user mappings: at least one matching attribute is needed")
	}
	if _, err := compile(set.Groups); err != nil {
		return fmt.Errorf("group mappings: %w", err)
	}
	if err := validateFilters(set.ScopingFilters); err != nil {
		return err
	}
	if set.Interval <= 0 {
		set.Interval = Duration(DefaultInterval)
	}
	if set.MaxMembersPerPatch <= 0 {
		set.MaxMembersPerPatch = 100
	}
	if set.Workers <= 0 {
		set.Workers = 16
	}
	if set.DeletionThreshold < 0 {
		return fmt.Errorf("deletion threshold must not be negative")
	}
	return nil
}

func mustCompile(ms []Mapping) []compiled {
	cs, _ := compile(ms)
	return cs
}

// TestConnection checks the job's target as Entra's Test Connection does.
func (e *Engine) TestConnection(ctx context.Context, appID string) error {
	return e.TestCredentials(ctx, appID, "", "")
}

// TestCredentials checks a tenant URL and token before they are saved, as
// Entra's Test Connection button checks what is typed in the form (Graph's
// synchronizationJob validateCredentials): an empty tenantURL or token
// stands for the job's stored one, and an app without a job yet is tested
// with the default settings' matching attribute.
func (e *Engine) TestCredentials(ctx context.Context, appID, tenantURL, token string) error {
	j, err := e.Store.GetJob(ctx, appID)
	if errors.Is(err, ErrNotFound) && tenantURL != "" {
		j = &Job{AppID: appID, Settings: DefaultSettings(tenantURL)}
	} else if err != nil {
		return err
	}
	if tenantURL != "" {
		j.Settings.TenantURL = tenantURL
	}
	if token != "" {
		j.Settings.TokenSealed = e.Box.Seal(token, appID)
	}
	s, err := e.session(ctx, j)
	if err != nil {
		return err
	}
	m := matchPaths(s.users)
	return s.client.TestConnection(ctx, m[0].Target)
}

// DeleteJob deletes an app's provisioning job, as Entra does with the app:
// its settings (the sealed token too), links, staged deletes and lease go;
// its logs stay until they age out; the target's objects stay as they are.
// Stop the job first (SetEnabled) so that no cycle starts in between; a
// cycle already running ends at its next save of the job.
func (e *Engine) DeleteJob(ctx context.Context, appID string) error {
	return e.Store.DeleteJob(ctx, appID)
}

// SetEnabled starts or stops a job. Stopping lets the running pass finish.
func (e *Engine) SetEnabled(ctx context.Context, appID string, on bool) error {
	_, err := e.Store.UpdateJob(ctx, appID, func(j *Job) error {
		j.Enabled = on
		j.Updated = e.now()
		return nil
	})
	e.Kick()
	return err
}

// Restart clears quarantine, escrows and staged deletes and starts an
// initial cycle at once (Entra's "Restart provisioning"); the links to
// target objects are kept.
func (e *Engine) Restart(ctx context.Context, appID string) error {
	if err := e.Store.ClearStagedDeletes(ctx, appID); err != nil {
		return err
	}
	for _, kind := range []string{directory.KindUser, directory.KindGroup} {
		links, err := e.Store.Links(ctx, appID, kind)
		if err != nil {
			return err
		}
		for _, l := range links {
			if l.Failures == 0 {
				continue
			}
			if l.TargetID == "" {
				err = e.Store.DeleteLink(ctx, appID, kind, l.SourceID)
			} else {
				err = e.Store.PutLink(ctx, &Link{AppID: appID, Kind: kind, SourceID: l.SourceID, TargetID: l.TargetID})
			}
			if err != nil {
				return err
			}
		}
	}
	_, err := e.Store.UpdateJob(ctx, appID, func(j *Job) error {
		j.Quarantine, j.LastCycle, j.NextCycle, j.Updated = nil, nil, e.now(), e.now()
		return nil
	})
	e.Kick()
	return err
}

// ProvisionOnDemand provisions one user or group now, whatever the job's
// schedule, and returns the log entries with every step.
func (e *Engine) ProvisionOnDemand(ctx context.Context, appID, kind, sourceID string) ([]LogEntry, error) {
	j, err := e.Store.GetJob(ctx, appID)
	if err != nil {
		return nil, err
	}
	s, err := e.session(ctx, j)
	if err != nil {
		return nil, err
	}
	var logs []LogEntry
	s.collect = &logs
	s.cycleID = "on-demand-" + newID()
	if kind != directory.KindUser && kind != directory.KindGroup {
		return nil, fmt.Errorf("kind must be user or group, not %q", kind)
	}
	err = s.batch(ctx, kind, []item{{id: sourceID, change: "on-demand"}})
	if errors.Is(err, errQuarantined) {
		err = fmt.Errorf("the target refused the credentials; the job is quarantined")
	}
	return logs, err
}

// ApproveDeletes carries out the staged disables and deletes and ends the
// TooManyDeletes quarantine.
func (e *Engine) ApproveDeletes(ctx context.Context, appID string) (int, error) {
	j, err := e.Store.GetJob(ctx, appID)
	if err != nil {
		return 0, err
	}
	staged, err := e.Store.StagedDeletes(ctx, appID)
	if err != nil {
		return 0, err
	}
	s, err := e.session(ctx, j)
	if err != nil {
		return 0, err
	}
	s.set.DeletionThreshold = 0 // approved
	s.cycleID = "approved-deletes-" + newID()
	var users, groups []item
	for _, d := range staged {
		it := item{id: d.SourceID, change: "approved"}
		if d.Kind == directory.KindGroup {
			groups = append(groups, it)
		} else {
			users = append(users, it)
		}
	}
	if err := s.run(ctx, users, groups); err != nil {
		return 0, err
	}
	if err := e.Store.ClearStagedDeletes(ctx, appID); err != nil {
		return 0, err
	}
	_, err = e.Store.UpdateJob(ctx, appID, func(j *Job) error {
		if j.Quarantine != nil && j.Quarantine.Reason == ReasonTooManyDeletes {
			j.Quarantine = nil
		}
		return nil
	})
	e.Kick()
	return len(staged), err
}

// JobStatus is a job's state for people: Entra's status code, the running
// cycle's progress, counts and the last error.
type JobStatus struct {
	AppID         string         `json:"appId"`
	Status        string         `json:"status"`
	TenantURL     string         `json:"tenantUrl"`
	Quarantine    *Quarantine    `json:"quarantine,omitempty"`
	LastCycle     *CycleSummary  `json:"lastCycle,omitempty"`
	NextCycle     string         `json:"nextCycle,omitempty"`
	Running       *RunningCycle  `json:"running,omitempty"`
	Provisioned   map[string]int `json:"provisioned"`
	Escrowed      int            `json:"escrowed"`
	StagedDeletes int            `json:"stagedDeletes"`
	LastError     string         `json:"lastError,omitempty"`
}

// RunningCycle is a cycle in progress.
type RunningCycle struct {
	ID      string         `json:"id"`
	Initial bool           `json:"initial"`
	Phase   string         `json:"phase"`
	Done    int64          `json:"done"`
	Total   int64          `json:"total"`
	Counts  map[string]int `json:"counts"`
}

// Status reports a job's state.
func (e *Engine) Status(ctx context.Context, appID string) (*JobStatus, error) {
	j, err := e.Store.GetJob(ctx, appID)
	if err != nil {
		return nil, err
	}
	st := &JobStatus{AppID: appID, Status: j.Status(), TenantURL: j.Settings.TenantURL, Quarantine: j.Quarantine,
		LastCycle: j.LastCycle, Provisioned: map[string]int{}}
	if !j.NextCycle.IsZero() {
		st.NextCycle = j.NextCycle.Format("2006-01-02T15:04:05Z")
	}
	if p := e.CycleProgress(appID); p != nil {
		st.Running = p.snapshot()
	} else {
		st.Running = j.Running // driven by another process
	}
	for _, kind := range []string{directory.KindUser, directory.KindGroup} {
		links, err := e.Store.Links(ctx, appID, kind)
		if err != nil {
			return nil, err
		}
		for _, l := range links {
			if l.TargetID != "" {
				st.Provisioned[kind]++
			}
			if l.Failures > 0 {
				st.Escrowed++
				st.LastError = l.LastError
			}
		}
	}
	staged, err := e.Store.StagedDeletes(ctx, appID)
	if err != nil {
		return nil, err
	}
	st.StagedDeletes = len(staged)
	return st, nil
}
