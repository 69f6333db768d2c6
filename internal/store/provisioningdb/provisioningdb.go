package provisioningdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/provisioning"
	"github.com/gatehouse-id/gatehouse/internal/store"
)

// Store is provisioning.Store on a store.DB.
type Store struct{ db *store.DB }

var _ provisioning.Store = (*Store)(nil)

// New returns a provisioning store on db.
func New(db *store.DB) *Store { return &Store{db: db} }

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// jobDoc is the stored form of a job's settings and state.
type jobDoc struct {
	Settings   provisioning.Settings      `json:"settings"`
	Quarantine *provisioning.Quarantine   `json:"quarantine,omitempty"`
	LastCycle  *provisioning.CycleSummary `json:"lastCycle,omitempty"`
	NextCycle  time.Time                  `json:"nextCycle"`
	Running    *provisioning.RunningCycle `json:"running,omitempty"`
}

func (s *Store) PutJob(ctx context.Context, j *provisioning.Job) error {
	return s.db.Update(ctx, func(tx *store.Tx) error { return putJob(tx, j) })
}

func putJob(tx *store.Tx, j *provisioning.Job) error {
	doc, err := json.Marshal(jobDoc{j.Settings, j.Quarantine, j.LastCycle, j.NextCycle, j.Running})
	if err != nil {
		return err
	}
	_, err = tx.Exec(`INSERT INTO provisioning_jobs (app_id, enabled, doc, cursor_seq, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (app_id) DO UPDATE SET enabled = excluded.enabled, doc = excluded.doc, cursor_seq = excluded.cursor_seq,
		updated_at = excluded.updated_at`, j.AppID, j.Enabled, string(doc), j.Cursor, ms(j.Updated))
	return err
}

func scanJob(row interface{ Scan(...any) error }) (*provisioning.Job, error) {
	var j provisioning.Job
	var doc string
	var updated int64
	if err := row.Scan(&j.AppID, &j.Enabled, &doc, &j.Cursor, &updated); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, provisioning.ErrNotFound
		}
		return nil, err
	}
	var d jobDoc
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return nil, fmt.Errorf("decode job %s: %w", j.AppID, err)
	}
	j.Settings, j.Quarantine, j.LastCycle, j.NextCycle, j.Running = d.Settings, d.Quarantine, d.LastCycle, d.NextCycle, d.Running
	j.Updated = fromMS(updated)
	return &j, nil
}

const jobCols = "app_id, enabled, doc, cursor_seq, updated_at"

func (s *Store) GetJob(ctx context.Context, appID string) (*provisioning.Job, error) {
	return scanJob(s.db.Read.QueryRowContext(ctx, `SELECT `+jobCols+` FROM provisioning_jobs WHERE app_id = $1`, appID))
}

func (s *Store) ListJobs(ctx context.Context) ([]*provisioning.Job, error) {
	return store.Query(ctx, s.db.Read, scanJob, `SELECT `+jobCols+` FROM provisioning_jobs ORDER BY app_id`)
}

func (s *Store) UpdateJob(ctx context.Context, appID string, fn func(*provisioning.Job) error) (*provisioning.Job, error) {
	var out *provisioning.Job
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		j, err := scanJob(tx.QueryRow(`SELECT `+jobCols+` FROM provisioning_jobs WHERE app_id = $1`+tx.ForUpdate(), appID))
		if err != nil {
			return err
		}
		if err := fn(j); err != nil {
			return err
		}
		j.AppID = appID
		out = j
		return putJob(tx, j)
	})
	return out, err
}

func (s *Store) DeleteJob(ctx context.Context, appID string) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(`DELETE FROM provisioning_jobs WHERE app_id = $1`, appID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return provisioning.ErrNotFound
		}
		for _, table := range []string{"provisioning_links", "provisioning_staged_deletes", "provisioning_leases"} {
			if _, err := tx.Exec(`DELETE FROM `+table+` WHERE app_id = $1`, appID); err != nil {
				return err
			}
		}
		return nil
	})
}

const linkCols = "app_id, kind, source_id, target_id, failures, next_retry, last_error, permanent"

func scanLink(row interface{ Scan(...any) error }) (*provisioning.Link, error) {
	var l provisioning.Link
	var next sql.NullInt64
	if err := row.Scan(&l.AppID, &l.Kind, &l.SourceID, &l.TargetID, &l.Failures, &next, &l.LastError, &l.Permanent); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, provisioning.ErrNotFound
		}
		return nil, err
	}
	if next.Valid {
		l.NextRetry = fromMS(next.Int64)
	}
	return &l, nil
}

func (s *Store) GetLink(ctx context.Context, appID, kind, sourceID string) (*provisioning.Link, error) {
	return scanLink(s.db.Read.QueryRowContext(ctx, `SELECT `+linkCols+` FROM provisioning_links
		WHERE app_id = $1 AND kind = $2 AND source_id = $3`, appID, kind, sourceID))
}

func (s *Store) PutLink(ctx context.Context, l *provisioning.Link) error {
	return s.PutLinks(ctx, []*provisioning.Link{l})
}

func (s *Store) PutLinks(ctx context.Context, ls []*provisioning.Link) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		for _, l := range ls {
			var next any
			if !l.NextRetry.IsZero() {
				next = ms(l.NextRetry)
			}
			if _, err := tx.Exec(`INSERT INTO provisioning_links (`+linkCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
				ON CONFLICT (app_id, kind, source_id) DO UPDATE SET target_id = excluded.target_id, failures = excluded.failures,
				next_retry = excluded.next_retry, last_error = excluded.last_error, permanent = excluded.permanent`,
				l.AppID, l.Kind, l.SourceID, l.TargetID, l.Failures, next, l.LastError, l.Permanent); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) DeleteLink(ctx context.Context, appID, kind, sourceID string) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`DELETE FROM provisioning_links WHERE app_id = $1 AND kind = $2 AND source_id = $3`, appID, kind, sourceID)
		return err
	})
}

func (s *Store) queryLinks(ctx context.Context, where string, args ...any) ([]*provisioning.Link, error) {
	return store.Query(ctx, s.db.Read, scanLink, `SELECT `+linkCols+` FROM provisioning_links WHERE `+where+` ORDER BY source_id`, args...)
}

func (s *Store) Links(ctx context.Context, appID, kind string) ([]*provisioning.Link, error) {
	return s.queryLinks(ctx, "app_id = $1 AND kind = $2", appID, kind)
}

func (s *Store) DueEscrows(ctx context.Context, appID string, now time.Time) ([]*provisioning.Link, error) {
	return s.queryLinks(ctx, "app_id = $1 AND next_retry IS NOT NULL AND next_retry <= $2 AND permanent = $3", appID, ms(now), false)
}

func (s *Store) EscrowCount(ctx context.Context, appID string) (int, error) {
	var n int
	err := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM provisioning_links WHERE app_id = $1 AND failures > 0`, appID).Scan(&n)
	return n, err
}

func (s *Store) AppendLogs(ctx context.Context, entries []provisioning.LogEntry) error {
	if len(entries) == 0 {
		return nil
	}
	// A cycle logs an entry per object: one sequence allocation and
	// multi-row inserts of 100 keep that cheap.
	const rowsPerInsert = 100
	return s.db.Update(ctx, func(tx *store.Tx) error {
		seq, err := tx.NextSeqs("provisioning_logs", len(entries))
		if err != nil {
			return err
		}
		for start := 0; start < len(entries); start += rowsPerInsert {
			part := entries[start:min(start+rowsPerInsert, len(entries))]
			values := make([]string, len(part))
			args := make([]any, 0, 9*len(part))
			for i, e := range part {
				doc, err := json.Marshal(e)
				if err != nil {
					return err
				}
				n := len(args)
				values[i] = fmt.Sprintf("($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9)
				args = append(args, seq, e.ID, e.AppID, e.CycleID, e.SourceID, e.Action, e.Status, ms(e.At), string(doc))
				seq++
			}
			if _, err := tx.Exec(`INSERT INTO provisioning_logs (seq, id, app_id, cycle_id, source_id, action, status, at, doc)
				VALUES `+strings.Join(values, ", "), args...); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) Logs(ctx context.Context, q provisioning.LogQuery) ([]provisioning.LogEntry, error) {
	var conds []string
	var args []any
	add := func(col string, v any) {
		args = append(args, v)
		conds = append(conds, fmt.Sprintf("%s = $%d", col, len(args)))
	}
	if q.AppID != "" {
		add("app_id", q.AppID)
	}
	if q.CycleID != "" {
		add("cycle_id", q.CycleID)
	}
	if q.SourceID != "" {
		add("source_id", q.SourceID)
	}
	if q.Action != "" {
		add("action", q.Action)
	}
	if q.Status != "" {
		add("status", q.Status)
	}
	if !q.Since.IsZero() {
		args = append(args, ms(q.Since))
		conds = append(conds, fmt.Sprintf("at >= $%d", len(args)))
	}
	query := `SELECT doc FROM provisioning_logs`
	if len(conds) > 0 {
		query += ` WHERE ` + strings.Join(conds, " AND ")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 1000
	}
	args = append(args, limit)
	query += fmt.Sprintf(` ORDER BY seq DESC LIMIT $%d`, len(args))
	rows, err := s.db.Read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []provisioning.LogEntry
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		var e provisioning.LogEntry
		if err := json.Unmarshal([]byte(doc), &e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *Store) StageDeletes(ctx context.Context, ds []provisioning.StagedDelete) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		for _, d := range ds {
			if _, err := tx.Exec(`INSERT INTO provisioning_staged_deletes (app_id, kind, source_id, target_id, action, staged_at)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (app_id, kind, source_id) DO UPDATE SET target_id = excluded.target_id, action = excluded.action`,
				d.AppID, d.Kind, d.SourceID, d.TargetID, d.Action, ms(d.Staged)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) StagedDeletes(ctx context.Context, appID string) ([]provisioning.StagedDelete, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT app_id, kind, source_id, target_id, action, staged_at
		FROM provisioning_staged_deletes WHERE app_id = $1 ORDER BY kind, source_id`, appID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []provisioning.StagedDelete
	for rows.Next() {
		var d provisioning.StagedDelete
		var at int64
		if err := rows.Scan(&d.AppID, &d.Kind, &d.SourceID, &d.TargetID, &d.Action, &at); err != nil {
			return nil, err
		}
		d.Staged = fromMS(at)
		out = append(out, d)
	}
	return out, rows.Err()
}

func (s *Store) ClearStagedDeletes(ctx context.Context, appID string) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`DELETE FROM provisioning_staged_deletes WHERE app_id = $1`, appID)
		return err
	})
}

func (s *Store) AcquireLease(ctx context.Context, appID, owner string, now, expires time.Time) (bool, error) {
	var got bool
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(`INSERT INTO provisioning_leases (app_id, owner, expires_at) VALUES ($1, $2, $3)
			ON CONFLICT (app_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
			WHERE provisioning_leases.owner = excluded.owner OR provisioning_leases.expires_at < $4`,
			appID, owner, ms(expires), ms(now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		got = n > 0
		return err
	})
	return got, err
}

func (s *Store) ReleaseLease(ctx context.Context, appID, owner string) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`DELETE FROM provisioning_leases WHERE app_id = $1 AND owner = $2`, appID, owner)
		return err
	})
}
